package sim

import (
	"math/rand/v2"
	"time"
)

// NodeID names a node. IDs sort as strings; Env.Peers returns them sorted.
type NodeID string

// Message is anything a node sends: a plain struct with exported fields, so
// it prints well in a trace and can cross a real network (network/tcp
// encodes it by its registered type name).
type Message any

// TimerID identifies a timer set with Env.SetTimer, for CancelTimer. IDs are
// never reused within a world.
type TimerID uint64

// Node is a protocol participant. The world calls Start once when the node
// boots and again after every restart, then Receive for every message that
// reaches it and every timer it set. A timer arrives as a message from the
// node itself: from == env.ID().
//
// A handler runs to completion before anything else happens, and must not
// keep env for use outside a handler.
type Node interface {
	Start(env Env)
	Receive(env Env, from NodeID, msg Message)
}

// Env is everything a node may touch. In the simulator it is backed by the
// World; in the live runtime by sockets, real timers and files.
type Env interface {
	// ID is this node's own name.
	ID() NodeID
	// Peers are the other members of the cluster, sorted.
	Peers() []NodeID
	// Now is this node's clock: virtual time in the simulator, with the
	// node's clock skew and drift applied, so two nodes may disagree.
	Now() time.Time
	// Send hands msg to the network for delivery to node to. Delivery is not
	// guaranteed: the network may drop, delay, reorder or duplicate it.
	Send(to NodeID, msg Message)
	// SetTimer arranges for msg to be received from this node itself after
	// d has passed on this node's clock. A crash cancels every timer.
	SetTimer(d time.Duration, msg Message) TimerID
	// CancelTimer stops a timer that has not fired. Cancelling a timer that
	// fired already, or was cancelled, does nothing.
	CancelTimer(id TimerID)
	// Rand is this node's own random stream, seeded from the world seed.
	Rand() *rand.Rand
	// Disk is the node's durable storage: it survives crashes.
	Disk() Disk
	// Logf writes a line into the trace, attributed to this node.
	Logf(format string, args ...any)
}

// Inspector is implemented by nodes that can describe their state for tools
// such as the TUI and the trace: role, term, whatever matters. Keys are
// shown sorted.
type Inspector interface {
	Inspect() map[string]string
}

// NodeFunc adapts a function to a Node whose Start does nothing: the
// smallest node there is, handy in tests and examples.
type NodeFunc func(env Env, from NodeID, msg Message)

// Start does nothing.
func (f NodeFunc) Start(Env) {}

// Receive calls f.
func (f NodeFunc) Receive(env Env, from NodeID, msg Message) { f(env, from, msg) }
