package raft

import (
	"fmt"

	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
)

// Bug names a deliberate mistake NewBroken builds into a Node.
type Bug int

const (
	// CommitsEarlierTermByCounting drops the current-term condition of
	// §5.4.2: a leader commits any entry stored on a majority, which
	// Figure 8 shows can commit an entry a later leader overwrites.
	CommitsEarlierTermByCounting Bug = iota + 1
	// ForgetsVotedFor never writes votedFor to disk: after a restart the
	// node can vote a second time in the same term, and two leaders can be
	// elected in one term.
	ForgetsVotedFor
	// GrantsVotesWithoutLogCheck skips the election restriction of §5.4.1:
	// a candidate missing committed entries can win and overwrite them.
	GrantsVotesWithoutLogCheck
)

func (b Bug) String() string {
	switch b {
	case CommitsEarlierTermByCounting:
		return "CommitsEarlierTermByCounting"
	case ForgetsVotedFor:
		return "ForgetsVotedFor"
	case GrantsVotesWithoutLogCheck:
		return "GrantsVotesWithoutLogCheck"
	}
	return fmt.Sprintf("Bug(%d)", int(b))
}

// testingKnobs switch on the bugs of NewBroken. The zero value is correct Raft.
type testingKnobs struct {
	commitByCountingOldTerms bool
	forgetVotedFor           bool
	skipUpToDateCheck        bool
}

func (k testingKnobs) any() bool {
	return k.commitByCountingOldTerms || k.forgetVotedFor || k.skipUpToDateCheck
}

// NewBroken returns a Node with one deliberate bug. It exists to show that
// the scenario suite and the checkers catch these bugs; never use it
// otherwise. It panics on an unknown Bug, like New on a bad Config.
func NewBroken(cfg Config, app rsm.Applier, bug Bug) *Node {
	n := New(cfg, app)
	switch bug {
	case CommitsEarlierTermByCounting:
		n.bugs.commitByCountingOldTerms = true
	case ForgetsVotedFor:
		n.bugs.forgetVotedFor = true
	case GrantsVotesWithoutLogCheck:
		n.bugs.skipUpToDateCheck = true
	default:
		panic(fmt.Sprintf("raft: NewBroken: unknown %v", bug))
	}
	return n
}

// violation reports a broken safety invariant. Correct Raft never gets here,
// so it panics; a Node built by NewBroken is expected to, so it logs the
// violation and carries on, leaving it to the checkers to notice.
func (n *Node) violation(env sim.Env, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !n.bugs.any() {
		panic(fmt.Sprintf("raft: %s: safety violation: %s", n.id, msg))
	}
	env.Logf("SAFETY VIOLATION: %s", msg)
}
