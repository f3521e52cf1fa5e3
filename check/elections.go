package check

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dsimlab/dsim/sim"
)

// Errors Elections wraps: test with errors.Is.
var (
	// ErrTermDecreased: a node's current term went down, within one life
	// or across a restart (Figure 2: currentTerm is persistent and only
	// grows).
	ErrTermDecreased = errors.New("a node's term decreased")
	// ErrDoubleVote: a node voted for two candidates in one term, usually
	// after a restart that forgot its vote (Figure 2: votedFor is
	// persistent).
	ErrDoubleVote = errors.New("a node voted twice in one term")
	// ErrLeaderWithoutMajority: a node became leader of a term although
	// fewer than a majority voted for it in that term (§5.2), for example
	// by counting votes granted in an earlier election.
	ErrLeaderWithoutMajority = errors.New("a leader without a majority of votes in its term")
)

// Elections checks the election rules of Raft (§5.2, Figure 2) from what
// each node reports of itself after every step: its current term, whom it
// voted for in that term, and whether it leads. Three properties:
//
//   - a node's term never decreases, across restarts too (a restart may
//     only fall back to what the node had when it last told anyone);
//   - a node votes for at most one candidate per term, and the vote
//     survives a restart;
//   - a node that becomes leader of term T holds votes from a majority of
//     the cluster cast in term T (itself included).
//
// What a node had when it sent a message counts as promised: Raft must make
// term and vote durable before it answers, so a restart may not undo them.
// State it never told anyone about may be lost in a crash without blame.
// Create one with NewElections.
type Elections struct {
	members int
	// live is each node's highest term in its current life; durable, the
	// highest term it had at a step in which it sent a message.
	live, durable map[sim.NodeID]uint64
	// votes records each vote seen, by (voter, term); durable marks those
	// the voter had when it sent a message, which must survive restarts.
	votes map[voteKey]vote
	// leaders holds each (leader, term) already checked for its majority.
	leaders map[voteKey]bool
}

type voteKey struct {
	node sim.NodeID
	term uint64
}

type vote struct {
	candidate sim.NodeID
	durable   bool
}

// NewElections returns a checker for a cluster of members voting nodes.
func NewElections(members int) *Elections {
	return &Elections{
		members: members,
		live:    map[sim.NodeID]uint64{}, durable: map[sim.NodeID]uint64{},
		votes: map[voteKey]vote{}, leaders: map[voteKey]bool{},
	}
}

// ElectionState is what Elections needs of one node after one step.
type ElectionState struct {
	Node     sim.NodeID
	Term     uint64
	VotedFor sim.NodeID // "" if the node has not voted in Term
	Leader   bool       // the node is leader of Term
	// Sent is true if the node sent a message in this step: what it holds
	// now it has told the world, so it must survive a crash.
	Sent bool
}

// Restarted tells the checker that node crashed and booted again: what it
// held without telling anyone may be gone.
func (e *Elections) Restarted(node sim.NodeID) {
	delete(e.live, node)
	for k, v := range e.votes {
		if k.node == node && !v.durable {
			delete(e.votes, k)
		}
	}
}

// Observe checks one node's state after a step and records it.
func (e *Elections) Observe(s ElectionState) error {
	floor := max(e.live[s.Node], e.durable[s.Node])
	if s.Term < floor {
		how := "in the same life"
		if e.live[s.Node] < floor {
			how = "after a restart: currentTerm must be on disk before the node sends anything in that term"
		}
		return fmt.Errorf("%w: %s was in term %d and is now in term %d, %s", ErrTermDecreased, s.Node, floor, s.Term, how)
	}
	e.live[s.Node] = s.Term
	if s.Sent {
		e.durable[s.Node] = max(e.durable[s.Node], s.Term)
	}
	if s.VotedFor != "" {
		k := voteKey{s.Node, s.Term}
		was, seen := e.votes[k]
		if seen && was.candidate != s.VotedFor {
			why := "in the same life"
			if was.durable {
				why = "after telling the first; votedFor must be on disk before the vote is sent"
			}
			return fmt.Errorf("%w: %s voted for %s and then for %s in term %d, %s",
				ErrDoubleVote, s.Node, was.candidate, s.VotedFor, s.Term, why)
		}
		e.votes[k] = vote{candidate: s.VotedFor, durable: was.durable || s.Sent}
	}
	if s.Leader {
		k := voteKey{s.Node, s.Term}
		if !e.leaders[k] {
			e.leaders[k] = true
			var voters []sim.NodeID
			for vk, v := range e.votes {
				if vk.term == s.Term && v.candidate == s.Node {
					voters = append(voters, vk.node)
				}
			}
			slices.Sort(voters)
			if need := e.members/2 + 1; len(voters) < need {
				return fmt.Errorf("%w: %s leads term %d with votes from %v cast in term %d, but needs %d of %d (votes from earlier terms do not count; and Status must report VotedFor)",
					ErrLeaderWithoutMajority, s.Node, s.Term, voters, s.Term, need, e.members)
			}
		}
	}
	return nil
}
