package rsm

import "github.com/dsimlab/dsim/sim"

// Applier receives what a consensus protocol decided.
type Applier interface {
	// Apply is called once for each committed command, in log order.
	// After a restart a replica first Restores its latest snapshot (if any)
	// and then applies committed entries after it again.
	Apply(env sim.Env, index uint64, cmd []byte)
	// Snapshot returns the state covering every command applied so far.
	Snapshot() []byte
	// Restore replaces the state with a snapshot covering commands 1..index.
	Restore(index uint64, snapshot []byte)
}

// NoopApplier is an Applier that also hears of the entries that carry no
// command (the no-op a new Raft leader appends),
// so it sees every log index in order: what a service that numbers
// commands by index needs. Apply and ApplyNoop together are called once
// per index, in order.
type NoopApplier interface {
	Applier
	ApplyNoop(env sim.Env, index uint64)
}

// Replica is a consensus protocol node that orders commands: Raft, Multi-Paxos,
// or a student's Raft.
type Replica interface {
	sim.Node
	// Propose asks this replica to order cmd. If it is not the leader it
	// returns ok=false and its best guess at the leader ("" if unknown).
	// ok=true means only "appended to my log", not "committed".
	Propose(env sim.Env, cmd []byte) (index uint64, ok bool, leader sim.NodeID)
}
