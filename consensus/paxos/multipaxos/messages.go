package multipaxos

import "github.com/dsimlab/dsim/consensus/paxos"

// Multi-Paxos runs one Paxos instance per log slot, and lets one Prepare
// cover every slot from FirstUndecided on: a leader that holds promises
// from a majority for its ballot skips phase 1 for every new slot.

// Prepare is phase 1a for every slot from FirstUndecided on.
type Prepare struct {
	Ballot         paxos.Ballot
	FirstUndecided uint64
}

// SlotState is what an acceptor reports about one slot in a Promise: the
// proposal it accepted there (Ballot, Value), or that it knows the slot is
// decided (Decided, Value is the chosen command).
type SlotState struct {
	Slot    uint64
	Ballot  paxos.Ballot
	Value   []byte
	Decided bool
}

// Promise is phase 1b: a promise for Ballot, for every slot from the
// Prepare's FirstUndecided on, with every slot there the acceptor accepted
// something in or knows decided.
type Promise struct {
	Ballot  paxos.Ballot
	Entries []SlotState
}

// Accept is phase 2a for one slot. An empty Value is a no-op, filling a gap.
type Accept struct {
	Ballot paxos.Ballot
	Slot   uint64
	Value  []byte
}

// Accepted is phase 2b, sent to the leader, which is the learner that
// counts: once a majority accepted a slot at its ballot, the slot is decided.
type Accepted struct {
	Ballot paxos.Ballot
	Slot   uint64
}

// Nack refuses Ballot: the acceptor promised the higher Promised.
type Nack struct {
	Ballot   paxos.Ballot
	Promised paxos.Ballot
}

// Heartbeat is the leader's "I am alive": followers that hear none for an
// election timeout try to take over. Decided is the leader's decided
// prefix: every slot up to it is decided.
type Heartbeat struct {
	Ballot  paxos.Ballot
	Decided uint64
}

// HeartbeatReply tells the leader how far this follower's decided prefix
// reaches, so the leader can send it the decisions it missed.
type HeartbeatReply struct {
	Ballot  paxos.Ballot
	Decided uint64
}

// Decision is one decided slot.
type Decision struct {
	Slot  uint64
	Value []byte
}

// Learn carries decided slots to a follower that lacks them: the learners
// of Paxos Made Simple, fed by the leader.
type Learn struct {
	Decisions []Decision
}

// Timers, as messages to oneself.
type (
	electionTick  struct{ Epoch uint64 }
	heartbeatTick struct{ Epoch uint64 }
)
