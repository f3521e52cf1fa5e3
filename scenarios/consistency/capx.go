package consistency

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
	"github.com/dsimlab/dsim/storage/quorum"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "cap-exercise",
		Summary: "exercise 1: bank balance, follower count, seat reservation, news comments and a distributed lock, each on a CP and an AP store under the same partition: what goes wrong, what is merely unavailable",
		Doc: `The course's exercise 1 asks: CP or AP, and why, for five systems —
an online bank's balance, a follower count, airline seat reservation, a news
site's comments, and a distributed lock (leader election). The hint: think
of the worst thing that happens when consistency breaks. Here it happens.

Two stores of three servers each run in two worlds: CP is the Raft KV
(consensus/rsm on consensus/raft, with compare-and-set); AP is the
Dynamo-style quorum store (storage/quorum, W=1, R=1, sloppy quorum: it
always answers; it has no compare-and-set, so "if free, take it" is a read
and then a write). At 300ms the keys are set up (balance 100, 1000
followers, seat 14A free, no comments, lock free). From 1s to 4s the
network splits both worlds the same way: n1 and one client per system on
the minority side; n2, n3 and another client per system on the majority
side. During the split both sides use each system:

  bank       majority withdraws 80 (1.5s); minority reads the balance
             (2s) and withdraws 80 (2.2s)
  followers  majority follows 5 times, minority 3 times; both read (3s)
  seat       majority books 14A for bob (1.5s), minority for alice (1.6s)
  comments   each side posts a comment (1.5s, 1.6s) and reads (3s)
  lock       each side tries to take the lock (1.5s, 1.6s)

At 4.5s, after the heal, every client reads its key (on the AP store that
read also repairs replicas that missed writes: read repair), and reads it
again at 4.8s: the final state. A client gives up on an operation after
600ms: "unavailable".`,
		LookFor: `The table, one row per system and store. CP: on the minority side every
operation is unavailable, and nothing is ever wrong: one withdrawal, one
booking, one lock holder, the follower count exact. AP: everything is
answered, and: the minority reads a stale balance (100, when it is 20) and
withdraws 80 more — 160 paid out of 100; the follower count each side shows
is off by the other side's follows (and after the heal the replicas hold
two versions, each missing some follows); seat 14A is sold twice; two
clients hold the lock at once. Comments are the AP case that is merely
late: each side sees its own until the heal, then both. So: a bank
balance, seats and locks want CP (a wrong answer costs money or safety);
follower counts and comments can be AP (a stale or slightly wrong number
is fine, and being down is not).`,
		Chapter: "consistency",
		For:     5 * time.Second,
		Setup:   setupCAPX,
	})
}

const (
	capxInit, capxCut, capxHeal = 300 * time.Millisecond, time.Second, 4 * time.Second
	capxRepair, capxFinal       = 4500 * time.Millisecond, 4800 * time.Millisecond
	capxGiveUp                  = 600 * time.Millisecond
)

var capxSystems = []string{"bank", "followers", "seat", "comments", "lock"}

// kvOp is one operation of a client action: get, put, cas (CP only) or
// append (CP only; the AP client reads and writes instead).
type kvOp struct {
	Kind, Key, Expected, Value string
}

// kvRes is its answer. Values are what a get returned: one value, or
// several siblings on the AP store.
type kvRes struct {
	OK      bool // answered (false: the client gave up: unavailable)
	Values  []string
	Swapped bool // cas: it swapped
}

func (r kvRes) value() string {
	if len(r.Values) == 0 {
		return ""
	}
	return r.Values[0]
}

// step continues an action with the answer to its last operation: the next
// operation, or nil and the action's outcome.
type step func(r kvRes) (*kvOp, string)

// capxAction is something a client does at a time.
type capxAction struct {
	at    time.Duration
	name  string
	first kvOp
	next  step
}

// capxDone is an action's result, as the client saw it.
type capxDone struct {
	name, outcome string
	at, end       time.Duration
	values        []string // what its last get returned
}

type actionTick struct{ I int }

// driver runs a client's actions one at a time, through a store-specific
// send.
type driver struct {
	actions []capxAction
	clock   func() time.Duration
	cur     int // the action running, or -1
	started time.Duration
	last    kvRes
	queue   []int // actions due while another ran
	done    []capxDone
}

func (d *driver) start(env sim.Env) {
	d.cur = -1
	for i, a := range d.actions {
		env.SetTimer(a.at, actionTick{I: i})
	}
}

// due starts action i, or queues it.
func (d *driver) due(env sim.Env, i int, send func(sim.Env, kvOp)) {
	if d.cur >= 0 {
		d.queue = append(d.queue, i)
		return
	}
	d.cur, d.started = i, d.clock()
	send(env, d.actions[i].first)
}

// answer feeds the answer to the running action's operation.
func (d *driver) answer(env sim.Env, r kvRes, send func(sim.Env, kvOp)) {
	a := d.actions[d.cur]
	if r.OK && len(r.Values) > 0 {
		d.last = r
	}
	var op *kvOp
	outcome := "unavailable"
	if r.OK {
		op, outcome = a.next(r)
	}
	if op != nil {
		send(env, *op)
		return
	}
	d.done = append(d.done, capxDone{name: a.name, outcome: outcome, at: d.started, end: d.clock(), values: r.Values})
	d.cur = -1
	if len(d.queue) > 0 {
		i := d.queue[0]
		d.queue = d.queue[1:]
		d.due(env, i, send)
	}
}

// cpClient talks to the Raft KV: it finds the leader, retries, and gives
// up after capxGiveUp.
type cpClient struct {
	driver
	giveUp   time.Duration
	id       string
	servers  []sim.NodeID
	leader   int
	seq      uint64
	attempt  uint64
	op       kvOp
	opStart  time.Duration
	inFlight bool
}

type cpRetry struct{ Seq, Attempt uint64 }

func (c *cpClient) Start(env sim.Env) {
	c.id, c.servers = string(env.ID()), slices.Clone(env.Peers())
	c.start(env)
}

func (c *cpClient) send(env sim.Env, op kvOp) {
	c.seq++
	c.op, c.opStart, c.inFlight = op, c.clock(), true
	c.try(env)
}

func (c *cpClient) try(env sim.Env) {
	if c.clock()-c.opStart >= c.giveUp {
		c.inFlight = false
		c.answer(env, kvRes{}, c.send)
		return
	}
	var cmd kv.Op
	switch c.op.Kind {
	case "get":
		cmd = kv.Get(c.op.Key)
	case "put":
		cmd = kv.Put(c.op.Key, c.op.Value)
	case "cas":
		cmd = kv.CompareAndSet(c.op.Key, c.op.Expected, c.op.Value)
	case "append":
		cmd = kv.Append(c.op.Key, c.op.Value)
	}
	c.attempt++
	env.Send(c.servers[c.leader], rsm.ClientRequest{ClientID: c.id, Seq: c.seq, Op: cmd.Encode()})
	env.SetTimer(100*time.Millisecond, cpRetry{Seq: c.seq, Attempt: c.attempt})
}

func (c *cpClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case actionTick:
		c.due(env, m.I, c.send)
	case rsm.ClientReply:
		if !c.inFlight || m.Seq != c.seq {
			return
		}
		if m.Err == rsm.ErrWrongLeader {
			if i := slices.Index(c.servers, m.Leader); i >= 0 && m.Leader != from {
				c.leader = i
				c.try(env)
			}
			return // else wait for the retry timer
		}
		res, err := kv.DecodeResult(m.Result)
		if err != nil || m.Err != rsm.OK {
			return
		}
		c.inFlight = false
		c.leader = slices.Index(c.servers, from)
		c.answer(env, kvRes{OK: true, Values: []string{res.Value}, Swapped: res.OK}, c.send)
	case cpRetry:
		if c.inFlight && m.Seq == c.seq && m.Attempt == c.attempt {
			c.leader = (c.leader + 1) % len(c.servers)
			c.try(env)
		}
	}
}

func (c *cpClient) Inspect() map[string]string {
	return map[string]string{"actions done": strconv.Itoa(len(c.done)), "leader guess": string(c.servers[c.leader])}
}

// apClient drives the quorum store's client.
type apClient struct {
	driver
	qc   *quorum.Client
	seen int // records of qc handled
}

func (c *apClient) Start(env sim.Env) { c.qc.Start(env); c.start(env) }

func (c *apClient) send(env sim.Env, op kvOp) {
	q := quorum.Op{Kind: check.KVGet, Key: op.Key}
	if op.Kind == "put" {
		q = quorum.Op{Kind: check.KVPut, Key: op.Key, Value: op.Value}
	}
	if err := c.qc.Do(env, q); err != nil {
		panic(err) // one operation at a time, by construction
	}
}

func (c *apClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if t, ok := msg.(actionTick); ok {
		c.due(env, t.I, c.send)
		return
	}
	c.qc.Receive(env, from, msg)
	recs := c.qc.Records()
	for c.seen < len(recs) {
		r := recs[c.seen]
		c.seen++
		c.answer(env, kvRes{OK: r.OK, Values: r.Siblings.Values()}, c.send)
	}
}

func (c *apClient) Inspect() map[string]string {
	return map[string]string{"actions done": strconv.Itoa(len(c.done))}
}

// capxScript gives the actions of the client of system on one side of
// one store: the same intent, with compare-and-set where the store has it.
func capxScript(system string, majority, cp bool) []capxAction {
	me := "minority"
	if majority {
		me = "majority"
	}
	get := func(key string) kvOp { return kvOp{Kind: "get", Key: key} }
	read := func(at time.Duration, name, key string) capxAction {
		return capxAction{at: at, name: name, first: get(key), next: func(r kvRes) (*kvOp, string) { return nil, "read " + strings.Join(r.Values, "|") }}
	}
	// takeIfFree writes who into key if it reads as free: one cas on CP,
	// a read and then a write on AP.
	takeIfFree := func(at time.Duration, name, key, who string) capxAction {
		if cp {
			return capxAction{at: at, name: name, first: kvOp{Kind: "cas", Key: key, Expected: "", Value: who},
				next: func(r kvRes) (*kvOp, string) {
					if r.Swapped {
						return nil, "taken"
					}
					return nil, "refused: held by " + r.value()
				}}
		}
		wrote := false
		return capxAction{at: at, name: name, first: get(key), next: func(r kvRes) (*kvOp, string) {
			if wrote {
				return nil, "taken"
			}
			if strings.Join(r.Values, "") != "" {
				return nil, "refused: held by " + strings.Join(r.Values, "|")
			}
			wrote = true
			return &kvOp{Kind: "put", Key: key, Value: who}, ""
		}}
	}
	// update reads key as a number and writes f(number) back: with cas on
	// CP (retrying if it lost a race), blindly on AP.
	update := func(at time.Duration, name, key string, f func(int) (int, bool)) capxAction {
		var read string
		phase := 0 // 0: read, 1: written
		next := func(r kvRes) (*kvOp, string) {
			if phase == 1 {
				if cp && !r.Swapped {
					phase = 0
					return &kvOp{Kind: "get", Key: key}, "" // lost a race: read again
				}
				return nil, "done"
			}
			read = r.value()
			if len(r.Values) > 1 { // siblings: take the largest, as an app might
				read = slices.MaxFunc(r.Values, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
			}
			n, _ := strconv.Atoi(read)
			v, ok := f(n)
			if !ok {
				return nil, "declined"
			}
			phase = 1
			if cp {
				return &kvOp{Kind: "cas", Key: key, Expected: read, Value: strconv.Itoa(v)}, ""
			}
			return &kvOp{Kind: "put", Key: key, Value: strconv.Itoa(v)}, ""
		}
		return capxAction{at: at, name: name, first: get(key), next: next}
	}
	comment := func(at time.Duration, text string) capxAction {
		if cp {
			return capxAction{at: at, name: "comment", first: kvOp{Kind: "append", Key: "comments", Value: text + ";"},
				next: func(kvRes) (*kvOp, string) { return nil, "posted" }}
		}
		wrote := false
		return capxAction{at: at, name: "comment", first: get("comments"), next: func(r kvRes) (*kvOp, string) {
			if wrote {
				return nil, "posted"
			}
			wrote = true
			return &kvOp{Kind: "put", Key: "comments", Value: mergeComments(r.Values) + text + ";"}, ""
		}}
	}
	put := func(at time.Duration, key, v string) capxAction {
		return capxAction{at: at, name: "set up", first: kvOp{Kind: "put", Key: key, Value: v}, next: func(kvRes) (*kvOp, string) { return nil, "done" }}
	}
	var acts []capxAction
	ms := time.Millisecond
	switch system {
	case "bank":
		withdraw := update(0, "withdraw 80", "balance", func(b int) (int, bool) { return b - 80, b >= 80 })
		if majority {
			acts = []capxAction{put(capxInit, "balance", "100"), withdraw}
			acts[1].at = 1500 * ms
		} else {
			withdraw.at = 2200 * ms
			acts = []capxAction{read(2000*ms, "read balance", "balance"), withdraw}
		}
	case "followers":
		follow := func(at time.Duration) capxAction {
			return update(at, "follow", "followers", func(n int) (int, bool) { return n + 1, true })
		}
		if majority {
			acts = append(acts, put(capxInit, "followers", "1000"))
			for i := range 5 {
				acts = append(acts, follow(1200*ms+time.Duration(i)*300*ms))
			}
		} else {
			for i := range 3 {
				acts = append(acts, follow(1300*ms+time.Duration(i)*300*ms))
			}
		}
		acts = append(acts, read(3000*ms, "read count", "followers"))
	case "seat":
		if majority {
			acts = []capxAction{put(capxInit, "seat-14A", ""), takeIfFree(1500*ms, "book 14A", "seat-14A", "bob")}
		} else {
			acts = []capxAction{takeIfFree(1600*ms, "book 14A", "seat-14A", "alice")}
		}
	case "comments":
		if majority {
			acts = []capxAction{put(capxInit, "comments", ""), comment(1500*ms, "great article")}
		} else {
			acts = []capxAction{comment(1600*ms, "typo in para 2")}
		}
		acts = append(acts, read(3000*ms, "read comments", "comments"))
	case "lock":
		if majority {
			acts = []capxAction{put(capxInit, "lock", ""), takeIfFree(1500*ms, "acquire", "lock", "worker-"+me)}
		} else {
			acts = []capxAction{takeIfFree(1600*ms, "acquire", "lock", "worker-"+me)}
		}
	}
	key := map[string]string{"bank": "balance", "followers": "followers", "seat": "seat-14A", "comments": "comments", "lock": "lock"}[system]
	// after the heal: a first read, whose coordinator repairs the replicas
	// that answered with less (read repair), then the final read
	return append(acts, read(capxRepair, "read after the heal", key), read(capxFinal, "final read", key))
}

// mergeComments joins sibling comment lists into one, each comment once,
// in order of first appearance.
func mergeComments(lists []string) string {
	var out []string
	for _, l := range lists {
		for _, c := range strings.Split(l, ";") {
			if c != "" && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, ";") + ";"
}

// capxWorld is one store's world: three servers and, per system, a client
// on each side.
type capxWorld struct {
	w       *sim.World
	net     *network.Model
	clients map[string]*driver // by system + "/" + side
}

func newCAPXWorld(o scenarios.Options, cp bool, tracer sim.Tracer) (*capxWorld, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: tracer})
	cw := &capxWorld{w: w, net: net, clients: map[string]*driver{}}
	store := quorum.DefaultConfig()
	store.N, store.W, store.R, store.SloppyQuorum = 3, 1, 1, true
	rc := raft.DefaultConfig()
	for _, id := range []sim.NodeID{"n1", "n2", "n3"} {
		if cp {
			w.AddNode(id, func() sim.Node {
				return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return raft.New(rc, app) }, kv.New())
			})
		} else {
			w.AddNode(id, func() sim.Node {
				s, err := quorum.NewServer(store)
				if err != nil {
					panic(err) // the default config, edited validly
				}
				return s
			})
		}
	}
	for _, sys := range capxSystems {
		for _, majority := range []bool{false, true} {
			side := "minority"
			if majority {
				side = "majority"
			}
			id := sim.NodeID(sys + "-" + side)
			d := driver{actions: capxScript(sys, majority, cp), clock: w.Now}
			if cp {
				c := &cpClient{driver: d, giveUp: capxGiveUp}
				cw.clients[sys+"/"+side] = &c.driver
				w.AddClient(id, func() sim.Node { return c })
				continue
			}
			qc, err := quorum.NewClient(quorum.ClientConfig{Clock: w.Now, N: 3, VNodes: store.VNodes, RetryTimeout: 150 * time.Millisecond, Attempts: 4})
			if err != nil {
				return nil, err
			}
			c := &apClient{driver: d, qc: qc}
			cw.clients[sys+"/"+side] = &c.driver
			w.AddClient(id, func() sim.Node { return c })
		}
	}
	var minority, majority []sim.NodeID
	minority = append(minority, "n1")
	majority = append(majority, "n2", "n3")
	for _, sys := range capxSystems {
		minority = append(minority, sim.NodeID(sys+"-minority"))
		majority = append(majority, sim.NodeID(sys+"-majority"))
	}
	w.At(capxCut, func() {
		w.Logf("partition: %v | %v", minority, majority)
		_ = net.Partition(minority, majority) // known nodes
	})
	w.At(capxHeal, func() { w.Logf("the partition heals"); net.Heal() })
	return cw, nil
}

func setupCAPX(o scenarios.Options) (*scenarios.Run, error) {
	ap, err := newCAPXWorld(o, false, o.Tracer)
	if err != nil {
		return nil, err
	}
	cp, err := newCAPXWorld(o, true, nil)
	if err != nil {
		return nil, err
	}
	lockstep(ap.w, cp.w, 10*time.Millisecond)
	ap.w.At(0, func() {
		ap.w.Logf("AP: the quorum store (W=1, R=1, sloppy quorum) in this world; CP: the Raft KV in a shadow world")
	})
	return &scenarios.Run{World: ap.w, Net: ap.net, Finish: func() scenarios.Result {
		cp.w.RunFor(ap.w.Now() - cp.w.Now())
		return finishCAPX(cp, ap)
	}}, nil
}

// capxVerdict is what one system on one store did.
type capxVerdict struct {
	unavailable int    // actions that got no answer, both sides
	short       string // what went wrong, in two words, "" if nothing
	wrong       string // what went wrong, "" if nothing
	note        string // what a reader should know besides
	bad         bool
	count       int    // the system's telling number: paid, off by, holders, comments visible
	countName   string // and its metric name
}

func (cw *capxWorld) done(sys, side string) []capxDone { return cw.clients[sys+"/"+side].done }

func outcomes(ds []capxDone, name string) []capxDone {
	var out []capxDone
	for _, d := range ds {
		if d.name == name {
			out = append(out, d)
		}
	}
	return out
}

func judge(cw *capxWorld, sys string) capxVerdict {
	var v capxVerdict
	min, maj := cw.done(sys, "minority"), cw.done(sys, "majority")
	for _, d := range append(slices.Clone(min), maj...) {
		if d.outcome == "unavailable" && d.at >= capxCut && d.at < capxHeal {
			v.unavailable++
		}
	}
	final := func(side string) string {
		f := outcomes(cw.done(sys, side), "final read")
		if len(f) == 0 || len(f[0].values) == 0 {
			return "?"
		}
		return strings.Join(f[0].values, "|")
	}
	switch sys {
	case "bank":
		paid := 0
		for _, d := range append(outcomes(min, "withdraw 80"), outcomes(maj, "withdraw 80")...) {
			if d.outcome == "done" {
				paid += 80
			}
		}
		stale := ""
		if r := outcomes(min, "read balance"); len(r) > 0 && r[0].outcome != "unavailable" && outcomes(maj, "withdraw 80")[0].outcome == "done" &&
			strings.Contains(r[0].outcome, "100") {
			stale = fmt.Sprintf("the minority read a stale balance (%s) after the majority's withdrawal; ", strings.TrimPrefix(r[0].outcome, "read "))
		}
		if paid > 100 {
			v.bad, v.short, v.wrong = true, "overdrawn", fmt.Sprintf("%s%d paid out of a balance of 100", stale, paid)
		} else if stale != "" {
			v.bad, v.short, v.wrong = true, "stale balance", strings.TrimSuffix(stale, "; ")
		}
		v.note = fmt.Sprintf("withdrawn %d; balance after the heal %s", paid, final("majority"))
		v.count, v.countName = paid, "paid"
	case "followers":
		follows := 0
		for _, d := range append(outcomes(min, "follow"), outcomes(maj, "follow")...) {
			if d.outcome == "done" {
				follows++
			}
		}
		truth := 1000 + follows
		worst := 0
		shown := []string{}
		for _, side := range []string{"minority", "majority"} {
			for _, d := range outcomes(cw.done(sys, side), "read count") {
				if d.outcome == "unavailable" {
					continue
				}
				n, _ := strconv.Atoi(d.values[len(d.values)-1])
				shown = append(shown, side+" "+strings.Join(d.values, "|"))
				worst = max(worst, abs(truth-n))
			}
		}
		f := final("majority")
		if strings.Contains(f, "|") {
			v.bad = true
			v.wrong = fmt.Sprintf("after the heal two versions (%s), each missing follows; ", f)
		} else if n, _ := strconv.Atoi(f); n != truth {
			v.bad, v.wrong = true, fmt.Sprintf("after the heal %s, not %d; ", f, truth)
		}
		if worst > 0 {
			v.bad = true
			v.wrong += fmt.Sprintf("counts shown at 3s (%s) off by up to %d", strings.Join(shown, ", "), worst)
		}
		if v.bad {
			v.short = fmt.Sprintf("count off by %d", worst)
		}
		v.count, v.countName = worst, "off_by"
		v.wrong = strings.TrimSuffix(v.wrong, "; ")
		v.note = fmt.Sprintf("%d follows acknowledged: true count %d; after the heal %s", follows, truth, f)
	case "seat", "lock":
		action := map[string]string{"seat": "book 14A", "lock": "acquire"}[sys]
		holders := 0
		for _, d := range append(outcomes(min, action), outcomes(maj, action)...) {
			if d.outcome == "taken" {
				holders++
			}
		}
		what := map[string]string{"seat": "seat 14A sold %d times", "lock": "%d clients hold the lock at once"}[sys]
		if holders > 1 {
			v.bad, v.wrong = true, fmt.Sprintf(what, holders)
			v.short = map[string]string{"seat": "double-booked", "lock": "two holders"}[sys]
		}
		v.note = fmt.Sprintf("%d acknowledged; after the heal: %s", holders, final("majority"))
		v.count, v.countName = holders, "holders"
	case "comments":
		posted := 0
		for _, d := range append(outcomes(min, "comment"), outcomes(maj, "comment")...) {
			if d.outcome == "posted" {
				posted++
			}
		}
		visible := strings.Count(mergeComments(strings.Split(final("majority"), "|")), ";")
		if visible < posted {
			v.bad, v.short, v.wrong = true, "comments lost", fmt.Sprintf("%d of %d comments lost", posted-visible, posted)
		}
		late := false
		for _, side := range []string{"minority", "majority"} {
			for _, d := range outcomes(cw.done(sys, side), "read comments") {
				if d.outcome != "unavailable" && strings.Count(mergeComments(d.values), ";") < posted {
					late = true
				}
			}
		}
		v.note = fmt.Sprintf("%d posted, %d visible after the heal", posted, visible)
		v.count, v.countName = visible, "visible"
		if late {
			v.note += "; during the split each side saw only its own (late, not lost)"
			if !v.bad {
				v.short = "late"
			}
		}
	}
	return v
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func finishCAPX(cp, ap *capxWorld) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	var details []string
	verdicts := map[string]capxVerdict{}
	for _, sys := range capxSystems {
		row := []string{sys}
		for _, store := range []struct {
			name string
			cw   *capxWorld
		}{{"CP", cp}, {"AP", ap}} {
			v := judge(store.cw, sys)
			verdicts[store.name+"/"+sys] = v
			short := v.short
			if short == "" {
				short = "nothing"
			}
			row = append(row, itoa(v.unavailable), short)
			detail := v.note
			if v.wrong != "" {
				detail = v.wrong + "; " + v.note
			}
			details = append(details, fmt.Sprintf("  %s on %s: %s", sys, store.name, detail))
			m := store.name + "_" + sys
			bad := 0.0
			if v.bad {
				bad = 1
			}
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: strings.ToLower(m) + "_unavailable", Value: float64(v.unavailable), Unit: "actions"},
				scenarios.Metric{Name: strings.ToLower(m) + "_wrong", Value: bad, Unit: "bool"},
				scenarios.Metric{Name: strings.ToLower(m) + "_" + v.countName, Value: float64(v.count), Unit: ""},
			)
		}
		rows = append(rows, row)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("the same partition (%s to %s, n1 alone on the minority side) under a CP store (Raft) and an AP store (quorum, W=1 R=1, sloppy):", capxCut, capxHeal))
	r.Summary = append(r.Summary, table([]string{"system", "CP unavailable", "CP went wrong", "AP unavailable", "AP went wrong"}, rows)...)
	r.Summary = append(r.Summary, details...)
	for _, sys := range capxSystems {
		cpv, apv := verdicts["CP/"+sys], verdicts["AP/"+sys]
		switch {
		case cpv.bad:
			c.Failf("%s on the CP store went wrong: %s", sys, cpv.wrong)
		case cpv.unavailable == 0:
			c.Failf("%s on the CP store was never unavailable on the minority side", sys)
		case apv.unavailable != 0:
			c.Failf("%s on the AP store was unavailable %d times", sys, apv.unavailable)
		case sys != "comments" && !apv.bad:
			c.Failf("%s on the AP store showed nothing wrong", sys)
		case sys == "comments" && apv.bad:
			c.Failf("comments on the AP store: %s", apv.wrong)
		}
	}
	if c.Err() == nil {
		r.Summary = append(r.Summary, "CP refused the minority and was never wrong; AP answered everyone and was wrong for the balance, the count, the seat and the lock — and merely late for comments")
	}
	r.Err = c.Err()
	return r
}
