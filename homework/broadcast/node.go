// Package broadcast is your gossip node, a ladder in the spirit of Fly.io's
// Gossip Glomers. Clients send it the messages of package
// github.com/dsimlab/dsim/gossip/glomers (Broadcast, Read, Add, ReadCounter) and
// expect the replies there (BroadcastOK, ReadOK, AddOK, CounterOK, with the
// request's ID). Between nodes, send whatever you like: define your own
// message structs (exported fields). Fill in the TODOs; README.md says what
// each rung grades.
//
// The one rule: react to one event at a time, touch the world only through
// env. No goroutines, no time.Now, no global rand, no decisions by map order.
package broadcast

import (
	"github.com/dsimlab/dsim/gossip/glomers"
	"github.com/dsimlab/dsim/sim"
)

// Node is one gossip node.
type Node struct {
	values map[int]bool
	// TODO (E): a grow-only counter: how much each node added.
}

// New returns a node; the grader calls it at every boot.
func New() sim.Node { return &Node{} }

// Start boots the node.
func (n *Node) Start(env sim.Env) {
	n.values = map[int]bool{}
	env.Logf("booted; peers %v", env.Peers())
	// TODO (C): arm a timer for periodic repair (anti-entropy).
}

// Receive handles one message, or a timer.
func (n *Node) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case glomers.Broadcast:
		n.values[m.Value] = true
		// TODO (B): tell the other nodes (env.Peers()).
		env.Send(from, glomers.BroadcastOK{ID: m.ID})
	case glomers.Read:
		// TODO (A): reply with every value, sorted.
		env.Send(from, glomers.ReadOK{ID: m.ID})
	case glomers.Add:
		// TODO (E)
		env.Send(from, glomers.AddOK{ID: m.ID})
	case glomers.ReadCounter:
		// TODO (E)
		env.Send(from, glomers.CounterOK{ID: m.ID})
	}
}
