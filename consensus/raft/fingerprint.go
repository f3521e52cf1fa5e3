package raft

import (
	"slices"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/sim"
)

// Fingerprint digests the node's state for the explorer (check/explore),
// field by field as Figure 2 lists it: the persistent state (currentTerm,
// votedFor, log[], the snapshot and one being received in chunks), the
// volatile state (commitIndex, lastApplied, the role and the leader), the
// votes of a candidate, the nextIndex and matchIndex of a leader with its
// flow control and snapshot transfers, and the election timer's deadline.
//
// Left out: the configuration, the id and the peers, which never change in
// a run; the ids of the pending timers, names the world gives them (the
// explorer digests the timers themselves; whether one is set is in); and
// the scratch buffer of maybeCommit. The Applier's state is in only if the
// Applier is a Fingerprinter itself: a server that holds both a Raft node
// and its state machine (rsm.Server) is digested with its state machine by
// whoever digests the server.
func (n *Node) Fingerprint() uint64 {
	h := explore.NewHasher()
	bytes := func(b []byte) {
		h.Bool(b == nil)
		h.Str(string(b))
	}

	// Persistent state.
	h.U64(n.term)
	h.Str(string(n.votedFor))
	h.U64(n.log.prevIndex)
	h.U64(n.log.prevTerm)
	h.U64(uint64(len(n.log.entries)))
	for _, e := range n.log.entries {
		h.U64(e.Index)
		h.U64(e.Term)
		h.Bool(e.Noop)
		bytes(e.Command)
	}
	h.U64(n.snapIndex)
	h.U64(n.snapTerm)
	bytes(n.snapshot)
	h.Bool(n.incoming == nil)
	if n.incoming != nil {
		h.U64(n.incoming.index)
		h.U64(n.incoming.term)
		h.U64(n.incoming.offset)
	}
	h.Bool(n.dirty)
	h.Bool(n.lostWrites)

	// Volatile state.
	h.U64(uint64(n.role))
	h.Str(string(n.leader))
	h.U64(n.commitIndex)
	h.U64(n.lastApplied)
	h.Int(int64(n.appliedBytes))

	// Timers.
	h.U64(n.epoch)
	h.Bool(n.electionTimer != 0)
	h.Bool(n.heartbeatTimer != 0)
	h.Int(n.electionDeadline.UnixNano())
	h.Int(n.leaderContact.UnixNano())

	// A candidate's votes.
	h.Bool(n.votes == nil)
	voters := make([]sim.NodeID, 0, len(n.votes))
	for id, granted := range n.votes {
		if granted {
			voters = append(voters, id)
		}
	}
	slices.Sort(voters)
	h.U64(uint64(len(voters)))
	for _, id := range voters {
		h.Str(string(id))
	}

	// A leader's view of each follower (peers are sorted).
	h.Bool(n.progress == nil)
	for _, p := range n.peers {
		pr, ok := n.progress[p]
		h.Bool(ok)
		if !ok {
			continue
		}
		h.U64(pr.next)
		h.U64(pr.match)
		h.Bool(pr.probing)
		h.U64(uint64(len(pr.inflight)))
		for _, i := range pr.inflight {
			h.U64(i)
		}
		h.U64(pr.snapIndex)
		h.U64(pr.snapOffset)
		h.U64(pr.snapNext)
		h.Bool(pr.snapDoneSent)
		h.Int(pr.snapContact.UnixNano())
		h.Int(pr.snapSentAt.UnixNano())
		h.Bool(pr.active)
	}

	if f, ok := n.app.(explore.Fingerprinter); ok {
		h.U64(f.Fingerprint())
	}
	return h.Sum()
}

var _ explore.Fingerprinter = (*Node)(nil)
