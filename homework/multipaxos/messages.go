package multipaxos

import "github.com/dsimlab/dsim/consensus/paxos"

// Ballot is a proposal number: (round, node), compared round first.
type Ballot = paxos.Ballot

// The messages of Multi-Paxos (Paxos Made Simple §3), given. Phase 1 runs
// once for every slot from FirstUndecided on; phase 2 runs per slot. You
// may add messages and fields; keep fields exported.

// Prepare asks for a promise covering every slot from FirstUndecided on.
type Prepare struct {
	Ballot         Ballot
	FirstUndecided uint64
}

// SlotState is what an acceptor holds for one slot.
type SlotState struct {
	Slot    uint64
	Ballot  Ballot // the ballot Value was accepted at
	Value   []byte
	Decided bool
}

// Promise reports every slot the acceptor accepted or knows decided.
type Promise struct {
	Ballot  Ballot
	Entries []SlotState
}

// Accept asks acceptors to accept Value in Slot at Ballot.
type Accept struct {
	Ballot Ballot
	Slot   uint64
	Value  []byte
}

// Accepted answers an Accept.
type Accepted struct {
	Ballot Ballot
	Slot   uint64
}

// Nack: the acceptor promised a higher ballot.
type Nack struct {
	Ballot   Ballot
	Promised Ballot
}

// Heartbeat keeps followers from starting elections and tells them how far
// the decided prefix reaches.
type Heartbeat struct {
	Ballot  Ballot
	Decided uint64
}

// Learn carries decisions a follower lacks.
type Learn struct {
	Decisions []SlotState
}

// Timers.
type (
	electionTick  struct{ Epoch uint64 }
	heartbeatTick struct{ Epoch uint64 }
)
