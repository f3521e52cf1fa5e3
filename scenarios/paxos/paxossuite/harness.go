package paxossuite

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dsimlab/dsim/scenarios/suite"

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
	// Intent is what the running test checks, printed with a failure
	// (RunOne and Grade set it from Test.Doc).
	Intent string
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
	flight     *suite.Flight
	intent     string
}

// MakeCluster builds a cluster of n nodes with the Setup's Config.
func (s Setup) MakeCluster(t T, n int) *Cluster {
	t.Helper()
	net, err := network.New(network.Config{})
	if err != nil {
		t.Fatalf("network: %v", err)
	}
	flight := suite.NewFlight(flightKeep)
	var tracer sim.Tracer = flight
	if s.Tracer != nil {
		tracer = sim.Tee(flight, s.Tracer)
	}
	// A crash loses what a node wrote but did not sync, as on a real
	// machine: an acceptor must sync before it answers.
	w := sim.NewWorld(sim.Config{Seed: s.Seed, Network: net, Tracer: tracer, LoseUnsyncedWrites: true})
	c := &Cluster{t: t, w: w, net: net, safety: NewSafety(n), seed: s.Seed, flight: flight, intent: s.Intent}
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
	sent, booted := c.flight.TakeStep()
	for _, id := range booted {
		c.safety.Restarted(id)
	}
	for _, id := range c.ids {
		st, ok := c.Status(id)
		if !ok {
			continue
		}
		for _, err := range c.safety.ObserveStep(st, slices.Contains(sent, id)) {
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
	for _, k := range []error{ErrTwoValuesChosen, ErrChosenValueChanged, ErrPromiseBroken, ErrPromiseDecreased, ErrAcceptNotPromised} {
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
		c.t.Fatalf("%s learned no value within %s\n%s", id, limit, c.report())
	}
	v, _ := c.Learned(id)
	return v
}

// Chosen is the value a majority accepted, if any.
func (c *Cluster) Chosen() (string, bool) {
	v, _, ok := c.safety.Chosen()
	return v, ok
}

// report is what follows a failure: the test's intent, every node's state,
// its last log lines and events, and the replay line.
func (c *Cluster) report() string {
	var b strings.Builder
	for _, v := range c.violations {
		if w := why(v); w != "" {
			fmt.Fprintf(&b, "why it matters: %s\n", w)
			break
		}
	}
	if c.intent != "" {
		fmt.Fprintf(&b, "this test: %s\n", c.intent)
	}
	b.WriteString("nodes now:\n")
	for _, id := range c.ids {
		st, ok := c.Status(id)
		if !ok {
			fmt.Fprintf(&b, "  %s crashed\n", id)
			continue
		}
		learned := "nothing"
		if st.Chosen {
			learned = show(st.ChosenValue)
		}
		accepted := "nothing"
		if !st.AcceptedBallot.IsZero() {
			accepted = show(st.AcceptedValue) + " at " + st.AcceptedBallot.String()
		}
		fmt.Fprintf(&b, "  %s promised %v, accepted %s, learned %s; proposer %s at ballot %v after %d rounds\n",
			id, st.Promised, accepted, learned, st.Phase, st.Ballot, st.Rounds)
	}
	b.WriteString(c.flight.Logs(c.ids))
	b.WriteString(c.flight.Report(c.ids))
	b.WriteString(c.replay())
	return b.String()
}

func (c *Cluster) replay() string {
	return fmt.Sprintf("seed %d, at %s of virtual time; replay: %s", c.seed, sim.FormatTime(c.w.Now()), ReplayCommand(c.t.Name()))
}

// Finish reports the cluster's safety violations as test failures.
func (c *Cluster) Finish() {
	for _, v := range c.violations {
		c.t.Errorf("safety violated: %v\n%s", v, c.report())
	}
}

func sortIDs(ids []sim.NodeID) { slices.Sort(ids) }

// flightKeep is how many events and log lines per node a failure shows.
const flightKeep = 5

// why says why a safety violation matters.
func why(err error) string {
	switch {
	case errors.Is(err, ErrTwoValuesChosen):
		return "consensus must decide one value: two learners acting on different values disagree forever"
	case errors.Is(err, ErrChosenValueChanged):
		return "a learner must only report a value a majority accepted at one ballot; otherwise it may report a value that is never chosen"
	case errors.Is(err, ErrPromiseBroken), errors.Is(err, ErrPromiseDecreased):
		return "a promise is what keeps a lower ballot from overwriting a chosen value (P1a); it must survive crashes"
	case errors.Is(err, ErrAcceptNotPromised):
		return "accepting ballot b promises b: an acceptor that later accepts a lower ballot can report it and hide a chosen value"
	}
	return ""
}
