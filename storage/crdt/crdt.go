package crdt

import (
	"maps"
	"slices"
)

// PNCounter is a counter of increments and decrements per replica.
// Invariant: P and N only grow, entry by entry.
type PNCounter struct {
	P, N map[string]int64 // replica -> its own increments, decrements
}

// NewPNCounter returns a counter at zero.
func NewPNCounter() PNCounter { return PNCounter{P: map[string]int64{}, N: map[string]int64{}} }

// Add adds d (negative to subtract) on behalf of replica.
func (c *PNCounter) Add(replica string, d int64) {
	if d >= 0 {
		c.P[replica] += d
	} else {
		c.N[replica] -= d
	}
}

// Value is the counter's value: every increment minus every decrement.
func (c PNCounter) Value() int64 {
	var v int64
	for _, p := range c.P {
		v += p
	}
	for _, n := range c.N {
		v -= n
	}
	return v
}

// Merge takes, per replica, the larger count of o and c.
func (c *PNCounter) Merge(o PNCounter) {
	for r, p := range o.P {
		c.P[r] = max(c.P[r], p)
	}
	for r, n := range o.N {
		c.N[r] = max(c.N[r], n)
	}
}

// Clone returns a copy that shares nothing with c.
func (c PNCounter) Clone() PNCounter { return PNCounter{P: maps.Clone(c.P), N: maps.Clone(c.N)} }

// ORSet is an observed-remove set. Invariant: Removed only holds tags
// that were added somewhere; both maps only grow.
type ORSet struct {
	Adds    map[string]map[string]bool // element -> the tags of its adds
	Removed map[string]bool            // tags removed (tombstones)
}

// NewORSet returns an empty set.
func NewORSet() ORSet { return ORSet{Adds: map[string]map[string]bool{}, Removed: map[string]bool{}} }

// Add adds elem under tag, which must be unique across all replicas
// (replica name plus a counter, say).
func (s *ORSet) Add(elem, tag string) {
	if s.Adds[elem] == nil {
		s.Adds[elem] = map[string]bool{}
	}
	s.Adds[elem][tag] = true
}

// Remove removes elem as this replica sees it: every tag of elem it has
// observed. It returns those tags, sorted; an add it has not seen yet
// survives.
func (s *ORSet) Remove(elem string) []string {
	var tags []string
	for t := range s.Adds[elem] {
		if !s.Removed[t] {
			s.Removed[t] = true
			tags = append(tags, t)
		}
	}
	slices.Sort(tags)
	return tags
}

// Contains reports whether some add of elem has not been removed.
func (s ORSet) Contains(elem string) bool {
	for t := range s.Adds[elem] {
		if !s.Removed[t] {
			return true
		}
	}
	return false
}

// Elements lists the elements present, sorted.
func (s ORSet) Elements() []string {
	var out []string
	for e := range s.Adds {
		if s.Contains(e) {
			out = append(out, e)
		}
	}
	slices.Sort(out)
	return out
}

// Merge takes the union of adds and of removes.
func (s *ORSet) Merge(o ORSet) {
	for e, tags := range o.Adds {
		for t := range tags {
			s.Add(e, t)
		}
	}
	for t := range o.Removed {
		s.Removed[t] = true
	}
}

// Clone returns a copy that shares nothing with s.
func (s ORSet) Clone() ORSet {
	c := NewORSet()
	c.Merge(s)
	return c
}
