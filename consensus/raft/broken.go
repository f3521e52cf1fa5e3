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
	// ForgetsTermOnStepDown does not write the term to disk when a newer
	// term makes the node a follower (only votes and candidacies write it):
	// after a restart its term goes back to one it has already left, though
	// it answered messages in the newer one.
	ForgetsTermOnStepDown
	// PreVoteIgnoresLease grants pre-votes even while it hears from a
	// leader (thesis §9.6 says refuse): a node that rejoins after a
	// partition wins its pre-vote, campaigns in a higher term and deposes a
	// healthy leader, which is what PreVote exists to prevent.
	PreVoteIgnoresLease
	// CountsStaleVotes counts a vote granted in an earlier election of its
	// own: a reply from an older term is acted upon instead of dropped, so
	// a candidate can win a term in which no majority voted for it.
	CountsStaleVotes
	// TimerIgnoresHeartbeats resets the election timer only on
	// AppendEntries that carry entries, not on empty heartbeats: under a
	// stable, idle leader, followers keep campaigning (PreVote hides the
	// damage from the term, not from the message count).
	TimerIgnoresHeartbeats
	// InstallsStaleSnapshots installs every InstallSnapshot it gets, even
	// one that covers less than the follower has committed (a late or
	// duplicate message): the state machine is rolled back to the older
	// snapshot and commands it had applied are applied again.
	InstallsStaleSnapshots
	// ResetsTimerOnStaleHeartbeats resets the election timer on an
	// AppendEntries from an older term before rejecting it: a deposed
	// leader that cannot hear the cluster but still reaches it keeps every
	// follower from ever starting an election.
	ResetsTimerOnStaleHeartbeats
)

func (b Bug) String() string {
	switch b {
	case CommitsEarlierTermByCounting:
		return "CommitsEarlierTermByCounting"
	case ForgetsVotedFor:
		return "ForgetsVotedFor"
	case GrantsVotesWithoutLogCheck:
		return "GrantsVotesWithoutLogCheck"
	case ForgetsTermOnStepDown:
		return "ForgetsTermOnStepDown"
	case PreVoteIgnoresLease:
		return "PreVoteIgnoresLease"
	case CountsStaleVotes:
		return "CountsStaleVotes"
	case TimerIgnoresHeartbeats:
		return "TimerIgnoresHeartbeats"
	case InstallsStaleSnapshots:
		return "InstallsStaleSnapshots"
	case ResetsTimerOnStaleHeartbeats:
		return "ResetsTimerOnStaleHeartbeats"
	}
	return fmt.Sprintf("Bug(%d)", int(b))
}

// testingKnobs switch on the bugs of NewBroken. The zero value is correct Raft.
type testingKnobs struct {
	commitByCountingOldTerms bool
	forgetVotedFor           bool
	skipUpToDateCheck        bool
	lazyTerm                 bool
	preVoteIgnoresLease      bool
	countStaleVotes          bool
	timerNeedsEntries        bool
	installStaleSnapshots    bool
	staleHeartbeatsReset     bool
}

func (k testingKnobs) any() bool { return k != testingKnobs{} }

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
	case ForgetsTermOnStepDown:
		n.bugs.lazyTerm = true
	case PreVoteIgnoresLease:
		n.bugs.preVoteIgnoresLease = true
	case CountsStaleVotes:
		n.bugs.countStaleVotes = true
	case TimerIgnoresHeartbeats:
		n.bugs.timerNeedsEntries = true
	case InstallsStaleSnapshots:
		n.bugs.installStaleSnapshots = true
	case ResetsTimerOnStaleHeartbeats:
		n.bugs.staleHeartbeatsReset = true
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
