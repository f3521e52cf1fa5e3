package multipaxos

import (
	"fmt"

	"github.com/dsimlab/dsim/consensus/rsm"
)

// Bug names a deliberate mistake NewBroken builds into a Node.
type Bug int

const (
	// IgnoresAcceptedValues makes a new leader skip P2c slot by slot: it
	// fills every undecided slot the promises mention with a no-op instead
	// of the value accepted at the highest ballot, so a command the old
	// leader got accepted by a majority (and acknowledged) is lost.
	IgnoresAcceptedValues Bug = iota + 1
	// DecidesWithoutMajority decides a slot once any one acceptor (its own
	// included) accepted it: a leader cut off from the others decides and
	// acknowledges commands no majority holds, and a new leader on the
	// other side decides other commands in the same slots.
	DecidesWithoutMajority
)

func (b Bug) String() string {
	switch b {
	case IgnoresAcceptedValues:
		return "IgnoresAcceptedValues"
	case DecidesWithoutMajority:
		return "DecidesWithoutMajority"
	}
	return fmt.Sprintf("Bug(%d)", int(b))
}

// testingKnobs switch on the bugs of NewBroken. The zero value is correct
// Multi-Paxos.
type testingKnobs struct {
	ignoreAccepted bool
	decideWithOne  bool
}

// NewBroken returns a Node with one deliberate bug, to show that graders
// catch it; never use it otherwise. It panics on an unknown Bug.
func NewBroken(cfg Config, app rsm.Applier, bug Bug) *Node {
	n := New(cfg, app)
	switch bug {
	case IgnoresAcceptedValues:
		n.bugs.ignoreAccepted = true
	case DecidesWithoutMajority:
		n.bugs.decideWithOne = true
	default:
		panic(fmt.Sprintf("multipaxos: NewBroken: unknown %v", bug))
	}
	return n
}
