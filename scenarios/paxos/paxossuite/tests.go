package paxossuite

import (
	"fmt"
	"slices"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

// Limits, in virtual time. Messages take 1ms, so a lone proposer needs 4ms;
// these are generous.
const (
	// ChooseLimit bounds how long a value may take to be chosen when a
	// majority is up and the network is reliable.
	ChooseLimit = 2 * time.Second
	// UnreliableLimit is ChooseLimit on a lossy, duplicating, reordering
	// network.
	UnreliableLimit = 10 * time.Second
)

// Tests is the suite, in the order Run runs it.
var Tests = []Test{
	{Name: "OneProposer", Doc: "one proposer among three nodes: its value is chosen and every node learns it", Run: testOneProposer},
	{Name: "FiveNodes", Doc: "one proposer among five nodes", Run: testFiveNodes},
	{Name: "ConcurrentProposers", Doc: "three proposers at once: exactly one of their values is chosen", Run: testConcurrent},
	{Name: "MinorityCrashed", Doc: "two of five nodes are down: a value is still chosen", Run: testMinorityCrashed},
	{Name: "MajorityCrashed", Doc: "three of five down: nothing is chosen; one back: the value is chosen", Run: testMajorityCrashed},
	{Name: "ChosenSurvivesRestarts", Doc: "after every node crashes and restarts, a new proposer still gets the value chosen before", Run: testChosenSurvivesRestarts},
	{Name: "Unreliable", Doc: "loss, duplication and reordering: one value chosen, everyone learns it", Run: testUnreliable},
	{Name: "Churn", Doc: "proposers keep proposing while a minority crashes and restarts at random", Run: testChurn},
	{Name: "ForgottenPromise", Doc: "scripted: an acceptor restarts between its promise and a late Accept; it must still refuse the lower ballot", Run: testForgottenPromise},
	{Name: "AcceptedValueCarriedOver", Doc: "scripted: a proposer whose promises report an accepted value must propose that value, not its own", Run: testAcceptedValueCarriedOver},
	{Name: "AcceptWithoutPrepare", Doc: "scripted: an acceptor that missed the Prepare accepts the Accept, and its promise rises with it", Run: testAcceptWithoutPrepare},
	{Name: "LearnerOneBallot", Doc: "scripted: a value accepted by two acceptors at two ballots is not chosen; a learner must count one ballot's acceptors", Run: testLearnerOneBallot},
}

func testOneProposer(t T, s Setup) {
	c := s.MakeCluster(t, 3)
	c.Propose("n1", "blue")
	if v := c.WaitLearned("n1", ChooseLimit); v != "blue" {
		t.Fatalf("n1 proposed blue alone and learned %s\n%s", show(v), c.report())
	}
	c.RunFor(100 * time.Millisecond)
	for _, id := range c.ids {
		if v, ok := c.Learned(id); !ok || v != "blue" {
			if !ok {
				t.Fatalf("%s learned nothing 100ms after n1 learned blue: every acceptor tells every learner\n%s", id, c.report())
			}
			t.Fatalf("%s learned %s, want blue\n%s", id, show(v), c.report())
		}
	}
}

func testFiveNodes(t T, s Setup) {
	c := s.MakeCluster(t, 5)
	c.Propose("n3", "green")
	if v := c.WaitLearned("n3", ChooseLimit); v != "green" {
		t.Fatalf("n3 learned %s, want green\n%s", show(v), c.report())
	}
}

func testConcurrent(t T, s Setup) {
	c := s.MakeCluster(t, 5)
	values := map[sim.NodeID]string{"n1": "red", "n2": "green", "n3": "blue"}
	for _, id := range []sim.NodeID{"n1", "n2", "n3"} {
		c.Propose(id, values[id])
	}
	agree(t, c, []sim.NodeID{"n1", "n2", "n3"}, ChooseLimit, "red", "green", "blue")
}

// agree waits until every node of ids learned a value, checks they learned
// the same one, and that it is one of allowed.
func agree(t T, c *Cluster, ids []sim.NodeID, limit time.Duration, allowed ...string) string {
	t.Helper()
	for _, id := range ids {
		c.WaitLearned(id, limit)
	}
	first, _ := c.Learned(ids[0])
	for _, id := range ids[1:] {
		if v, _ := c.Learned(id); v != first {
			t.Fatalf("%s learned %s but %s learned %s\n%s", ids[0], show(first), id, show(v), c.report())
		}
	}
	if !slices.Contains(allowed, first) {
		t.Fatalf("%q was chosen, but only %q were proposed\n%s", first, allowed, c.report())
	}
	return first
}

func testMinorityCrashed(t T, s Setup) {
	c := s.MakeCluster(t, 5)
	c.Crash("n4")
	c.Crash("n5")
	c.Propose("n1", "blue")
	if v := c.WaitLearned("n1", ChooseLimit); v != "blue" {
		t.Fatalf("n1 learned %s, want blue\n%s", show(v), c.report())
	}
}

func testMajorityCrashed(t T, s Setup) {
	c := s.MakeCluster(t, 5)
	for _, id := range []sim.NodeID{"n3", "n4", "n5"} {
		c.Crash(id)
	}
	c.Propose("n1", "blue")
	c.RunFor(ChooseLimit)
	if v, ok := c.Chosen(); ok {
		t.Fatalf("%q was chosen with only two of five acceptors up\n%s", v, c.report())
	}
	c.Restart("n3")
	if v := c.WaitLearned("n1", ChooseLimit); v != "blue" {
		t.Fatalf("n1 learned %s once a majority was back, want blue\n%s", show(v), c.report())
	}
}

func testChosenSurvivesRestarts(t T, s Setup) {
	c := s.MakeCluster(t, 3)
	c.Propose("n1", "blue")
	c.WaitLearned("n1", ChooseLimit)
	for _, id := range c.ids {
		c.Crash(id)
	}
	for _, id := range c.ids {
		c.Restart(id)
	}
	c.RunFor(time.Millisecond)
	c.Propose("n2", "red")
	if v := c.WaitLearned("n2", ChooseLimit); v != "blue" {
		t.Fatalf("blue was chosen before the restarts, but n2 learned %s\n%s", show(v), c.report())
	}
}

func testUnreliable(t T, s Setup) {
	c := s.MakeCluster(t, 5)
	all := network.Link{}
	must(t, c.net.SetLoss(all, 0.2))
	must(t, c.net.SetDuplicate(all, 0.1))
	must(t, c.net.SetReorder(all, true))
	must(t, c.net.SetLatency(all, network.Uniform{Min: time.Millisecond, Max: 20 * time.Millisecond}))
	ids := []sim.NodeID{"n1", "n2", "n3"}
	for i, id := range ids {
		c.Propose(id, fmt.Sprintf("v%d", i+1))
	}
	agree(t, c, ids, UnreliableLimit, "v1", "v2", "v3")
}

func testChurn(t T, s Setup) {
	c := s.MakeCluster(t, 5)
	rng := c.w.Seed()
	proposers := []sim.NodeID{"n1", "n2", "n3", "n4", "n5"}
	down := map[sim.NodeID]bool{}
	// A fixed pseudo-random walk from the seed: every 20ms one node
	// crashes or comes back, never more than two down at once.
	x := rng*6364136223846793005 + 1442695040888963407
	for step := 0; step < 50; step++ {
		x = x*6364136223846793005 + 1442695040888963407
		id := proposers[(x>>33)%5]
		switch {
		case down[id]:
			c.Restart(id)
			delete(down, id)
		case len(down) < 2:
			c.Crash(id)
			down[id] = true
		}
		for _, p := range proposers {
			if !down[p] && c.w.Up(p) {
				if _, ok := c.Learned(p); !ok && step%5 == 0 {
					c.Propose(p, "from-"+string(p))
				}
			}
		}
		c.RunFor(20 * time.Millisecond)
	}
	for id := range down {
		c.Restart(id)
	}
	c.RunFor(time.Millisecond)
	for _, p := range proposers {
		if _, ok := c.Learned(p); !ok {
			c.Propose(p, "from-"+string(p))
		}
	}
	agree(t, c, proposers, ChooseLimit, "from-n1", "from-n2", "from-n3", "from-n4", "from-n5")
}

// testForgottenPromise steers three nodes into the one schedule where an
// acceptor that forgets its promise across a restart lets two values be
// chosen. n1 and n3 cannot talk; n2 hears both.
//
//  1. n3 runs phase 1; n2 promises n3's ballot, and crashes and restarts
//     at once. n3's Accept to n2 is slow (50ms).
//  2. n1 runs phase 1 with a lower ballot. n2 must refuse it: it promised
//     n3. If it forgot, n1's value is chosen by n1 and n2.
//  3. n3's late Accept reaches n2, whose promise it satisfies: if n2 had
//     let n1's value be chosen, n3's value is now chosen by n2 and n3.
func testForgottenPromise(t T, s Setup) {
	c := s.MakeCluster(t, 3)
	must(t, c.net.Cut("n1", "n3"))
	must(t, c.net.Cut("n3", "n1"))
	c.Propose("n3", "v3")
	promisedN3 := func() bool {
		st, ok := c.Status("n2")
		return ok && st.Promised.Node == "n3"
	}
	if !c.RunUntil(promisedN3, ChooseLimit) {
		t.Fatalf("n2 never promised n3's ballot\n%s", c.report())
	}
	must(t, c.net.SetLatency(network.Link{From: "n3", To: "n2"}, network.Constant(50*time.Millisecond)))
	c.Crash("n2")
	c.Restart("n2")
	c.RunFor(5 * time.Millisecond)
	c.Propose("n1", "v1")
	c.RunFor(200 * time.Millisecond)
	if v, ok := c.Learned("n1"); ok && v != "v1" {
		t.Errorf("n1 learned %s, though n3 never got v3 accepted by a majority\n%s", show(v), c.report())
	}
}

// testAcceptedValueCarriedOver: n1 gets "v1" chosen by n1 and n2 while n3
// is cut off; then n1 is cut off and n3 proposes "v3". n2's promise
// reports v1, so n3 must propose v1.
func testAcceptedValueCarriedOver(t T, s Setup) {
	c := s.MakeCluster(t, 3)
	must(t, c.net.Isolate("n3"))
	c.Propose("n1", "v1")
	if v := c.WaitLearned("n1", ChooseLimit); v != "v1" {
		t.Fatalf("n1 learned %s, want v1\n%s", show(v), c.report())
	}
	c.net.Heal()
	must(t, c.net.Isolate("n1"))
	c.Propose("n3", "v3")
	if v := c.WaitLearned("n3", ChooseLimit); v != "v1" {
		t.Errorf("n3 learned %s, but v1 was already chosen: its proposer must carry over the accepted value\n%s", show(v), c.report())
	}
}

func must(t T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%v", err)
	}
}

// testAcceptWithoutPrepare: n3 misses n1's Prepare (one message dropped)
// but gets its Accept. Accepting ballot b is also promising b: n3's promise
// must rise to b with the acceptance (checked after every step).
func testAcceptWithoutPrepare(t T, s Setup) {
	c := s.MakeCluster(t, 3)
	must(t, c.net.DropNext(network.Link{From: "n1", To: "n3"}))
	c.Propose("n1", "v1")
	if v := c.WaitLearned("n1", ChooseLimit); v != "v1" {
		t.Fatalf("n1 learned %s, want v1\n%s", show(v), c.report())
	}
	c.RunFor(100 * time.Millisecond)
	if v, ok := c.Learned("n3"); !ok || v != "v1" {
		t.Fatalf("n3 learned %s (%v), want v1: it accepted v1 without the Prepare\n%s", show(v), ok, c.report())
	}
}

// testLearnerOneBallot steers two acceptors into accepting the same value at
// two different ballots, each alone: n1 accepts "v" at n1's ballot (its
// Accept to n2 and n3 is dropped), then n2 runs a round, learns "v" from n1's
// promise, and accepts it at its own ballot (its Accept to n1 and n3 is
// dropped). No majority accepted "v" at one ballot, so it is not chosen yet:
// a learner that counts acceptors per value, across ballots, learns it too
// early. Afterwards the network heals and "v" is chosen for real.
func testLearnerOneBallot(t T, s Setup) {
	c := s.MakeCluster(t, 3)
	t0 := c.w.Now()
	drop := func(at time.Duration, links ...network.Link) {
		c.w.At(t0+at, func() {
			for _, l := range links {
				must(t, c.net.DropNext(l))
			}
		})
	}
	// Messages take 1ms: n1's Prepare lands at +1ms, the Promises at
	// +2ms, its Accept leaves at +2ms.
	c.Propose("n1", "v")
	drop(1500*time.Microsecond, network.Link{From: "n1", To: "n2"}, network.Link{From: "n1", To: "n3"})
	c.RunFor(10 * time.Millisecond)
	// n2's round: drop n3's Promise so n2 hears n1's report of "v", then
	// its Accept to n1 and n3.
	t0 = c.w.Now()
	c.Propose("n2", "w")
	drop(500*time.Microsecond, network.Link{From: "n3", To: "n2"})
	drop(1500*time.Microsecond, network.Link{From: "n2", To: "n1"}, network.Link{From: "n2", To: "n3"})
	c.RunFor(10 * time.Millisecond)
	agree(t, c, c.ids, ChooseLimit, "v", "w")
}
