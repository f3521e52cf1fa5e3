package network

import (
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"reflect"

	"github.com/dsimlab/dsim/sim"
)

// Byzantine behaviour in the fault vocabulary. A crashed node says nothing;
// a Byzantine one says the wrong thing, and worst of all different wrong
// things to different peers: it equivocates. Equivocate makes a node do
// that: every message it sends passes through an Equivocation, which may
// rewrite it for each destination. The node's own code runs unchanged —
// what it sends is honest, what arrives is not — so any scenario can try
// any protocol against a liar (`equivocate n3` in a schedule), and a
// scenario that knows its protocol can install an Equivocation that lies
// cleverly (SetEquivocation): a leader that tells half the followers one
// value and half another, a voter that votes twice.
//
// An Equivocation draws any randomness from the rng it is given (the
// world's network stream), so a run stays a function of its seed.

// Equivocation returns what node from's message msg should say when it
// reaches to: msg itself to pass it on unchanged, or another message. It
// must not modify msg (or anything msg points to, such as a slice): build a
// new value.
type Equivocation func(from, to sim.NodeID, msg sim.Message, rng *rand.Rand) sim.Message

// SetEquivocation installs the function equivocating nodes apply; nil
// restores DefaultEquivocation.
func (m *Model) SetEquivocation(f Equivocation) { m.equivocation = f }

// Equivocate makes node id Byzantine (on) or honest again (off): while on,
// each message it sends is rewritten per destination by the model's
// Equivocation.
func (m *Model) Equivocate(id sim.NodeID, on bool) error {
	if id == "" {
		return errors.New("network: equivocate: empty node name")
	}
	n := &m.nodes[m.node(id)]
	if n.equivocate != on {
		n.equivocate = on
		if on {
			m.equivocating++
		} else {
			m.equivocating--
		}
	}
	if on {
		m.fault("equivocate %s", id)
	} else {
		m.fault("equivocate %s off", id)
	}
	return nil
}

// Equivocating reports whether node id equivocates.
func (m *Model) Equivocating(id sim.NodeID) bool {
	i, ok := m.index[id]
	return ok && m.nodes[i].equivocate
}

// equivocate applies the Equivocation to a message of an equivocating node,
// returning the replacement or nil for none.
func (m *Model) equivocate(from, to sim.NodeID, msg sim.Message, rng *rand.Rand) sim.Message {
	f := m.equivocation
	if f == nil {
		f = DefaultEquivocation
	}
	alt := f(from, to, msg, rng)
	if alt == nil || reflect.DeepEqual(alt, msg) {
		return nil
	}
	return alt
}

// DefaultEquivocation is the lie a node tells when a scenario has installed
// none: destinations fall into two camps by a hash of their name, and the
// second camp gets a copy of the message whose exported integer fields are
// one higher, whose strings end in a "*" and whose booleans are flipped
// (top-level fields only). So two peers hear two different versions of
// every message: enough to break a protocol that trusts its peers, without
// knowing anything about it.
func DefaultEquivocation(from, to sim.NodeID, msg sim.Message, _ *rand.Rand) sim.Message {
	h := fnv.New32a()
	h.Write([]byte(to))
	if h.Sum32()%2 == 0 {
		return msg
	}
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Struct {
		return msg
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	for i := range c.NumField() {
		f := c.Field(i)
		if !f.CanSet() {
			continue
		}
		switch f.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(f.Uint() + 1)
		case reflect.String:
			f.SetString(f.String() + "*")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		}
	}
	return c.Interface()
}
