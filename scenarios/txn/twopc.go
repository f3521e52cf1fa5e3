package txn

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/twopc"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "2pc",
		Summary: "two-phase commit, the happy path: prepare, vote yes, log the decision, commit everywhere",
		Doc: `A coordinator runs two transactions over three participants, p1, p2 and
p3, each holding one key. Phase one: the coordinator logs the transaction
and sends Prepare; each participant locks its key, writes a prepared record
to disk, syncs, and only then votes yes. Phase two: with every vote yes the
coordinator logs Commit, syncs, and sends Commit; participants apply the
write, release the lock and acknowledge.`,
		LookFor: `the order of disk syncs and messages in the trace (a promise is
durable before it is sent), two round trips per transaction, and the check
at the end that every participant committed both transactions.`,
		Chapter: "transactions",
		For:     time.Second,
		// The explorer crashes the coordinator wherever it can: right after
		// the last yes vote, before the decision, every participant blocks.
		Explore: &scenarios.Exploration{
			CheckProperty: true,
			Crashable:     []sim.NodeID{"coord"},
			Bounds:        explore.Bounds{Depth: 30, Crashes: 1, Deviations: 2, Horizon: 150 * time.Millisecond},
		},
		Setup: setup2PC,
	})
	scenarios.Register(scenarios.Scenario{
		Name:    "2pc-coordinator-crash",
		Summary: "the 2PC coordinator crashes after the votes: participants block, holding their locks, until it recovers",
		Doc: `Every participant votes yes on T1 and the coordinator crashes before it
can decide. The participants are uncertain: they promised to commit if told
to, so they may not abort, and someone may have voted no, so they may not
commit. They can only wait, keep their locks, and ask the coordinator every
100ms. Meanwhile T2, run by a second coordinator, needs key x: p1 refuses it,
because T1 holds x. After 1s the coordinator restarts, reads its log, finds
T1 begun but undecided, and aborts it (nobody can have committed it); the
locks are released and T3 on the same keys commits.`,
		LookFor: `"still uncertain" lines piling up, T2 refused, and the blocked
time in the summary: at least the coordinator's downtime. This is the
blocking problem of 2PC, and why three-phase commit and consensus-based
commit (Spanner, running 2PC over Paxos groups) exist.`,
		Chapter: "transactions",
		For:     2 * time.Second,
		Setup:   setup2PCCoordinatorCrash,
	})
	scenarios.Register(scenarios.Scenario{
		Name:    "2pc-participant-crash",
		Summary: "a 2PC participant crashes before voting: the coordinator's vote timeout aborts the transaction",
		Doc: `p3 crashes just before the Prepare for T1 reaches it. p1 and p2 vote yes
and wait; the coordinator waits 100ms for p3's vote, then decides Abort,
logs it and tells everyone. p1 and p2 release their locks at once: a
participant that never voted blocks nobody. The coordinator keeps sending
Abort to p3 until p3 restarts at 500ms and acknowledges it. T2, on p1 and
p2 only, commits while p3 is still down.`,
		LookFor: `how short p1 and p2 were blocked (about the vote timeout, not
p3's downtime), and the Abort re-sent to p3 until it comes back.`,
		Chapter: "transactions",
		For:     time.Second,
		Setup:   setup2PCParticipantCrash,
	})
	scenarios.Register(scenarios.Scenario{
		Name:    "2pc-timeout",
		Summary: "a slow 2PC participant votes too late: the coordinator has already timed out and aborted",
		Doc: `Every message to and from p3 takes 150ms longer than usual (a gray
failure: p3 is up, only slow). p3 votes yes on T1, but its vote arrives after
the coordinator's 100ms vote timeout: the coordinator has decided Abort,
and ignores the late yes. p3, prepared, holds its lock until the Abort
reaches it. At 500ms p3 is fast again and T2 commits everywhere.`,
		LookFor: `"no vote from p3 within 100ms", the late Vote arriving after the
decision, and p3's lock held for a round trip of its slow link.`,
		Chapter: "transactions",
		For:     time.Second,
		Setup:   setup2PCTimeout,
	})
}

var twoPCParticipants = []sim.NodeID{"p1", "p2", "p3"}

// twoPC is the stage of the 2pc scenarios: coordinators "coord" and
// "coord2", participants p1..p3 holding keys x, y, z, and a client that
// begins transactions and records their outcomes. Atomicity is checked
// after every event.
type twoPC struct {
	w   *sim.World
	net *network.Model
	// txns are the transactions begun, in order.
	txns      []*txnRun
	violation error
	// blocking is the first moment a transaction blocked (checkBlocking).
	blocking error
	opts     scenarios.Options
}

type txnRun struct {
	id       string
	coord    sim.NodeID
	writes   []twopc.Write
	begunAt  time.Duration
	endedAt  time.Duration // when the client heard the outcome; 0 if not
	outcome  twopc.Outcome
	answered bool
}

func new2PC(o scenarios.Options, pc twopc.ParticipantConfig) (*twoPC, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: 2 * time.Millisecond, Max: 8 * time.Millisecond},
	}})
	if err != nil {
		return nil, err
	}
	c := &twoPC{net: net, opts: o}
	c.w = sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer, LoseUnsyncedWrites: true})
	for _, id := range []sim.NodeID{"coord", "coord2"} {
		c.w.AddNode(id, func() sim.Node { return twopc.NewCoordinator(twopc.DefaultConfig()) })
	}
	for _, id := range twoPCParticipants {
		c.w.AddNode(id, func() sim.Node { return twopc.NewParticipant(pc) })
	}
	c.w.AddClient("client", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
			o, ok := msg.(twopc.Outcome)
			if !ok {
				return
			}
			for _, t := range c.txns {
				if t.id == o.Txn && !t.answered {
					t.answered, t.outcome, t.endedAt = true, o, c.w.Now()
					env.Logf("%s %s after %s", o.Txn, o.Decision, sim.FormatTime(t.endedAt-t.begunAt))
				}
			}
		})
	})
	c.w.AfterStep(c.checkAtomicity)
	return c, nil
}

// begin has the client start txn at coord at time at, writing value to the
// given keys ("p1:x" means key x at p1).
func (c *twoPC) begin(at time.Duration, coord sim.NodeID, txn, value string, keys ...string) *txnRun {
	t := &txnRun{id: txn, coord: coord}
	for _, k := range keys {
		p, key, _ := strings.Cut(k, ":")
		t.writes = append(t.writes, twopc.Write{Participant: sim.NodeID(p), Key: key, Value: value})
	}
	c.txns = append(c.txns, t)
	c.w.At(at, func() {
		t.begunAt = c.w.Now()
		_ = c.w.Exec("client", func(_ sim.Node, env sim.Env) {
			env.Logf("begins %s at %s: %s", txn, coord, strings.Join(keys, " "))
			env.Send(coord, twopc.Begin{Txn: txn, Writes: t.writes})
		})
	})
	return t
}

func (t *txnRun) participants() []sim.NodeID {
	out := make([]sim.NodeID, len(t.writes))
	for i, w := range t.writes {
		out[i] = w.Participant
	}
	return out
}

func (c *twoPC) disk(id sim.NodeID) sim.Disk { return c.w.Disk(id) }

// checkAtomicity runs after every event: no transaction may ever be
// committed at one participant and aborted at another.
func (c *twoPC) checkAtomicity() {
	if c.violation != nil {
		return
	}
	for _, t := range c.txns {
		if _, err := twopc.CheckAtomicity(t.id, t.participants(), c.disk); errors.Is(err, twopc.ErrNotAtomic) {
			c.violation = fmt.Errorf("at %s: %w", sim.FormatTime(c.w.Now()), err)
			c.w.Logf("VIOLATION: %v", err)
		}
	}
}

// checkBlocking runs after every event of the happy path: it records the
// first moment a transaction's participants have all voted yes, none knows
// the decision, and the coordinator, the only node that does, is down. They
// can do nothing but wait. 2PC allows this, so the run only reports it; the
// explorer looks for it (Run.Property).
func (c *twoPC) checkBlocking() {
	if c.blocking != nil {
		return
	}
	for _, t := range c.txns {
		if c.w.Up(t.coord) {
			continue
		}
		ps := t.participants()
		all := len(ps) > 0
		for _, p := range ps {
			if !twopc.IsPrepared(c.disk(p), t.id) {
				all = false
			}
		}
		if all {
			c.blocking = fmt.Errorf("at %s: %s is blocked: %s all voted yes and %s, the only node that knows the decision, is down",
				sim.FormatTime(c.w.Now()), t.id, joinIDs(ps), t.coord)
			c.w.Logf("BLOCKED: %v", c.blocking)
			return
		}
	}
}

// firstViolation is the run's safety verdict so far, for the explorer.
func (c *twoPC) firstViolation() error { return c.violation }

// firstBlocking is the first time a transaction blocked, for the explorer.
func (c *twoPC) firstBlocking() error { return c.blocking }

// finish checks every transaction ended atomically with the expected
// decision, and writes the table of transactions. When the learner's
// schedule changed the story, it checks atomicity only, says so, and
// returns false: the caller skips the scripted lesson's checks.
func (c *twoPC) finish(r *scenarios.Result, want map[string]twopc.Decision) (scripted bool) {
	fail := func(err error) {
		if r.Err == nil {
			r.Err = err
		}
	}
	if c.violation != nil {
		fail(c.violation)
	}
	var undecided []string
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "txn\tcoordinator\tparticipants\tdecision\ttime to outcome\treason")
	for _, t := range c.txns {
		d, err := twopc.CheckAtomicity(t.id, t.participants(), c.disk)
		switch {
		case errors.Is(err, twopc.ErrUndecided) && !c.opts.Scripted():
			// A participant your schedule kept down, or cut off, never
			// learned the outcome: 2PC blocks, it does not break. Only
			// two different decisions (ErrNotAtomic) would be unsafe.
			undecided = append(undecided, err.Error())
		case err != nil:
			fail(err)
		case c.opts.Scripted() && d != want[t.id]:
			fail(fmt.Errorf("%s %s, want %s", t.id, d, want[t.id]))
		}
		took := "no answer"
		if t.answered {
			took = sim.FormatTime(t.endedAt - t.begunAt)
		}
		reason := t.outcome.Reason
		if reason == "" {
			reason = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.id, t.coord, joinIDs(t.participants()), d, took, reason)
	}
	tw.Flush()
	r.Summary = append(r.Summary, strings.Split(strings.TrimRight(b.String(), "\n"), "\n")...)
	switch {
	case r.Err == nil && len(undecided) == 0:
		r.Summary = append(r.Summary, "atomic: for every transaction, all participants committed or all aborted (checked after every event)")
	case r.Err == nil:
		r.Summary = append(r.Summary, "safe: no two participants decided a transaction differently (checked after every event)")
	}
	r.Metrics = append(r.Metrics, scenarios.Metric{Name: "messages", Value: float64(c.w.Stats().Sent), Unit: "msgs"})
	for _, u := range undecided {
		r.Summary = append(r.Summary, "blocked, not broken: "+u)
	}
	if !c.opts.Scripted() {
		r.Summary = append(r.Summary, scenarios.Unscripted(c.opts.Printer, c.opts)...)
		return false
	}
	return true
}

// blocked is how long participant p waited uncertain on txn.
func (c *twoPC) blocked(p sim.NodeID, txn string) time.Duration {
	out, _ := twopc.ReadOutcome(c.disk(p), txn)
	return out.Blocked
}

func joinIDs(ids []sim.NodeID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ",")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func setup2PC(o scenarios.Options) (*scenarios.Run, error) {
	c, err := new2PC(o, twopc.ParticipantConfig{})
	if err != nil {
		return nil, err
	}
	t1 := c.begin(10*time.Millisecond, "coord", "T1", "1", "p1:x", "p2:y", "p3:z")
	c.begin(200*time.Millisecond, "coord", "T2", "2", "p1:x", "p2:y", "p3:z")
	c.w.AfterStep(c.checkBlocking)
	return &scenarios.Run{World: c.w, Net: c.net, Violation: c.firstViolation, Property: c.firstBlocking, Finish: func() scenarios.Result {
		var r scenarios.Result
		if c.blocking != nil {
			// Not a failure: 2PC is allowed to block, and only a learner's
			// schedule (or the explorer's) can crash this coordinator.
			r.Summary = append(r.Summary, "BLOCKED "+c.blocking.Error())
		}
		if !c.finish(&r, map[string]twopc.Decision{"T1": twopc.Committed, "T2": twopc.Committed}) {
			return r
		}
		for _, p := range twoPCParticipants {
			for _, k := range []string{"x", "y", "z"} {
				if v, ok := twopc.ReadData(c.disk(p), k); ok && v != "2" && r.Err == nil {
					r.Err = fmt.Errorf("%s has %s=%s after T2 committed", p, k, v)
				}
			}
		}
		if t1.answered {
			r.Metrics = append(r.Metrics, scenarios.Metric{Name: "commit_latency", Value: ms(t1.endedAt - t1.begunAt), Unit: "ms"})
		}
		return r
	}}, nil
}

func setup2PCCoordinatorCrash(o scenarios.Options) (*scenarios.Run, error) {
	c, err := new2PC(o, twopc.ParticipantConfig{AskEvery: 100 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	const downtime = time.Second
	c.begin(10*time.Millisecond, "coord", "T1", "1", "p1:x", "p2:y", "p3:z")
	var crashedAt, restartedAt time.Duration
	var t2, t3 *txnRun
	// Crash the coordinator the moment every participant has voted yes:
	// the votes are on their way, the decision not yet made.
	c.w.AfterStep(func() {
		if crashedAt != 0 {
			return
		}
		for _, p := range twoPCParticipants {
			if !twopc.IsPrepared(c.disk(p), "T1") {
				return
			}
		}
		crashedAt = c.w.Now()
		c.w.Logf("every participant voted yes on T1; the coordinator crashes before deciding")
		c.w.Crash("coord")
		c.w.After(downtime, func() {
			restartedAt = c.w.Now()
			c.w.Logf("coord restarts after %s down", sim.FormatTime(downtime))
			c.w.Restart("coord")
		})
	})
	t2 = c.begin(300*time.Millisecond, "coord2", "T2", "2", "p1:x", "p2:w")
	t3 = c.begin(1500*time.Millisecond, "coord2", "T3", "3", "p1:x", "p2:y", "p3:z")
	return &scenarios.Run{World: c.w, Net: c.net, Finish: func() scenarios.Result {
		var r scenarios.Result
		if !c.finish(&r, map[string]twopc.Decision{"T1": twopc.Aborted, "T2": twopc.Aborted, "T3": twopc.Committed}) {
			return r
		}
		if crashedAt == 0 || restartedAt == 0 {
			r.Err = errors.Join(r.Err, errors.New("the coordinator was never crashed and restarted"))
			return r
		}
		minB, maxB := time.Duration(1<<62), time.Duration(0)
		for _, p := range twoPCParticipants {
			b := c.blocked(p, "T1")
			minB, maxB = min(minB, b), max(maxB, b)
		}
		r.Summary = append(r.Summary,
			fmt.Sprintf("coord was down %s (from %s); p1, p2, p3 were blocked on T1, holding x, y, z, for %s to %s",
				sim.FormatTime(restartedAt-crashedAt), sim.FormatTime(crashedAt), sim.FormatTime(minB), sim.FormatTime(maxB)))
		if minB < restartedAt-crashedAt && r.Err == nil {
			r.Err = fmt.Errorf("a participant was blocked %s, less than the coordinator's downtime %s", minB, restartedAt-crashedAt)
		}
		if !strings.Contains(t2.outcome.Reason, "locked by T1") && r.Err == nil {
			r.Err = fmt.Errorf("T2 was not refused for T1's lock: %q", t2.outcome.Reason)
		}
		if t2.answered && t3.answered {
			r.Summary = append(r.Summary, fmt.Sprintf("T2 was refused while T1 held x; T3 on the same keys committed %s after coord recovered",
				sim.FormatTime(t3.endedAt-restartedAt)))
		}
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: "coordinator_downtime", Value: ms(restartedAt - crashedAt), Unit: "ms"},
			scenarios.Metric{Name: "min_blocked", Value: ms(minB), Unit: "ms"},
			scenarios.Metric{Name: "max_blocked", Value: ms(maxB), Unit: "ms"},
		)
		return r
	}}, nil
}

func setup2PCParticipantCrash(o scenarios.Options) (*scenarios.Run, error) {
	c, err := new2PC(o, twopc.ParticipantConfig{})
	if err != nil {
		return nil, err
	}
	c.begin(10*time.Millisecond, "coord", "T1", "1", "p1:x", "p2:y", "p3:z")
	// The Begin reaches coord at 12ms at the earliest, so no Prepare can
	// have reached p3 yet.
	const crashAt, restartAt = 11 * time.Millisecond, 500 * time.Millisecond
	c.w.At(crashAt, func() {
		c.w.Logf("p3 crashes before the Prepare for T1 reaches it")
		c.w.Crash("p3")
	})
	c.w.At(restartAt, func() {
		c.w.Logf("p3 restarts")
		c.w.Restart("p3")
	})
	t2 := c.begin(300*time.Millisecond, "coord", "T2", "2", "p1:x", "p2:y")
	return &scenarios.Run{World: c.w, Net: c.net, Finish: func() scenarios.Result {
		var r scenarios.Result
		if !c.finish(&r, map[string]twopc.Decision{"T1": twopc.Aborted, "T2": twopc.Committed}) {
			return r
		}
		b1, b2 := c.blocked("p1", "T1"), c.blocked("p2", "T1")
		r.Summary = append(r.Summary, fmt.Sprintf("p1 and p2 voted yes and were blocked %s and %s: about the vote timeout, not p3's %s downtime",
			sim.FormatTime(b1), sim.FormatTime(b2), sim.FormatTime(restartAt-crashAt)))
		if t2.answered {
			r.Summary = append(r.Summary, fmt.Sprintf("T2 on x and y committed at %s, while p3 was still down", sim.FormatTime(t2.endedAt)))
		}
		r.Metrics = append(r.Metrics, scenarios.Metric{Name: "max_blocked", Value: ms(max(b1, b2)), Unit: "ms"})
		return r
	}}, nil
}

func setup2PCTimeout(o scenarios.Options) (*scenarios.Run, error) {
	c, err := new2PC(o, twopc.ParticipantConfig{})
	if err != nil {
		return nil, err
	}
	if err := c.net.Slow("p3", network.Constant(150*time.Millisecond)); err != nil {
		return nil, err
	}
	c.begin(10*time.Millisecond, "coord", "T1", "1", "p1:x", "p2:y", "p3:z")
	c.w.At(500*time.Millisecond, func() { c.net.Reset() })
	c.begin(600*time.Millisecond, "coord", "T2", "2", "p1:x", "p2:y", "p3:z")
	return &scenarios.Run{World: c.w, Net: c.net, Finish: func() scenarios.Result {
		var r scenarios.Result
		if !c.finish(&r, map[string]twopc.Decision{"T1": twopc.Aborted, "T2": twopc.Committed}) {
			return r
		}
		b3 := c.blocked("p3", "T1")
		r.Summary = append(r.Summary, fmt.Sprintf("p3 voted yes, too late to count, and held z for %s until the Abort crossed its slow link", sim.FormatTime(b3)))
		if !strings.Contains(c.txns[0].outcome.Reason, "no vote from p3") && r.Err == nil {
			r.Err = fmt.Errorf("T1 did not abort on the vote timeout: %q", c.txns[0].outcome.Reason)
		}
		r.Metrics = append(r.Metrics, scenarios.Metric{Name: "p3_blocked", Value: ms(b3), Unit: "ms"})
		return r
	}}, nil
}
