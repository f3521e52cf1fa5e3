package network

import "github.com/dsimlab/dsim/sim"

// Blocked reports whether partitions, cuts or isolations stop messages
// from one node to another right now (random loss aside). Narration uses
// it to tell what a node could and could not reach; it changes nothing.
func (m *Model) Blocked(from, to sim.NodeID) bool {
	if m.blocked == 0 {
		return false
	}
	var none nodeState // a node the model has not met yet: no fault names it
	f, t := &none, &none
	fi, fok := m.index[from]
	ti, tok := m.index[to]
	if fok {
		f = &m.nodes[fi]
	}
	if tok {
		t = &m.nodes[ti]
	}
	switch {
	case f.isolated || t.isolated:
		return true
	case m.partitioned && f.group != t.group:
		return true
	case fok && tok:
		return m.link(fi, ti).cut
	}
	return false
}
