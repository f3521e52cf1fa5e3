package sim

import (
	"math/bits"
	"time"
)

// The event queue: a binary min-heap ordered by (time, sequence number).
// Sequence numbers are unique and increase with every insertion, so two
// events never compare equal and the order is total: same script, same
// order. Heap entries are small (the event itself lives in a slot table and
// slots are reused), so sifting moves little memory and a steady-state run
// allocates nothing here.

type qentry struct {
	at   time.Duration
	seq  uint64
	slot int32
}

type queue struct {
	h []qentry
}

func (q *queue) len() int { return len(q.h) }

func less(a, b *qentry) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

func (q *queue) push(e qentry) {
	q.h = append(q.h, e)
	h := q.h
	i := len(h) - 1
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

// peek returns the earliest entry; the queue must not be empty.
func (q *queue) peek() qentry { return q.h[0] }

// pop removes and returns the earliest entry; the queue must not be empty.
//
// It sinks the hole left at the root all the way down to a leaf, moving
// the earlier child up at each level, and then lets the last entry rise
// from that leaf (Floyd's variant): the last entry is one of the latest, so
// it seldom rises, and the descent needs no comparison with it. Which child
// is earlier is decided without a branch (see before), so the processor
// never guesses wrong about the way down.
func (q *queue) pop() qentry {
	h := q.h
	top := h[0]
	n := len(h) - 1
	last := h[n]
	q.h = q.h[:n] // only the length changes: no write barrier on the pointer
	h = h[:n]
	if n == 0 {
		return top
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
	// Let last rise from the leaf hole i.
	for i > 0 {
		p := (i - 1) / 2
		if !less(&last, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = last
	return top
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
