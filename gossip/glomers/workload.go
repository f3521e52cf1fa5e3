package glomers

// The client messages, one struct each. Every request carries an ID the
// reply repeats.

// Broadcast asks a node to spread Value to every node.
type Broadcast struct {
	ID    uint64
	Value int
}

// BroadcastOK acknowledges a Broadcast: the node has the value.
type BroadcastOK struct{ ID uint64 }

// Read asks a node for every value it knows.
type Read struct{ ID uint64 }

// ReadOK answers Read with the values, sorted, without duplicates.
type ReadOK struct {
	ID     uint64
	Values []int
}

// Add asks a node to add Delta (>= 0) to the grow-only counter.
type Add struct {
	ID    uint64
	Delta int
}

// AddOK acknowledges an Add.
type AddOK struct{ ID uint64 }

// ReadCounter asks a node for the counter's total as it knows it.
type ReadCounter struct{ ID uint64 }

// CounterOK answers ReadCounter.
type CounterOK struct {
	ID    uint64
	Value int
}
