package paxos

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Equal states give equal fingerprints, whatever the maps' order; a change
// to any part of the state the protocol reads changes it.
func TestFingerprint(t *testing.T) {
	b1, b2 := Ballot{Round: 1, Node: "n1"}, Ballot{Round: 2, Node: "n2"}
	base := func() *Node {
		n := New(Config{Members: []sim.NodeID{"n1", "n2", "n3"}})
		n.id = "n1"
		n.promised, n.acceptedBallot, n.acceptedValue = b1, b1, "blue"
		n.acceptedBy = map[Ballot]map[sim.NodeID]bool{b1: {"n1": true, "n2": true}, b2: {"n3": true}}
		n.ballotValue = map[Ballot]string{b1: "blue", b2: "red"}
		n.value, n.phase, n.ballot, n.maxRound = "blue", Accepting, b1, 2
		n.promises = map[sim.NodeID]Promise{"n1": {Ballot: b1}, "n2": {Ballot: b1, AcceptedBallot: b2, AcceptedValue: "red"}}
		n.hasTimer, n.timer = true, 7
		return n
	}
	want := base().Fingerprint()
	same := base()
	same.timer = 9 // the world's name for the timer, not state
	if same.Fingerprint() != want {
		t.Error("an equal state digests differently")
	}
	for name, change := range map[string]func(n *Node){
		"promised":       func(n *Node) { n.promised = b2 },
		"accepted value": func(n *Node) { n.acceptedValue = "red" },
		"accepted by":    func(n *Node) { n.acceptedBy[b2]["n2"] = true },
		"chosen":         func(n *Node) { n.chosen, n.chosenValue = true, "blue" },
		"phase":          func(n *Node) { n.phase = Preparing },
		"ballot":         func(n *Node) { n.ballot = b2 },
		"max round":      func(n *Node) { n.maxRound = 3 },
		"a promise":      func(n *Node) { delete(n.promises, "n1") },
		"promise value":  func(n *Node) { n.promises["n2"] = Promise{Ballot: b1, AcceptedBallot: b2, AcceptedValue: "green"} },
		"backoff":        func(n *Node) { n.attempt, n.lastWait = 1, 5*time.Millisecond },
		"timer":          func(n *Node) { n.hasTimer = false },
		"rounds":         func(n *Node) { n.rounds = 2 },
	} {
		n := base()
		change(n)
		if n.Fingerprint() == want {
			t.Errorf("changing the %s does not change the fingerprint", name)
		}
	}
}
