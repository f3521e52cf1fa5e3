// Package twopcsuite grades two-phase commit: dsim's (storage/twopc), or a
// student's coordinator and participants. They speak twopc's messages
// (Begin, Prepare, Vote, Commit, Abort, Ack, DecisionRequest, Outcome); a
// participant also reports what it knows (Outcome) and what it is stuck on
// (Uncertain), which is how the suite judges:
//
//   - atomicity: every transaction ends committed at every participant or
//     aborted (or never applied) at every one, and the client is told the
//     same (CommitAll, Conflicts, ParticipantCrash, CoordinatorCrash);
//   - blocking only when the protocol must: a participant that voted yes
//     waits for a coordinator that is down (that is 2PC's blocking problem,
//     CoordinatorCrash checks it waits), but a participant that crashed
//     before voting must not keep the others locked: the coordinator's
//     vote timeout aborts the transaction (NoNeedlessBlocking).
//
// Homework grades them as parts A (CommitAll, Conflicts), B
// (ParticipantCrash, CoordinatorCrash) and C (NoNeedlessBlocking), refusing
// dsim's own twopc.Coordinator and twopc.Participant.
package twopcsuite

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios/suite"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/twopc"
)

// Participant is a participant node as the suite sees it.
type Participant interface {
	sim.Node
	// Outcome reports how txn ended at this participant, if it knows
	// (across restarts too: it is on the participant's disk).
	Outcome(txn string) (twopc.Decision, bool)
	// Uncertain lists the transactions it voted yes on and has no
	// decision for: those whose locks it must keep.
	Uncertain() []string
}

// Constructors build the two kinds of node, at every boot.
type Constructors struct {
	Coordinator func(cfg twopc.Config) sim.Node
	Participant func(cfg twopc.ParticipantConfig) Participant
}

// Ours are storage/twopc's nodes.
func Ours() Constructors {
	return Constructors{
		Coordinator: func(cfg twopc.Config) sim.Node { return twopc.NewCoordinator(cfg) },
		Participant: func(cfg twopc.ParticipantConfig) Participant { return twopc.NewParticipant(cfg) },
	}
}

// T is what a test needs of a *testing.T.
type T = suite.T

// Errors a failure wraps.
var (
	ErrNotAtomic      = errors.New("atomicity broken: participants disagree on a transaction")
	ErrClientMisled   = errors.New("the client was told an outcome the participants did not apply")
	ErrNeedlessBlock  = errors.New("participants stayed blocked although the protocol could abort")
	ErrStuck          = errors.New("a transaction never ended")
	errScriptMisfired = errors.New("the script could not set up its fault")
)

// Test is one graded test.
type Test struct {
	Name, Doc string
	Run       func(t T, c *Cluster)
}

// Tests are the suite's tests.
var Tests = []Test{
	{Name: "CommitAll", Doc: "twenty transactions on distinct keys all commit everywhere, and the client is told so", Run: testCommitAll},
	{Name: "Conflicts", Doc: "transactions racing for the same keys: some abort, each one atomically", Run: testConflicts},
	{Name: "ParticipantCrash", Doc: "a participant crashes right after voting yes and restarts: it must keep its promise (prepared state on disk)", Run: testParticipantCrash},
	{Name: "CoordinatorCrash", Doc: "the coordinator crashes after telling only some participants to commit: the others must wait for it (2PC blocks), not decide alone", Run: testCoordinatorCrash},
	{Name: "NoNeedlessBlocking", Doc: "a participant crashes before voting: the coordinator must abort by its vote timeout and free the others, not keep them locked", Run: testNoNeedlessBlocking},
}

// DefaultSeeds are the seeds tests run at.
var DefaultSeeds = []uint64{1, 2, 3, 4, 5}

// Cluster is a coordinator "coord", participants p1..p3 and a client.
type Cluster struct {
	t       T
	W       *sim.World
	Net     *network.Model
	parts   []sim.NodeID
	client  *client
	flight  *suite.Flight
	seed    uint64
	intent  string
	onTrace []func(r *sim.Record)
}

// client begins transactions and records their outcomes.
type client struct {
	outcomes map[string]twopc.Outcome
	env      sim.Env
}

func (c *client) Start(env sim.Env) { c.env = env }
func (c *client) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if o, ok := msg.(twopc.Outcome); ok {
		if _, seen := c.outcomes[o.Txn]; !seen {
			c.outcomes[o.Txn] = o
		}
	}
}

func (c *Cluster) Trace(r *sim.Record) {
	for _, f := range c.onTrace {
		f(r)
	}
}

func newCluster(t T, nodes Constructors, seed uint64, tracer sim.Tracer, intent string) *Cluster {
	net, err := network.New(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 4 * time.Millisecond}}})
	if err != nil {
		t.Fatalf("network: %v", err)
	}
	c := &Cluster{t: t, Net: net, parts: []sim.NodeID{"p1", "p2", "p3"}, flight: suite.NewFlight(5), seed: seed, intent: intent}
	tr := sim.Tee(c, c.flight)
	if tracer != nil {
		tr = sim.Tee(c, c.flight, tracer)
	}
	c.W = sim.NewWorld(sim.Config{Seed: seed, Network: net, Tracer: tr, LoseUnsyncedWrites: true})
	c.W.AddNode("coord", func() sim.Node { return nodes.Coordinator(twopc.DefaultConfig()) })
	for _, p := range c.parts {
		c.W.AddNode(p, func() sim.Node { return nodes.Participant(twopc.ParticipantConfig{}) })
	}
	c.client = &client{outcomes: map[string]twopc.Outcome{}}
	c.W.AddClient("client", func() sim.Node { return c.client })
	c.W.RunFor(time.Millisecond)
	return c
}

// begin asks the coordinator to run txn writing key=value at each
// participant.
func (c *Cluster) begin(txn string, keys ...string) {
	var ws []twopc.Write
	for i, p := range c.parts {
		ws = append(ws, twopc.Write{Participant: p, Key: keys[i%len(keys)], Value: txn})
	}
	if err := c.W.Exec("client", func(_ sim.Node, env sim.Env) { env.Send("coord", twopc.Begin{Txn: txn, Writes: ws}) }); err != nil {
		c.fatalf("%v: the client cannot send: %v", errScriptMisfired, err)
	}
}

func (c *Cluster) participant(id sim.NodeID) Participant {
	p, _ := c.W.Node(id).(Participant)
	return p
}

func (c *Cluster) fatalf(format string, args ...any) {
	c.t.Helper()
	ids := append([]sim.NodeID{"coord"}, c.parts...)
	var st string
	for _, id := range c.parts {
		if p := c.participant(id); p != nil {
			st += fmt.Sprintf("  %s uncertain about %v\n", id, p.Uncertain())
		} else {
			st += fmt.Sprintf("  %s crashed\n", id)
		}
	}
	c.t.Fatalf("%s\nthis test: %s\nnodes now:\n%s%s%sseed %d, at %s of virtual time; replay: %s", fmt.Sprintf(format, args...), c.intent, st,
		c.flight.Logs(ids), c.flight.Report(ids), c.seed, sim.FormatTime(c.W.Now()), suite.ReplayCommand(c.t.Name()))
}

// checkAtomic checks every transaction in txns (see atomicity) and fails
// the test at the first problem.
func (c *Cluster) checkAtomic(txns []string, settled bool) (committed, aborted int) {
	c.t.Helper()
	committed, aborted, err := c.atomicity(txns, settled)
	if err != nil {
		c.fatalf("%v", err)
	}
	return committed, aborted
}

// atomicity checks every transaction in txns: the participants that know
// agree, none committed where another aborted, a commit is everywhere, and
// the client's outcome matches. With settled, every participant must know
// and the client must have heard.
func (c *Cluster) atomicity(txns []string, settled bool) (committed, aborted int, err error) {
	for _, txn := range txns {
		seen := map[twopc.Decision][]sim.NodeID{}
		var unknown []sim.NodeID
		for _, id := range c.parts {
			p := c.participant(id)
			if p == nil {
				continue
			}
			if d, ok := p.Outcome(txn); ok {
				seen[d] = append(seen[d], id)
			} else {
				unknown = append(unknown, id)
			}
		}
		if len(seen[twopc.Committed]) > 0 && len(seen[twopc.Aborted]) > 0 {
			return committed, aborted, fmt.Errorf("%w: %s committed at %v and aborted at %v", ErrNotAtomic, txn, seen[twopc.Committed], seen[twopc.Aborted])
		}
		o, told := c.client.outcomes[txn]
		switch {
		case len(seen[twopc.Committed]) > 0:
			committed++
			if settled && len(unknown) > 0 {
				return committed, aborted, fmt.Errorf("%w: %s committed at %v but %v never learned it", ErrNotAtomic, txn, seen[twopc.Committed], unknown)
			}
			if told && o.Decision != twopc.Committed {
				return committed, aborted, fmt.Errorf("%w: %s committed at %v, the client was told %s", ErrClientMisled, txn, seen[twopc.Committed], o.Decision)
			}
		default:
			aborted++
			if told && o.Decision == twopc.Committed {
				return committed, aborted, fmt.Errorf("%w: the client was told %s committed, but no participant applied it (%v aborted, %v do not know)", ErrClientMisled, txn, seen[twopc.Aborted], unknown)
			}
		}
		if settled && !told {
			return committed, aborted, fmt.Errorf("%w: the client never heard how %s ended", ErrStuck, txn)
		}
	}
	return committed, aborted, nil
}

func testCommitAll(t T, c *Cluster) {
	var txns []string
	for i := range 20 {
		txn := fmt.Sprintf("t%d", i)
		txns = append(txns, txn)
		c.begin(txn, fmt.Sprintf("k%d", i))
		c.W.RunFor(5 * time.Millisecond)
	}
	c.W.RunFor(time.Second)
	if committed, _ := c.checkAtomic(txns, true); committed != len(txns) {
		c.fatalf("only %d of %d transactions on distinct keys committed; none conflicts, so all should", committed, len(txns))
	}
}

func testConflicts(t T, c *Cluster) {
	rng := c.W.Seed()
	var txns []string
	for i := range 30 {
		txn := fmt.Sprintf("t%d", i)
		txns = append(txns, txn)
		rng = rng*6364136223846793005 + 1442695040888963407
		c.begin(txn, fmt.Sprintf("k%d", (rng>>33)%3), fmt.Sprintf("k%d", (rng>>40)%3))
		c.W.RunFor(time.Duration(1+(rng>>50)%4) * time.Millisecond)
	}
	c.W.RunFor(2 * time.Second)
	committed, aborted := c.checkAtomic(txns, true)
	if committed == 0 {
		c.fatalf("no transaction committed out of %d (%d aborted): conflicts abort some, not all", len(txns), aborted)
	}
}

// testParticipantCrash crashes p2 as soon as it has voted yes on t0, and
// restarts it 300ms later.
func testParticipantCrash(t T, c *Cluster) {
	crashed := false
	c.onTrace = append(c.onTrace, func(r *sim.Record) {
		if v, ok := r.Msg.(twopc.Vote); ok && r.Kind == sim.KindSend && r.Node == "p2" && v.Yes && !crashed {
			crashed = true
			c.W.After(0, func() { c.W.Crash("p2") })
			c.W.After(300*time.Millisecond, func() { c.W.Restart("p2") })
		}
	})
	c.begin("t0", "a", "b", "c")
	c.W.RunFor(2 * time.Second)
	if !crashed {
		c.fatalf("%v: p2 never voted yes on t0", errScriptMisfired)
	}
	if committed, _ := c.checkAtomic([]string{"t0"}, true); committed != 1 {
		c.fatalf("t0 did not commit: every participant voted yes and the coordinator never failed")
	}
}

// testCoordinatorCrash cuts the coordinator's link to p3 as soon as p3 votes
// yes, and crashes the coordinator as soon as a Commit arrives anywhere: p3
// voted yes and never hears the decision. A second later the link heals
// and the coordinator restarts.
func testCoordinatorCrash(t T, c *Cluster) {
	cut, crashed := false, false
	c.onTrace = append(c.onTrace, func(r *sim.Record) {
		switch m := r.Msg.(type) {
		case twopc.Vote:
			if r.Kind == sim.KindSend && r.Node == "p3" && m.Yes && !cut {
				cut = true
				c.W.After(0, func() {
					if err := c.Net.Cut("coord", "p3"); err != nil {
						c.fatalf("%v: %v", errScriptMisfired, err)
					}
				})
			}
		case twopc.Commit:
			if r.Kind == sim.KindDeliver && !crashed {
				crashed = true
				c.W.After(0, func() { c.W.Crash("coord") })
			}
		}
	})
	c.begin("t0", "a", "b", "c")
	c.W.RunFor(time.Second)
	if !crashed {
		c.fatalf("%v: no participant received a Commit for t0", errScriptMisfired)
	}
	// While the coordinator is down, p3 cannot know: it must wait.
	c.checkAtomic([]string{"t0"}, false)
	if p := c.participant("p3"); p != nil {
		if _, ok := p.Outcome("t0"); ok {
			c.fatalf("%v: p3 voted yes, never heard the decision, and yet ended t0 on its own while the coordinator was down", ErrNotAtomic)
		}
	}
	c.Net.Heal()
	c.W.Restart("coord")
	c.W.RunFor(time.Second)
	c.checkAtomic([]string{"t0"}, false)
	for _, id := range c.parts {
		if d, ok := c.participant(id).Outcome("t0"); !ok || d != twopc.Committed {
			c.fatalf("%v: once the coordinator was back, %s still had not committed t0 (%q, %v)", ErrStuck, id, d, ok)
		}
	}
}

// testNoNeedlessBlocking crashes p3 for two seconds before t0 begins: p1
// and p2 vote yes, p3 never votes. The coordinator's vote timeout must
// abort t0 and free p1 and p2 well before p3 is back.
func testNoNeedlessBlocking(t T, c *Cluster) {
	c.W.Crash("p3")
	c.begin("t0", "a", "b", "c")
	c.W.RunFor(time.Second)
	for _, id := range c.parts[:2] {
		if u := c.participant(id).Uncertain(); slices.Contains(u, "t0") {
			c.fatalf("%v: %s voted yes on t0 and was still locked and uncertain 1s later, while p3, which never voted, was down: the coordinator may abort a transaction whose votes do not come", ErrNeedlessBlock, id)
		}
	}
	if o, ok := c.client.outcomes["t0"]; !ok || o.Decision != twopc.Aborted {
		c.fatalf("%v: t0 had no abort 1s after it began though p3 never voted (the client heard %+v, %v)", ErrNeedlessBlock, o, ok)
	}
	c.W.Restart("p3")
	c.W.RunFor(time.Second)
	c.checkAtomic([]string{"t0"}, false)
}

// RunOne runs test at seed, failing t with a report.
func RunOne(t T, test Test, nodes Constructors, seed uint64, tracer sim.Tracer) {
	t.Helper()
	c := newCluster(t, nodes, seed, tracer, test.Doc)
	test.Run(t, c)
}

// Run runs every test at each seed as parallel subtests.
func Run(t *testing.T, nodes Constructors, seeds ...uint64) {
	t.Helper()
	if len(seeds) == 0 {
		seeds = DefaultSeeds
	}
	suite.EachSeed(t, Tests, func(x Test) string { return x.Name }, seeds, func(t *testing.T, test Test, seed uint64) {
		RunOne(t, test, nodes, seed, nil)
	})
}

// Grade runs test at seed under a recorder.
func Grade(test Test, nodes Constructors, seed uint64) (failed bool, msgs []string) {
	return suite.Record(test.Name, func(t suite.T) { RunOne(t, test, nodes, seed, nil) })
}

// Homework grades a student's 2PC: A atomicity without faults, B crashes,
// C blocking only when needed. It refuses dsim's own nodes.
func Homework(t *testing.T, nodes Constructors, parts ...string) []suite.Outcome {
	t.Helper()
	return suite.Grade(t, Assignment(nodes), parts...)
}

// Assignment is the homework as scenarios/suite grades it.
func Assignment(nodes Constructors) suite.Assignment {
	a := suite.Assignment{
		Name: "twopc", Seeds: DefaultSeeds,
		Parts: []suite.Part{
			{Name: "A", Title: "atomic commit", Points: 40},
			{Name: "B", Title: "crashes", Points: 40},
			{Name: "C", Title: "blocking only when needed", Points: 20},
		},
		Reference: []string{
			"github.com/dsimlab/dsim/storage/twopc.Coordinator",
			"github.com/dsimlab/dsim/storage/twopc.Participant",
		},
	}
	part := map[string]string{"CommitAll": "A", "Conflicts": "A", "ParticipantCrash": "B", "CoordinatorCrash": "B", "NoNeedlessBlocking": "C"}
	for _, test := range Tests {
		a.Cases = append(a.Cases, suite.Case{Part: part[test.Name], Name: test.Name, Doc: test.Doc,
			Run: func(t suite.T, seed uint64, tracer sim.Tracer) { RunOne(t, test, nodes, seed, tracer) }})
	}
	a.Probe = func() []any {
		var out []any
		suite.Record("probe", func(t suite.T) {
			c := newCluster(t, nodes, 1, nil, "")
			for _, id := range append([]sim.NodeID{"coord"}, c.parts...) {
				if n := c.W.Node(id); n != nil {
					out = append(out, n)
				}
			}
		})
		return out
	}
	return a
}
