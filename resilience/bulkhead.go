package resilience

import "fmt"

// Admission is a bulkhead's answer to Acquire.
type Admission int

// The answers of Bulkhead.Acquire.
const (
	// Admitted: a slot is held; call Release when the call is done.
	Admitted Admission = iota
	// Queued: no slot free, the waiter is in the queue; a later Release
	// hands it a slot.
	Queued
	// Rejected: no slot and no room in the queue; fail fast.
	Rejected
)

func (a Admission) String() string {
	switch a {
	case Admitted:
		return "admitted"
	case Queued:
		return "queued"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("Admission(%d)", int(a))
}

// BulkheadStats counts a bulkhead's decisions.
type BulkheadStats struct {
	Admitted    uint64 // slots granted at once
	Queued      uint64 // waiters queued (each later gets a slot or is withdrawn)
	Promoted    uint64 // queued waiters handed a slot by Release
	Rejected    uint64 // refused: slots and queue full
	MaxInFlight int    // the most slots ever held at once
}

// Bulkhead bounds the calls in flight to one dependency, like the watertight
// compartments of a ship: when that dependency slows down, only its
// MaxConcurrent slots (and MaxQueue waiters) fill up, and calls to every
// other dependency still have their own. Without it a single slow
// dependency ties up every worker of a server — the start of a cascading
// failure.
//
// A simulated node cannot block, so a full bulkhead queues the caller's
// waiter value W (a request, a message to answer later) and Release hands it
// back when its turn comes: the caller then starts that call. Waiters are
// served first in, first out.
//
// A Bulkhead is not safe for concurrent use.
type Bulkhead[W any] struct {
	maxConcurrent, maxQueue int
	// inFlight <= maxConcurrent, and len(queue) <= maxQueue; the queue is
	// non-empty only while inFlight == maxConcurrent.
	inFlight int
	queue    []W
	stats    BulkheadStats
}

// NewBulkhead returns a bulkhead with maxConcurrent slots and room for
// maxQueue waiters (0: reject at once when the slots are full).
func NewBulkhead[W any](maxConcurrent, maxQueue int) (*Bulkhead[W], error) {
	if maxConcurrent < 1 {
		return nil, configError("bulkhead maxConcurrent is %d, want >= 1", maxConcurrent)
	}
	if maxQueue < 0 {
		return nil, configError("bulkhead maxQueue is %d, want >= 0", maxQueue)
	}
	return &Bulkhead[W]{maxConcurrent: maxConcurrent, maxQueue: maxQueue}, nil
}

// TryAcquire takes a slot if one is free, never queueing.
func (b *Bulkhead[W]) TryAcquire() bool {
	if b.inFlight < b.maxConcurrent {
		b.take()
		return true
	}
	b.stats.Rejected++
	return false
}

// Acquire takes a slot for w if one is free, or queues w if the queue has
// room, or rejects it.
func (b *Bulkhead[W]) Acquire(w W) Admission {
	switch {
	case b.inFlight < b.maxConcurrent:
		b.take()
		return Admitted
	case len(b.queue) < b.maxQueue:
		b.queue = append(b.queue, w)
		b.stats.Queued++
		return Queued
	default:
		b.stats.Rejected++
		return Rejected
	}
}

// Release gives back a slot. If a waiter was queued, the slot passes to it
// at once and Release returns it with ok true: the caller must now start
// that waiter's call (and Release again when it is done).
//
// Releasing a slot nobody holds is a bug in the caller, like unlocking an
// unlocked mutex, and panics.
func (b *Bulkhead[W]) Release() (next W, ok bool) {
	if b.inFlight == 0 {
		panic("resilience: Bulkhead.Release without a slot held")
	}
	if len(b.queue) == 0 {
		b.inFlight--
		return next, false
	}
	next = b.queue[0]
	var zero W
	b.queue[0] = zero // let the queue's array drop its reference
	b.queue = b.queue[1:]
	b.stats.Promoted++
	return next, true // the slot passes straight on: inFlight unchanged
}

// Withdraw removes the first queued waiter for which match is true (a
// request that timed out while waiting, say) and reports whether it found
// one.
func (b *Bulkhead[W]) Withdraw(match func(W) bool) bool {
	for i, w := range b.queue {
		if match(w) {
			b.queue = append(b.queue[:i], b.queue[i+1:]...)
			return true
		}
	}
	return false
}

// InFlight is the number of slots held.
func (b *Bulkhead[W]) InFlight() int { return b.inFlight }

// QueueLen is the number of waiters queued.
func (b *Bulkhead[W]) QueueLen() int { return len(b.queue) }

// Stats returns the counters.
func (b *Bulkhead[W]) Stats() BulkheadStats { return b.stats }

func (b *Bulkhead[W]) take() {
	b.inFlight++
	b.stats.Admitted++
	b.stats.MaxInFlight = max(b.stats.MaxInFlight, b.inFlight)
}
