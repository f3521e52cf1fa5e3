package paxossuite

import (
	"testing"

	"github.com/dsimlab/dsim/consensus/paxos"
)

// Two checkers that saw the same statuses, in any order of nodes, digest
// the same; one that saw something more does not.
func TestSafetyFingerprint(t *testing.T) {
	b1 := paxos.Ballot{Round: 1, Node: "n1"}
	seen := []paxos.Status{
		{ID: "n1", Promised: b1, AcceptedBallot: b1, AcceptedValue: "blue"},
		{ID: "n2", Promised: b1, AcceptedBallot: b1, AcceptedValue: "blue"},
		{ID: "n3", Promised: b1},
	}
	a, b := NewSafety(3), NewSafety(3)
	for i := range seen {
		a.Observe(seen[i])
		b.Observe(seen[len(seen)-1-i])
	}
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("the same observations digest differently")
	}
	b.Observe(paxos.Status{ID: "n3", Promised: b1, Chosen: true, ChosenValue: "blue"})
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("a learner learning does not change the digest")
	}
}
