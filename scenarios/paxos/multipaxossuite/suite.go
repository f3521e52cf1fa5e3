package multipaxossuite

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/paxos/multipaxos"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios/suite"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// Constructor builds one replica at every boot of a server, with the
// suite's Config and the Applier the replica hands decided commands to, in
// slot order. Ours is
//
//	func(cfg multipaxos.Config, app rsm.Applier) rsm.Replica { return multipaxos.New(cfg, app) }
type Constructor func(cfg multipaxos.Config, app rsm.Applier) rsm.Replica

// T is what a test needs of a *testing.T.
type T = suite.T

// Test is one graded test: a fault script played for For, then healed.
type Test struct {
	Name, Doc string
	// Faults schedules the test's faults on the cluster.
	Faults func(c *Cluster)
	// Unreliable turns on loss, duplication and reordering.
	Unreliable bool
}

// Tests are the suite's tests.
var Tests = []Test{
	{Name: "Basic", Doc: "three clients, no faults: every operation linearizable, every acknowledged append applied once", Faults: func(*Cluster) {}},
	{Name: "LeaderCrash", Doc: "every server in turn crashes for a second: a new leader must carry over what a majority accepted (P2c, slot by slot)", Faults: rollingCrashes},
	{Name: "Partition", Doc: "every server in turn is cut off for a second: a leader on the minority side must not decide anything alone", Faults: rollingPartitions},
	{Name: "RestartAll", Doc: "every server crashes at once and restarts from its disk: nothing acknowledged is lost", Faults: restartAll},
	{Name: "Unreliable", Doc: "10% loss, 5% duplicates, reordering: retries and duplicates are applied exactly once", Faults: func(*Cluster) {}, Unreliable: true},
}

// DefaultSeeds are the seeds tests run at.
var DefaultSeeds = []uint64{1, 2, 3, 4, 5}

// Length of a test: faults during Busy, then the clients carry on for Calm
// on a healed network.
const (
	Busy = 6 * time.Second
	Calm = 2 * time.Second
	// MinOps is the fewest operations the clients must complete.
	MinOps = 50
)

// Errors a failure wraps.
var (
	ErrNotLinearizable = errors.New("the clients' history is not linearizable")
	ErrLostOrDoubled   = errors.New("an acknowledged write was lost or applied twice")
	ErrNoProgress      = errors.New("the clients made too little progress")
)

// Cluster is five servers n1..n5 and three clients c1..c3.
type Cluster struct {
	W       *sim.World
	Net     *network.Model
	Servers []sim.NodeID
	history *check.History
	faults  []sim.Record
	flight  *suite.Flight
	seed    uint64
	// serving is the server that last answered a client with a result:
	// the leader, as far as the clients can tell.
	serving sim.NodeID
}

func (c *Cluster) Trace(r *sim.Record) {
	switch r.Kind {
	case sim.KindFault, sim.KindCrash, sim.KindRestart:
		c.faults = append(c.faults, *r)
	case sim.KindDeliver:
		if m, ok := r.Msg.(rsm.ClientReply); ok && m.Err == rsm.OK {
			c.serving = r.From
		}
	}
}

// NewCluster builds the cluster for newReplica at seed.
func NewCluster(newReplica Constructor, seed uint64, tracer sim.Tracer) (*Cluster, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}})
	if err != nil {
		return nil, err
	}
	c := &Cluster{Net: net, history: check.NewHistory(), flight: suite.NewFlight(5), seed: seed}
	tr := sim.Tee(c, c.flight)
	if tracer != nil {
		tr = sim.Tee(c, c.flight, tracer)
	}
	c.W = sim.NewWorld(sim.Config{Seed: seed, Network: net, Tracer: tr, LoseUnsyncedWrites: true})
	cfg := multipaxos.DefaultConfig()
	for i := 1; i <= 5; i++ {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		c.Servers = append(c.Servers, id)
		c.W.AddNode(id, func() sim.Node {
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return newReplica(cfg, app) }, kv.New())
		})
	}
	for i := 1; i <= 3; i++ {
		id := sim.NodeID(fmt.Sprintf("c%d", i))
		wl, err := kv.NewWorkload(rand.New(rand.NewPCG(seed, uint64(i))), kv.WorkloadConfig{Client: string(id), Ops: 100000, Keys: 5, Get: 1, Append: 2, ReadBack: true})
		if err != nil {
			return nil, err
		}
		cl, err := rsm.NewClient(rsm.ClientConfig{Workload: wl, History: c.history, Clock: c.W.Now})
		if err != nil {
			return nil, err
		}
		c.W.AddClient(id, func() sim.Node { return cl })
	}
	return c, nil
}

// rollingCrashes crashes the server that last served a client (the
// leader, most likely) once a second, for 800ms.
func rollingCrashes(c *Cluster) {
	for k := range 5 {
		at := time.Second + time.Duration(k)*time.Second
		c.W.At(at, func() {
			if id := c.serving; id != "" {
				c.W.Crash(id)
				c.W.At(at+800*time.Millisecond, func() { c.W.Restart(id) })
			}
		})
	}
}

// rollingPartitions cuts the server that last served a client off with
// client c1, once a second for 900ms: c1 keeps talking to a leader that has
// lost its majority.
func rollingPartitions(c *Cluster) {
	for k := range 5 {
		at := time.Second + time.Duration(k)*time.Second
		c.W.At(at, func() {
			id := c.serving
			if id == "" {
				return
			}
			var rest []sim.NodeID
			for _, s := range c.Servers {
				if s != id {
					rest = append(rest, s)
				}
			}
			must(c.Net.Partition([]sim.NodeID{id, "c1"}, append(rest, "c2", "c3")))
		})
		c.W.At(at+900*time.Millisecond, func() { c.Net.Heal() })
	}
}

func restartAll(c *Cluster) {
	c.W.At(2*time.Second, func() {
		for _, id := range c.Servers {
			c.W.Crash(id)
		}
	})
	c.W.At(2100*time.Millisecond, func() {
		for _, id := range c.Servers {
			c.W.Restart(id)
		}
	})
}

func must(err error) {
	if err != nil {
		panic(fmt.Sprintf("multipaxossuite: the network refused a fault the suite built: %v", err))
	}
}

// RunOne runs test at seed and fails t with a report if the service
// misbehaved.
func RunOne(t T, test Test, newReplica Constructor, seed uint64, tracer sim.Tracer) {
	t.Helper()
	c, err := NewCluster(newReplica, seed, tracer)
	if err != nil {
		t.Fatalf("building the cluster: %v", err)
	}
	if test.Unreliable {
		must(c.Net.SetLoss(network.AllLinks, 0.1))
		must(c.Net.SetDuplicate(network.AllLinks, 0.05))
		must(c.Net.SetReorder(network.AllLinks, true))
	}
	test.Faults(c)
	c.W.RunFor(Busy)
	c.Net.Heal()
	c.W.RunFor(Calm)
	if err := c.Verdict(); err != nil {
		t.Fatalf("%v\nthis test: %s\n%s%sseed %d, at %s of virtual time; replay: %s",
			err, test.Doc, c.flight.Logs(c.Servers), c.flight.Report(c.Servers), seed, sim.FormatTime(c.W.Now()), suite.ReplayCommand(t.Name()))
	}
	n, _, _ := c.history.Completed()
	t.Logf("%d operations completed, linearizable, every acknowledged append applied once", n)
}

// Verdict judges the history: linearizable, exactly once, progress.
func (c *Cluster) Verdict() error {
	n, gap, gapAt := c.history.Completed()
	if store := c.bestStore(); store != nil {
		if err := check.AppendsApplied(c.history, store.Get); err != nil {
			return fmt.Errorf("%w: %v\nwhy it matters: a client was told its write succeeded; it must be in the store exactly once", ErrLostOrDoubled, err)
		}
	}
	c.history.Annotate(check.FaultAnnotations(c.faults)...)
	res, err := check.CheckKV(c.history, 30*time.Second)
	if err != nil {
		return err
	}
	if res.Verdict != check.Linearizable {
		return fmt.Errorf("%w: %d operations are %s\nwhy it matters: clients saw a store no single copy could have given them: a decided slot changed, or a write was acknowledged before a majority held it", ErrNotLinearizable, res.Operations, res.Verdict)
	}
	if n < MinOps {
		return fmt.Errorf("%w: %d operations completed in %s, fewer than %d; the longest pause began at %s and lasted %s", ErrNoProgress, n, sim.FormatTime(c.W.Now()), MinOps, sim.FormatTime(gapAt), sim.FormatTime(gap))
	}
	return nil
}

func (c *Cluster) bestStore() *kv.Store {
	var best *kv.Store
	var applied uint64
	for _, id := range c.Servers {
		s, ok := c.W.Node(id).(*rsm.Server)
		if !ok || !c.W.Up(id) || (best != nil && s.Applied() < applied) {
			continue
		}
		if st, ok := s.Machine().(*kv.Store); ok {
			best, applied = st, s.Applied()
		}
	}
	return best
}

// Run runs every test at each seed as parallel subtests.
func Run(t *testing.T, newReplica Constructor, seeds ...uint64) {
	t.Helper()
	if len(seeds) == 0 {
		seeds = DefaultSeeds
	}
	suite.EachSeed(t, Tests, func(x Test) string { return x.Name }, seeds, func(t *testing.T, test Test, seed uint64) {
		RunOne(t, test, newReplica, seed, nil)
	})
}

// Grade runs test at seed under a recorder and returns whether it failed
// and its messages.
func Grade(test Test, newReplica Constructor, seed uint64) (failed bool, msgs []string) {
	return suite.Record(test.Name, func(t suite.T) { RunOne(t, test, newReplica, seed, nil) })
}

// Homework grades a student's Multi-Paxos replica: part A Basic, part B
// crashes and partitions, part C an unreliable network. It refuses dsim's
// own multipaxos.Node.
func Homework(t *testing.T, newReplica Constructor, parts ...string) []suite.Outcome {
	t.Helper()
	return suite.Grade(t, Assignment(newReplica), parts...)
}

// Assignment is the homework as scenarios/suite grades it.
func Assignment(newReplica Constructor) suite.Assignment {
	a := suite.Assignment{
		Name: "multipaxos", Seeds: DefaultSeeds,
		Parts: []suite.Part{
			{Name: "A", Title: "a replicated KV store", Points: 30},
			{Name: "B", Title: "crashes and partitions", Points: 50},
			{Name: "C", Title: "an unreliable network", Points: 20},
		},
		Reference: []string{
			"github.com/dsimlab/dsim/consensus/paxos/multipaxos.Node",
			"github.com/dsimlab/dsim/consensus/raft.Node",
		},
	}
	part := map[string]string{"Basic": "A", "LeaderCrash": "B", "Partition": "B", "RestartAll": "B", "Unreliable": "C"}
	for _, test := range Tests {
		a.Cases = append(a.Cases, suite.Case{Part: part[test.Name], Name: test.Name, Doc: test.Doc,
			Run: func(t suite.T, seed uint64, tracer sim.Tracer) { RunOne(t, test, newReplica, seed, tracer) }})
	}
	a.Probe = func() []any {
		c, err := NewCluster(newReplica, 1, nil)
		if err != nil {
			return nil
		}
		c.W.RunFor(500 * time.Millisecond)
		var out []any
		for _, id := range c.Servers {
			if s, ok := c.W.Node(id).(*rsm.Server); ok {
				out = append(out, s.Replica())
			}
		}
		return out
	}
	return a
}
