package clock

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Vector is a vector clock: one counter per process, keyed by the process's
// name. Entry i of the vector on process j counts the events of process i
// that j has heard of, directly or through other processes.
//
// A missing entry counts as zero, so [A:1] and [A:1,B:0] are Equal. Build a
// vector with NewVector to list every member, so that zero entries print
// too, or start from nil: the nil Vector is the all-zero vector.
//
// A Vector is a value. No method changes the vector it is called on: Tick
// and Merge return a new vector. So a vector put into a message, or kept as
// the version of a stored value, can never change behind your back when the
// node's own clock moves on. Write clocks the way you write append:
//
//	vc = vc.Tick("A")
//
// It is a plain map so it crosses the network with any encoder and prints
// in traces; if you write to its entries yourself, Copy it first.
type Vector map[string]uint64

// NewVector returns the all-zero vector with an entry for every member.
func NewVector(members ...string) Vector {
	v := make(Vector, len(members))
	for _, m := range members {
		v[m] = 0
	}
	return v
}

// Tick returns a copy of v with id's entry one higher: the stamp of a new
// event on process id (a local event, or a send). It panics if the entry
// would overflow, which no honest process can reach.
func (v Vector) Tick(id string) Vector {
	w := v.Copy()
	if w[id] == math.MaxUint64 {
		panic(fmt.Sprintf("clock: vector entry %q overflow", id))
	}
	w[id]++
	return w
}

// Merge returns the pointwise maximum of v and w: everything either of them
// has heard of. It is the least upper bound of the two, and it changes
// neither. A receiver stamps a message's receipt with
// vc.Merge(msg.Clock).Tick(self).
func (v Vector) Merge(w Vector) Vector {
	m := v.Copy()
	for id, n := range w {
		m[id] = max(m[id], n)
	}
	return m
}

// Copy returns a vector with the same entries that shares nothing with v.
func (v Vector) Copy() Vector {
	w := make(Vector, len(v))
	for id, n := range v {
		w[id] = n
	}
	return w
}

// Order is how two vector clocks, and so two events, relate.
type Order int

const (
	// Before: every entry of the first is <= the second's, and one is <.
	// The first event happened before the second.
	Before Order = iota + 1
	// After: the second event happened before the first.
	After
	// Equal: every entry is the same. For two events of one run, they are
	// the same event.
	Equal
	// Concurrent: each has an entry larger than the other's. Neither event
	// could have influenced the other.
	Concurrent
)

// String returns the order's name in lower case, such as "before".
func (o Order) String() string {
	switch o {
	case Before:
		return "before"
	case After:
		return "after"
	case Equal:
		return "equal"
	case Concurrent:
		return "concurrent"
	}
	return "Order(" + strconv.Itoa(int(o)) + ")"
}

// Compare says how v relates to w: Before if v happened before w, After if
// w happened before v, Equal if they are the same, and Concurrent
// otherwise.
func (v Vector) Compare(w Vector) Order {
	// less: some entry of v is smaller than w's; greater: some entry is
	// larger. Missing entries are zero. The answer does not depend on the
	// order the maps are walked in.
	var less, greater bool
	for id, n := range v {
		if n < w[id] {
			less = true
		} else if n > w[id] {
			greater = true
		}
	}
	for id, n := range w {
		if _, ok := v[id]; !ok && n > 0 {
			less = true
		}
	}
	switch {
	case less && greater:
		return Concurrent
	case less:
		return Before
	case greater:
		return After
	}
	return Equal
}

// HappenedBefore reports whether v happened before w (v -> w): every entry
// of v is <= the same entry of w, and they are not equal.
func (v Vector) HappenedBefore(w Vector) bool { return v.Compare(w) == Before }

// String writes the vector as [A:1,B:0,C:0], names sorted, so the same
// vector always prints the same way.
func (v Vector) String() string {
	ids := make([]string, 0, len(v))
	for id := range v {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id)
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(v[id], 10))
	}
	b.WriteByte(']')
	return b.String()
}
