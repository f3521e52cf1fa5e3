package sim

import (
	"math/bits"
	"time"
)

// The event queue: a binary min-heap ordered by (time, sequence number).
// Sequence numbers are unique and increase with every insertion, so two
// events never compare equal and the order is total: same script, same
// order, whatever the shape of the heap. Heap entries are small (the event
// itself lives in a slot table and slots are reused), so sifting moves
// little memory and a steady-state run allocates nothing here.
//
// Most events schedule one more (a message answered, a timer set again),
// so the queue lets the step that runs an event take it lazily (take): the
// root stays in the heap, marked vacant, and the next push sinks the new
// entry from the root in its place, one pass down the heap instead of one
// down for the removal and one up for the insertion. Every other operation
// first removes a vacant root for good (settle), so none of them ever sees
// it.

type qentry struct {
	at   time.Duration
	seq  uint64
	slot int32
}

type queue struct {
	h []qentry
	// vacant: h[0] was taken and is no longer queued; the next push
	// replaces it, anything else removes it first.
	vacant bool
}

func (q *queue) len() int {
	if q.vacant {
		return len(q.h) - 1
	}
	return len(q.h)
}

// entries is the heap's slice, in heap order, without a vacant root.
func (q *queue) entries() []qentry {
	q.settle()
	return q.h
}

func less(a, b *qentry) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// before is less as 1 or 0, computed without a branch: the borrow out of
// the 128-bit subtraction (a.at, a.seq) - (b.at, b.seq). Times are shifted
// by 1<<63 so that comparing them unsigned orders them as signed.
func before(a, b *qentry) int {
	const sign = 1 << 63
	_, borrow := bits.Sub64(a.seq, b.seq, 0)
	_, borrow = bits.Sub64(uint64(a.at)^sign, uint64(b.at)^sign, borrow)
	return int(borrow)
}

func (q *queue) push(e qentry) {
	if q.vacant {
		q.vacant = false
		q.sink(e)
		return
	}
	q.h = append(q.h, e)
	q.rise(len(q.h)-1, e)
}

// rise places e at hole i or above it.
func (q *queue) rise(i int, e qentry) {
	h := q.h
	for i > 0 {
		p := (i - 1) / 2
		if !less(&e, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

// sink places e at the root hole or below it, moving the earlier child up
// while it is earlier than e. Which child is earlier is decided without a
// branch (before), so the processor never guesses wrong about the way down.
func (q *queue) sink(e qentry) {
	h := q.h
	n := len(h)
	i := 0
	for {
		c := 2*i + 1
		if c+1 >= n {
			if c < n && less(&h[c], &e) { // an only child
				h[i] = h[c]
				i = c
			}
			break
		}
		c += before(&h[c+1], &h[c])
		if !less(&h[c], &e) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = e
}

// settle removes a vacant root for good.
func (q *queue) settle() {
	if q.vacant {
		q.vacant = false
		q.removeRoot()
	}
}

// peek returns the earliest entry; the queue must not be empty.
func (q *queue) peek() qentry {
	q.settle()
	return q.h[0]
}

// pop removes and returns the earliest entry; the queue must not be empty.
func (q *queue) pop() qentry {
	q.settle()
	top := q.h[0]
	q.removeRoot()
	return top
}

// take returns the earliest entry and leaves the root vacant for the next
// push; the queue must not be empty. To the queue's users it is pop.
func (q *queue) take() qentry {
	q.settle()
	q.vacant = true
	return q.h[0]
}

// removeRoot deletes h[0]. It sinks the hole at the root all the way down
// to a leaf, moving the earlier child up at each level, and then lets the
// last entry rise from that leaf (Floyd's variant): the last entry is one
// of the latest, so it seldom rises, and the descent needs no comparison
// with it.
func (q *queue) removeRoot() {
	h := q.h
	n := len(h) - 1
	last := h[n]
	q.h = q.h[:n] // only the length changes: no write barrier on the pointer
	h = h[:n]
	if n == 0 {
		return
	}
	i := 0
	for {
		c := 2*i + 1
		if c+1 >= n {
			if c < n { // an only child
				h[i] = h[c]
				i = c
			}
			break
		}
		c += before(&h[c+1], &h[c])
		h[i] = h[c]
		i = c
	}
	q.rise(i, last)
}
