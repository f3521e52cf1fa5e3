package paxos

import (
	"fmt"

	"github.com/dsimlab/dsim/sim"
)

// Ballot is a proposal number (Paxos Made Simple calls it n). Ballots must be
// totally ordered and no two proposers may ever use the same one; pairing a
// round with the proposer's own node ID gives both at once: (round, node),
// compared round first, node ID breaking ties.
//
// The zero Ballot is "none": below every ballot a proposer uses, whose
// rounds start at 1.
type Ballot struct {
	Round uint64
	Node  sim.NodeID
}

// Less reports whether b is ordered before o.
func (b Ballot) Less(o Ballot) bool {
	if b.Round != o.Round {
		return b.Round < o.Round
	}
	return b.Node < o.Node
}

// IsZero reports whether b is the zero ballot, "none".
func (b Ballot) IsZero() bool { return b == Ballot{} }

// String renders a ballot as round.node, "3.n1", and the zero ballot as "0".
func (b Ballot) String() string {
	if b.IsZero() {
		return "0"
	}
	return fmt.Sprintf("%d.%s", b.Round, b.Node)
}

// Max returns the greater of two ballots.
func Max(a, b Ballot) Ballot {
	if a.Less(b) {
		return b
	}
	return a
}
