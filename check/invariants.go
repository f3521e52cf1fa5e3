package check

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dsimlab/dsim/sim"
)

// Errors the invariant checkers wrap: test with errors.Is.
var (
	ErrElectionSafety     = errors.New("election safety violated")
	ErrStateMachineSafety = errors.New("state machine safety violated")
	ErrLogMatching        = errors.New("log matching violated")
	ErrLeaderCompleteness = errors.New("leader completeness violated")
)

// ElectionSafety checks Raft's Election Safety property (§5.2): at most one
// leader can be elected in a given term. Feed it every node's (term, role)
// after every step; it remembers the leader of each term it has seen. The
// zero value is ready to use.
type ElectionSafety struct {
	// leaders maps a term to the one node seen leading in it.
	leaders map[uint64]sim.NodeID
}

// Observe records that node is in term and is, or is not, its leader.
func (e *ElectionSafety) Observe(node sim.NodeID, term uint64, isLeader bool) error {
	if !isLeader {
		return nil
	}
	if e.leaders == nil {
		e.leaders = map[uint64]sim.NodeID{}
	}
	first, seen := e.leaders[term]
	if !seen {
		e.leaders[term] = node
		return nil
	}
	if first != node {
		a, b := min(first, node), max(first, node)
		return fmt.Errorf("%w: two leaders in term %d: %s and %s", ErrElectionSafety, term, a, b)
	}
	return nil
}

// Leader returns the node seen leading term, if any.
func (e *ElectionSafety) Leader(term uint64) (sim.NodeID, bool) {
	n, ok := e.leaders[term]
	return n, ok
}

// StateMachineSafety checks Raft's State Machine Safety property (§5.4.3):
// if a node has applied a command at an index, no node ever applies a
// different command at that index. Because it remembers what was applied
// first at each index, it also catches a committed entry that changes later
// (say, after a restart re-applies a log that was wrongly overwritten). The
// zero value is ready to use.
type StateMachineSafety struct {
	// first holds, per index, the first command applied there and by whom.
	first map[uint64]appliedCommand
}

type appliedCommand struct {
	node sim.NodeID
	cmd  []byte
}

// Applied records that node applied cmd at index.
func (s *StateMachineSafety) Applied(node sim.NodeID, index uint64, cmd []byte) error {
	if s.first == nil {
		s.first = map[uint64]appliedCommand{}
	}
	was, seen := s.first[index]
	if !seen {
		s.first[index] = appliedCommand{node: node, cmd: bytes.Clone(cmd)}
		return nil
	}
	if !bytes.Equal(was.cmd, cmd) {
		if was.node == node {
			return fmt.Errorf("%w: %s applied %s at index %d, and later %s at the same index",
				ErrStateMachineSafety, node, quoteCommand(was.cmd), index, quoteCommand(cmd))
		}
		return fmt.Errorf("%w: %s applied %s at index %d but %s applied %s there",
			ErrStateMachineSafety, was.node, quoteCommand(was.cmd), index, node, quoteCommand(cmd))
	}
	return nil
}

// Indexes is how many distinct indexes have been applied by some node.
func (s *StateMachineSafety) Indexes() int { return len(s.first) }

func quoteCommand(cmd []byte) string {
	const limit = 60
	if len(cmd) > limit {
		return fmt.Sprintf("%q… (%d bytes)", cmd[:limit], len(cmd))
	}
	return fmt.Sprintf("%q", cmd)
}

// IndexTerm names a log entry by its position and the term it was created in.
type IndexTerm struct {
	Index, Term uint64
}

// LogEntry is a log entry as the log checkers see it.
type LogEntry struct {
	Index, Term uint64
	Command     []byte
}

// NodeLog is one node's log: the entries after its snapshot, in order.
type NodeLog struct {
	Node sim.NodeID
	// SnapshotIndex is the last index folded into the node's snapshot:
	// those entries are committed but no longer in Entries.
	SnapshotIndex uint64
	Entries       []LogEntry
}

// LogMatching checks Raft's Log Matching property (§5.3) between two logs:
// if both hold an entry with the same index and term, they hold the same
// command there and are identical in every entry before it that both still
// have (entries folded into a snapshot cannot be compared).
func LogMatching(a, b NodeLog) error {
	bAt := make(map[uint64]LogEntry, len(b.Entries))
	for _, e := range b.Entries {
		bAt[e.Index] = e
	}
	// Find the highest index where the terms agree; everything at or below
	// it must then be identical.
	var match uint64
	for _, e := range a.Entries {
		if o, ok := bAt[e.Index]; ok && o.Term == e.Term {
			match = max(match, e.Index)
		}
	}
	for _, e := range a.Entries {
		if e.Index > match {
			break
		}
		o, ok := bAt[e.Index]
		if !ok {
			continue
		}
		if o.Term != e.Term || !bytes.Equal(o.Command, e.Command) {
			return fmt.Errorf("%w: %s and %s both have an entry at index %d in term %d, but differ at index %d (%s has term %d %s, %s has term %d %s)",
				ErrLogMatching, a.Node, b.Node, match, bAt[match].Term, e.Index,
				a.Node, e.Term, quoteCommand(e.Command), b.Node, o.Term, quoteCommand(o.Command))
		}
	}
	return nil
}

// LeaderCompleteness checks Raft's Leader Completeness property (§5.4): a
// leader's log holds every entry committed before it (in any earlier term).
// committed is the committed prefix as (index, term) pairs; log is the
// leader's log. An entry at or below the leader's SnapshotIndex counts as
// present: a snapshot only ever holds committed entries.
func LeaderCompleteness(committed []IndexTerm, leaderTerm uint64, log NodeLog) error {
	have := make(map[uint64]uint64, len(log.Entries))
	for _, e := range log.Entries {
		have[e.Index] = e.Term
	}
	for _, c := range committed {
		if c.Index <= log.SnapshotIndex {
			continue
		}
		term, ok := have[c.Index]
		switch {
		case !ok:
			return fmt.Errorf("%w: %s became leader of term %d without the entry committed at index %d (term %d); its log ends at index %d",
				ErrLeaderCompleteness, log.Node, leaderTerm, c.Index, c.Term, lastIndex(log))
		case term != c.Term:
			return fmt.Errorf("%w: %s became leader of term %d with an entry of term %d at index %d, where an entry of term %d was committed",
				ErrLeaderCompleteness, log.Node, leaderTerm, term, c.Index, c.Term)
		}
	}
	return nil
}

func lastIndex(l NodeLog) uint64 {
	if n := len(l.Entries); n > 0 {
		return l.Entries[n-1].Index
	}
	return l.SnapshotIndex
}
