package paxossuite

import (
	"errors"
	"fmt"
	"github.com/dsimlab/dsim/scenarios/suite"
	"slices"
	"time"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

// Constructor builds one node of the implementation under test. It is
// called for every boot of a node (a restart builds a fresh value, as
// after a real crash), with the suite's Config. Ours is
//
//	func(cfg paxos.Config) paxos.Implementation { return paxos.New(cfg) }
type Constructor func(cfg paxos.Config) paxos.Implementation

// T is what the suite needs of a test: *testing.T satisfies it.
type T = suite.T

// Setup is what a test needs to build its clusters.
type Setup struct {
	New    Constructor
	Seed   uint64
	Config paxos.Config
	// Tracer, if set, receives every cluster's trace.
	Tracer sim.Tracer
	made   *[]*Cluster
}

// DefaultConfig is the Config the suite hands to nodes:
// paxos.DefaultConfig, randomised backoff and a 100ms retry timeout.
func DefaultConfig() paxos.Config { return paxos.DefaultConfig() }

// Cluster is n nodes named n1..nN on a simulated network whose messages
// take exactly 1ms unless a test says otherwise, with the safety
// properties checked after every event.
type Cluster struct {
	t      T
	w      *sim.World
	net    *network.Model
	ids    []sim.NodeID
	safety *Safety
	// violations holds the first violation of each kind, in order.
	violations []error
	seed       uint64
}

// MakeCluster builds a cluster of n nodes with the Setup's Config.
func (s Setup) MakeCluster(t T, n int) *Cluster {
	t.Helper()
	net, err := network.New(network.Config{})
	if err != nil {
		t.Fatalf("network: %v", err)
	}
	w := sim.NewWorld(sim.Config{Seed: s.Seed, Network: net, Tracer: s.Tracer})
	c := &Cluster{t: t, w: w, net: net, safety: NewSafety(n), seed: s.Seed}
	for i := 1; i <= n; i++ {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		c.ids = append(c.ids, id)
		cfg := s.Config
		w.AddNode(id, func() sim.Node { return s.New(cfg) })
	}
	w.AfterStep(c.check)
	if s.made != nil {
		*s.made = append(*s.made, c)
	}
	w.RunFor(time.Millisecond) // every node boots
	return c
}

// check runs after every event.
func (c *Cluster) check() {
	for _, id := range c.ids {
		st, ok := c.Status(id)
		if !ok {
			continue
		}
		for _, err := range c.safety.Observe(st) {
			c.violation(err)
		}
	}
}

func (c *Cluster) violation(err error) {
	for _, v := range c.violations {
		if errors.Is(err, unwrapKind(v)) {
			return // report the first of each kind only
		}
	}
	err = fmt.Errorf("at %s: %w", sim.FormatTime(c.w.Now()), err)
	c.violations = append(c.violations, err)
}

func unwrapKind(err error) error {
	for _, k := range []error{ErrTwoValuesChosen, ErrChosenValueChanged, ErrPromiseBroken} {
		if errors.Is(err, k) {
			return k
		}
	}
	return err
}

// Violations are the safety violations seen so far, the first of each kind.
func (c *Cluster) Violations() []error { return c.violations }

// World and Net give tests the simulator and the network model.
func (c *Cluster) World() *sim.World   { return c.w }
func (c *Cluster) Net() *network.Model { return c.net }

// IDs are the nodes, n1..nN.
func (c *Cluster) IDs() []sim.NodeID { return slices.Clone(c.ids) }

// Status is a node's status, if it is up.
func (c *Cluster) Status(id sim.NodeID) (paxos.Status, bool) {
	n, ok := c.w.Node(id).(paxos.Implementation)
	if !ok || !c.w.Up(id) {
		return paxos.Status{}, false
	}
	return n.Status(), true
}

// Propose asks node id to get value chosen.
func (c *Cluster) Propose(id sim.NodeID, value string) {
	c.t.Helper()
	if err := c.w.Exec(id, func(n sim.Node, env sim.Env) { n.(paxos.Implementation).Propose(env, value) }); err != nil {
		c.t.Fatalf("propose on %s: %v", id, err)
	}
}

// Crash and Restart a node.
func (c *Cluster) Crash(id sim.NodeID)   { c.w.Crash(id) }
func (c *Cluster) Restart(id sim.NodeID) { c.w.Restart(id) }

// RunFor runs the cluster for d of virtual time.
func (c *Cluster) RunFor(d time.Duration) { c.w.RunFor(d) }

// RunUntil runs until cond holds or limit passes, and reports which.
func (c *Cluster) RunUntil(cond func() bool, limit time.Duration) bool {
	return c.w.RunUntil(cond, limit)
}

// Learned is the value node id has learned, if any.
func (c *Cluster) Learned(id sim.NodeID) (string, bool) {
	st, ok := c.Status(id)
	return st.ChosenValue, ok && st.Chosen
}

// WaitLearned runs until node id has learned a value, at most limit, and
// fails the test if it has not.
func (c *Cluster) WaitLearned(id sim.NodeID, limit time.Duration) string {
	c.t.Helper()
	if !c.RunUntil(func() bool { _, ok := c.Learned(id); return ok }, limit) {
		c.t.Fatalf("%s learned no value within %s; %s", id, limit, c.replay())
	}
	v, _ := c.Learned(id)
	return v
}

// Chosen is the value a majority accepted, if any.
func (c *Cluster) Chosen() (string, bool) {
	v, _, ok := c.safety.Chosen()
	return v, ok
}

func (c *Cluster) replay() string {
	return fmt.Sprintf("seed %d, at %s of virtual time; replay: %s", c.seed, sim.FormatTime(c.w.Now()), ReplayCommand(c.t.Name()))
}

// Finish reports the cluster's safety violations as test failures.
func (c *Cluster) Finish() {
	for _, v := range c.violations {
		c.t.Errorf("safety violated: %v; %s", v, c.replay())
	}
}

func sortIDs(ids []sim.NodeID) { slices.Sort(ids) }
