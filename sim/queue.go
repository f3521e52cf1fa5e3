package sim

import "time"

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
func (q *queue) pop() qentry {
	h := q.h
	top := h[0]
	n := len(h) - 1
	last := h[n]
	q.h = h[:n]
	h = h[:n]
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && less(&h[c+1], &h[c]) {
			c++
		}
		if !less(&h[c], &last) {
			break
		}
		h[i] = h[c]
		i = c
	}
	if n > 0 {
		h[i] = last
	}
	return top
}
