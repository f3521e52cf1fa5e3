package data

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/eventstore"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "event-sourcing",
		Summary: "the seed's account as an event store: balance by replay, snapshots every N events, the balance as of any past time, no negative balance, nothing acknowledged lost at a crash",
		Chapter: "messaging",
		Doc: `The seed's bank account, stored as events instead of a balance:
AccountCreated (0), DepositMade 100, WithdrawalMade 20, and so on. An
account service (storage/eventstore on its disk) takes commands from a
client one at a time: it rebuilds nothing per command (it keeps the
folded state), decides on the event — or refuses a withdrawal the
balance cannot cover: the invariant "balance never negative" lives on the
command side — appends it, syncs the disk 2ms later (the fsync) and only
then answers. Every N events it also saves a snapshot of the state.

The client opens the account, deposits 100, withdraws 20 (the seed's
example), tries to withdraw 100 (refused: the balance is 80), then sends random deposits and withdrawals, sending a command
again if it hears nothing within 50ms. The script crashes the service
a few times between an append and its fsync; it restarts 20ms later and
rebuilds its state from the latest snapshot plus the events after it.`,
		LookFor: `"balance after the seed's three events: 80". Each crash loses the event
that was not yet synced — it was never acknowledged, and the client's
retry writes it again — so every acknowledged command has exactly one
event. The rebuild after a restart replays only the events since the last
snapshot (fewer than N). Replaying all events, replaying from the
snapshot, and the service's own state agree on the final balance, which
equals what the client was told; no version has a negative balance, and
the refused withdrawals show the command side enforcing it. The "as of"
lines are the balance at past instants, by replaying the events up to
then.`,
		Knobs: []scenarios.Knob{
			{Name: "commands", Kind: scenarios.KnobInt, Default: "40", Min: 6, Max: 500, Doc: "how many commands the client sends"},
			{Name: "snapshot-every", Kind: scenarios.KnobInt, Default: "10", Min: 1, Max: 100, Doc: "the service saves a snapshot every this many events"},
			{Name: "crashes", Kind: scenarios.KnobInt, Default: "2", Min: 0, Max: 10, Doc: "how many commands the service crashes between append and fsync"},
		},
		For:   10 * time.Second,
		Setup: setupEventSourcing,
	})
}

const accountStream = "account-1"

// Messages between the client and the account service.
type (
	ExecCommand   struct{ Cmd eventstore.Command }
	CommandResult struct {
		ID      string
		OK      bool
		Refusal string
		Version int64
		Balance int64
	}
	fsync struct{}
)

// accountService is the command side of the event-sourced account.
type accountService struct {
	snapEvery int
	store     *eventstore.Store
	acct      eventstore.Account // the events folded so far; acct.Version is the stream's version
	pending   []commandFrom      // commands waiting their turn
	// syncing is the command whose event (or refusal) is written and not
	// yet synced, nil if none: nobody has been answered about it.
	syncing *commandFrom
	// rebuilt describes the last rebuild: from which snapshot, how many
	// events replayed.
	rebuiltFrom, replayed int64
}

type commandFrom struct {
	from   sim.NodeID
	cmd    eventstore.Command
	result CommandResult
}

func (s *accountService) Start(env sim.Env) {
	s.store = eventstore.Open(env.Disk())
	s.acct = eventstore.Account{}
	if snap, ok := s.store.LoadSnapshot(accountStream); ok {
		bal, _ := strconv.ParseInt(snap.State, 10, 64)
		s.acct = eventstore.Account{Open: true, Balance: bal, Version: snap.Version}
	}
	s.rebuiltFrom = s.acct.Version
	tail, err := s.store.Load(accountStream, s.acct.Version)
	if err != nil {
		env.Logf("cannot rebuild: %v", err)
		return
	}
	s.acct = eventstore.Replay(s.acct, tail, eventstore.ApplyAccount)
	s.replayed = int64(len(tail))
	env.Logf("rebuilt %s: snapshot at version %d + %d events replayed = balance %d (version %d)",
		accountStream, s.rebuiltFrom, s.replayed, s.acct.Balance, s.acct.Version)
}

func (s *accountService) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case ExecCommand:
		if b, done := env.Disk().Get("cmd/" + m.Cmd.ID); done {
			var r CommandResult
			fmt.Sscanf(string(b), "%t %d %d", &r.OK, &r.Version, &r.Balance)
			r.ID = m.Cmd.ID
			env.Send(from, r) // a retry of a command already answered
			return
		}
		s.pending = append(s.pending, commandFrom{from: from, cmd: m.Cmd})
		s.next(env)
	case fsync:
		s.onFsync(env)
	}
}

// next handles the next command, unless one is waiting for its fsync.
func (s *accountService) next(env sim.Env) {
	if s.syncing != nil || len(s.pending) == 0 {
		return
	}
	c := s.pending[0]
	s.pending = s.pending[1:]
	if _, done := env.Disk().Get("cmd/" + c.cmd.ID); done {
		s.next(env) // queued twice by a retry
		return
	}
	e, err := eventstore.DecideAccount(s.acct, c.cmd, env.Now())
	if err != nil {
		c.result = CommandResult{ID: c.cmd.ID, Refusal: err.Error(), Version: s.acct.Version, Balance: s.acct.Balance}
	} else {
		out, err := s.store.Append(accountStream, s.acct.Version, e)
		if err != nil {
			env.Logf("append refused: %v", err)
			return
		}
		s.acct = eventstore.ApplyAccount(s.acct, out[0])
		c.result = CommandResult{ID: c.cmd.ID, OK: true, Version: s.acct.Version, Balance: s.acct.Balance}
	}
	env.Disk().Put("cmd/"+c.cmd.ID, fmt.Appendf(nil, "%t %d %d", c.result.OK, c.result.Version, c.result.Balance))
	s.syncing = &c
	env.SetTimer(2*time.Millisecond, fsync{})
}

func (s *accountService) onFsync(env sim.Env) {
	c := s.syncing
	if c == nil {
		return
	}
	if c.result.OK && s.acct.Version%int64(s.snapEvery) == 0 {
		s.store.SaveSnapshot(accountStream, eventstore.Snapshot{Version: s.acct.Version, State: strconv.FormatInt(s.acct.Balance, 10)})
	}
	s.store.Sync()
	s.syncing = nil
	env.Send(c.from, c.result)
	s.next(env)
}

// Inspect shows the version, balance and the last rebuild.
func (s *accountService) Inspect() map[string]string {
	syncing := ""
	if s.syncing != nil {
		syncing = s.syncing.cmd.ID
	}
	return map[string]string{
		"version": strconv.FormatInt(s.acct.Version, 10), "balance": strconv.FormatInt(s.acct.Balance, 10),
		"awaiting fsync": syncing, "queued": strconv.Itoa(len(s.pending)),
		"rebuilt from": fmt.Sprintf("snapshot v%d + %d events", s.rebuiltFrom, s.replayed),
	}
}

// commandClient sends commands one at a time, again after a silence.
type commandClient struct {
	to      sim.NodeID
	cmds    []eventstore.Command
	next    int
	results []CommandResult // one per command, in order
	retries int
}

type resendCommand struct{ N int }

func (c *commandClient) Start(env sim.Env) { c.send(env) }

func (c *commandClient) send(env sim.Env) {
	if c.next >= len(c.cmds) {
		return
	}
	env.Send(c.to, ExecCommand{Cmd: c.cmds[c.next]})
	env.SetTimer(50*time.Millisecond, resendCommand{c.next})
}

func (c *commandClient) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case CommandResult:
		if c.next < len(c.cmds) && m.ID == c.cmds[c.next].ID {
			c.results = append(c.results, m)
			c.next++
			c.send(env)
		}
	case resendCommand:
		if m.N == c.next && c.next < len(c.cmds) {
			c.retries++
			c.send(env)
		}
	}
}

func setupEventSourcing(o scenarios.Options) (*scenarios.Run, error) {
	n, snapEvery, crashes := o.Knobs.Int("commands"), o.Knobs.Int("snapshot-every"), o.Knobs.Int("crashes")
	if crashes > n-4 {
		return nil, fmt.Errorf("crashes=%d with commands=%d: crash in at most commands-4 commands", crashes, n)
	}
	w, net, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 15))
	cmds := []eventstore.Command{{ID: "cmd-01", Type: "open"}, {ID: "cmd-02", Type: "deposit", Amount: 100}, {ID: "cmd-03", Type: "withdraw", Amount: 20},
		{ID: "cmd-04", Type: "withdraw", Amount: 100}} // 80 cannot cover it
	for i := 5; i <= n; i++ {
		c := eventstore.Command{ID: fmt.Sprintf("cmd-%02d", i), Type: "deposit", Amount: int64(10 + rng.IntN(50))}
		if rng.IntN(2) == 0 {
			c.Type, c.Amount = "withdraw", int64(10+rng.IntN(90))
		}
		cmds = append(cmds, c)
	}
	targets := map[string]bool{}
	for _, i := range rng.Perm(n - 4)[:crashes] {
		targets[cmds[i+4].ID] = true
	}
	w.AddNode("account", func() sim.Node { return &accountService{snapEvery: snapEvery} })
	w.AddClient("client", func() sim.Node { return &commandClient{to: "account", cmds: cmds} })
	crashed := map[string]bool{}
	var maxReplayed int64
	w.AfterStep(func() {
		s, ok := w.Node("account").(*accountService)
		if !ok || s.syncing == nil || !targets[s.syncing.cmd.ID] || crashed[s.syncing.cmd.ID] {
			return
		}
		id := s.syncing.cmd.ID
		crashed[id] = true
		w.Logf("account crashes with %s written, not yet synced", id)
		w.Crash("account")
		w.After(consumerRestartAfter, func() {
			w.Restart("account")
			w.After(time.Microsecond, func() {
				if s, ok := w.Node("account").(*accountService); ok {
					maxReplayed = max(maxReplayed, s.replayed)
				}
			})
		})
	})
	client := func() *commandClient { return w.Node("client").(*commandClient) }
	done := func() bool { return client().next == len(cmds) }

	finish := func() scenarios.Result {
		var r scenarios.Result
		var f firstErr
		c := client()
		store := eventstore.Open(w.Disk("account"))
		events, err := store.Load(accountStream, 0)
		if err != nil {
			f.failf("reading the event store: %v", err)
		}
		// Every acknowledged command has exactly one event; every event
		// belongs to an acknowledged command.
		perCmd := map[string]int{}
		for _, e := range events {
			perCmd[e.Command]++
		}
		accepted, refused := 0, 0
		for _, res := range c.results {
			switch {
			case res.OK && perCmd[res.ID] != 1:
				f.failf("%s was acknowledged and has %d events", res.ID, perCmd[res.ID])
			case !res.OK && perCmd[res.ID] != 0:
				f.failf("%s was refused and has an event", res.ID)
			}
			if res.OK {
				accepted++
			} else {
				refused++
			}
		}
		if len(events) != accepted {
			f.failf("%d events for %d acknowledged commands", len(events), accepted)
		}
		// The balance at every version, by replay.
		var a eventstore.Account
		minBalance := int64(0)
		for i, e := range events {
			a = eventstore.ApplyAccount(a, e)
			minBalance = min(minBalance, a.Balance)
			if i == 2 {
				r.Summary = append(r.Summary, fmt.Sprintf("balance after the seed's three events (%s %s, %s %s, %s %s): %d",
					events[0].Type, events[0].Data, events[1].Type, events[1].Data, events[2].Type, events[2].Data, a.Balance))
				if a.Balance != 80 {
					f.failf("the seed's example gave balance %d, not 80", a.Balance)
				}
			}
		}
		if minBalance < 0 {
			f.failf("the balance went down to %d", minBalance)
		}
		snap, hasSnap := store.LoadSnapshot(accountStream)
		fromSnap := eventstore.Account{}
		if hasSnap {
			bal, _ := strconv.ParseInt(snap.State, 10, 64)
			fromSnap = eventstore.Account{Open: true, Balance: bal, Version: snap.Version}
		}
		tail, _ := store.Load(accountStream, fromSnap.Version)
		fromSnap = eventstore.Replay(fromSnap, tail, eventstore.ApplyAccount)
		told := int64(0)
		if len(c.results) > 0 {
			told = c.results[len(c.results)-1].Balance
		}
		live := int64(-1)
		if s, ok := w.Node("account").(*accountService); ok {
			live = s.acct.Balance
		}
		r.Summary = append(r.Summary,
			fmt.Sprintf("%d commands: %d events, %d withdrawals refused (balance never below %d); %d crashes, %d commands sent again",
				len(cmds), len(events), refused, minBalance, len(crashed), c.retries),
			fmt.Sprintf("final balance: replay of all %d events %d, snapshot v%d + %d events %d, the service's state %d, last told to the client %d",
				len(events), a.Balance, snap.Version, len(tail), fromSnap.Balance, live, told),
			fmt.Sprintf("rebuilding after a restart replayed at most %d events (snapshot every %d)", maxReplayed, snapEvery))
		if a.Balance != fromSnap.Balance || a.Balance != live || a.Balance != told {
			f.failf("the balances disagree: replay %d, snapshot+tail %d, service %d, client %d", a.Balance, fromSnap.Balance, live, told)
		}
		if refused == 0 {
			f.failf("no withdrawal was refused: the invariant was never tested")
		}
		if len(crashed) < crashes {
			f.failf("only %d of %d crashes happened", len(crashed), crashes)
		}
		if maxReplayed >= int64(snapEvery) {
			f.failf("a rebuild replayed %d events, though a snapshot is taken every %d", maxReplayed, snapEvery)
		}
		// As of: the balance at a few past instants.
		if len(events) > 0 {
			first, last := events[0].At, events[len(events)-1].At
			for _, q := range []int{1, 2, 3} {
				t := first.Add(last.Sub(first) * time.Duration(q) / 4)
				as := eventstore.ReplayUntil(eventstore.Account{}, events, t, eventstore.ApplyAccount)
				r.Summary = append(r.Summary, fmt.Sprintf("as of %s: balance %d (version %d)", sim.FormatTime(t.Sub(sim.Epoch)), as.Balance, as.Version))
			}
		}
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: "events", Value: float64(len(events)), Unit: "events"},
			scenarios.Metric{Name: "refused", Value: float64(refused), Unit: "commands"},
			scenarios.Metric{Name: "balance", Value: float64(a.Balance), Unit: "money"},
			scenarios.Metric{Name: "min_balance", Value: float64(minBalance), Unit: "money"},
			scenarios.Metric{Name: "crashes", Value: float64(len(crashed)), Unit: "crashes"},
			scenarios.Metric{Name: "max_replayed", Value: float64(maxReplayed), Unit: "events"},
		)
		r.Err = f.err
		return r
	}
	return &scenarios.Run{World: w, Net: net, Done: done, Finish: finish}, nil
}
