package tcp

import "github.com/dsimlab/dsim/sim"

// Group commit: one fsync for everything that arrived meanwhile.
//
// A node syncs its disk before it tells anyone what it wrote (a Raft
// follower before it acknowledges entries, a leader before it sends them),
// and in the simulator a Sync is free. On a real disk an fsync costs a
// millisecond or more, and a leader with sixteen clients would pay it
// sixteen times in a row, once per request.
//
// So the runtime keeps the promise differently. The node's Disk().Sync does
// not fsync at once: it only notes that a sync is owed. Every message the
// node sends after that is held back, not queued. The loop goes on
// delivering the events already waiting (up to maxBatch), then fsyncs once
// and only then releases the held messages. Nothing the node sent after
// asking for a sync leaves the process before the data is durable, which
// is all the node can observe of durability; a crash before the fsync is a
// crash before the node's Sync. Meanwhile the requests that arrived during
// the fsync pile up in the event queue, and the next batch covers them all
// with one fsync: the busier the node, the bigger the batch.
//
// Messages sent before any sync is owed leave at once, in order: they
// promise nothing about the disk.

// maxBatch bounds the events delivered between two fsyncs, so that held
// messages are not kept waiting behind an endless stream of events.
const maxBatch = 256

// groupDisk is the Disk a node sees: the runtime's disk with a deferred Sync.
type groupDisk struct {
	sim.Disk
	r *Runtime
}

// Sync notes that the node wants its writes durable; the loop fsyncs at the
// end of the batch, before any message sent from now on leaves.
func (d groupDisk) Sync() { d.r.syncOwed = true }

// heldFrame is a message held until the owed fsync is done.
type heldFrame struct {
	to    sim.NodeID
	frame []byte
}

// endBatch fsyncs if the node asked for it and releases the held messages.
// It runs on the loop after each batch of events.
func (r *Runtime) endBatch() {
	if r.syncOwed {
		r.cfg.Disk.Sync()
		r.syncOwed = false
		r.stats.Fsyncs.Add(1)
	}
	for i, h := range r.held {
		r.route(h.to, h.frame)
		r.held[i] = heldFrame{}
	}
	r.held = r.held[:0]
}
