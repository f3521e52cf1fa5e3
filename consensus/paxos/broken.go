package paxos

import "fmt"

// Bug names a deliberate mistake NewBroken builds into a Node.
type Bug int

const (
	// ForgetsPromise keeps the acceptor's promise in memory only: after a
	// restart it may accept a ballot below one it promised to ignore, and
	// two different values can be chosen.
	ForgetsPromise Bug = iota + 1
	// IgnoresAcceptedValues makes the proposer propose its own value even
	// when a promise reported a value already accepted (it skips P2c): it
	// can overwrite a value that was already chosen.
	IgnoresAcceptedValues
)

func (b Bug) String() string {
	switch b {
	case ForgetsPromise:
		return "ForgetsPromise"
	case IgnoresAcceptedValues:
		return "IgnoresAcceptedValues"
	}
	return fmt.Sprintf("Bug(%d)", int(b))
}

// testingKnobs switch on the bugs of NewBroken. The zero value is correct
// Paxos.
type testingKnobs struct {
	forgetPromise        bool
	ignoreAcceptedValues bool
}

// NewBroken returns a Node with one deliberate bug. It exists to show that
// the Paxos suite and its checkers catch these bugs; never use it otherwise.
// It panics on an unknown Bug, like New on a bad Config.
func NewBroken(cfg Config, bug Bug) *Node {
	n := New(cfg)
	switch bug {
	case ForgetsPromise:
		n.bugs.forgetPromise = true
	case IgnoresAcceptedValues:
		n.bugs.ignoreAcceptedValues = true
	default:
		panic(fmt.Sprintf("paxos: NewBroken: unknown %v", bug))
	}
	return n
}
