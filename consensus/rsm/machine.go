package rsm

// StateMachine is the application a Server replicates. It must be
// deterministic: the same operations applied in the same order from the same
// state give the same results and the same state, on every replica. So no
// clocks, no randomness, no map iteration order in what it returns.
type StateMachine interface {
	// Apply executes one operation and returns its result. An operation
	// it cannot understand should yield an error result, not a panic: the
	// log is replicated, so every replica would panic.
	Apply(op []byte) []byte
	// Snapshot encodes the whole state.
	Snapshot() []byte
	// Restore replaces the state with one encoded by Snapshot.
	Restore(snapshot []byte) error
}
