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
	// NeverSyncs writes the acceptor's state to Disk but never syncs it: on
	// a machine that loses unsynced writes in a crash it forgets promises
	// and acceptances it already sent.
	NeverSyncs
	// AcceptDoesNotRaisePromise accepts a ballot without promising it: an
	// acceptor that missed the Prepare keeps its older promise, and can
	// later accept a ballot below the one it accepted.
	AcceptDoesNotRaisePromise
	// CountsAcceptancesAcrossBallots makes the learner count, per value,
	// the acceptors that accepted it at any ballot: two acceptors that
	// accepted v at two different ballots look like a majority, though no
	// majority accepted v at one ballot, so v is not chosen (yet).
	CountsAcceptancesAcrossBallots
)

func (b Bug) String() string {
	switch b {
	case ForgetsPromise:
		return "ForgetsPromise"
	case IgnoresAcceptedValues:
		return "IgnoresAcceptedValues"
	case NeverSyncs:
		return "NeverSyncs"
	case AcceptDoesNotRaisePromise:
		return "AcceptDoesNotRaisePromise"
	case CountsAcceptancesAcrossBallots:
		return "CountsAcceptancesAcrossBallots"
	}
	return fmt.Sprintf("Bug(%d)", int(b))
}

// testingKnobs switch on the bugs of NewBroken. The zero value is correct
// Paxos.
type testingKnobs struct {
	forgetPromise        bool
	ignoreAcceptedValues bool
	neverSync            bool
	acceptKeepsPromise   bool
	countPerValue        bool
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
	case NeverSyncs:
		n.bugs.neverSync = true
	case AcceptDoesNotRaisePromise:
		n.bugs.acceptKeepsPromise = true
	case CountsAcceptancesAcrossBallots:
		n.bugs.countPerValue = true
	default:
		panic(fmt.Sprintf("paxos: NewBroken: unknown %v", bug))
	}
	return n
}
