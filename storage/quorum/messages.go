package quorum

import (
	"github.com/dsimlab/dsim/clock"
	"github.com/dsimlab/dsim/sim"
)

// Err is the outcome of a client request, carried in replies as a plain
// string so that it crosses a real network and reads well in a trace.
type Err string

// Outcomes of a request.
const (
	OK Err = ""
	// ErrNoQuorum means the coordinator did not hear from R (for a read) or
	// W (for a write) replicas in time. A failed write may still have
	// reached some replicas: its outcome is unknown, not "nothing happened".
	ErrNoQuorum Err = "no quorum"
)

// GetRequest asks a coordinator for a key's siblings.
type GetRequest struct {
	ReqID uint64 // chosen by the client; echoed in the reply
	Key   string
}

// GetReply answers a GetRequest with the merge of R replicas' siblings.
type GetReply struct {
	ReqID    uint64
	Key      string
	Siblings Siblings
	Err      Err
}

// PutRequest asks a coordinator to store a version. The client has built
// Clock with NextClock from the context it read, so the version supersedes
// what it read and nothing else.
type PutRequest struct {
	ReqID  uint64
	Key    string
	Value  string
	Clock  clock.Vector
	Writer string
}

// PutReply says whether W replicas stored the version.
type PutReply struct {
	ReqID uint64
	Err   Err
}

// ReplicaRead asks a replica for what it stores under Key.
type ReplicaRead struct {
	OpID uint64 // the coordinator's operation
	Key  string
}

// ReplicaReadReply carries a replica's siblings back to the coordinator.
type ReplicaReadReply struct {
	OpID     uint64
	Key      string
	Siblings Siblings
}

// ReplicaWrite asks a replica to merge versions into what it stores under
// Key: a client's write, a read's write-back, or a read repair (OpID 0:
// nobody waits for its acknowledgement). Hint, when set, names the node
// this replica stands in for (sloppy quorum): the replica keeps the
// versions as a hint and hands them to Hint when it can.
type ReplicaWrite struct {
	OpID     uint64
	Key      string
	Siblings Siblings
	Hint     sim.NodeID
}

// ReplicaWriteAck says the replica stored the versions of OpID.
type ReplicaWriteAck struct {
	OpID uint64
}

// Handoff delivers versions a stand-in kept for a node that was down
// (hinted handoff).
type Handoff struct {
	Key      string
	Siblings Siblings
}

// HandoffAck says the intended node stored a Handoff; the stand-in drops
// its hint.
type HandoffAck struct {
	Key      string
	Siblings Siblings
}

// Timers, which a node receives from itself.
type (
	// opTimeout ends the wait for replicas of a coordinator's operation.
	opTimeout struct{ OpID uint64 }
	// handoffTick makes a node try to deliver its hints.
	handoffTick struct{}
)
