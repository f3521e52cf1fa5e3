package glomers

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// AntiEntropyEvery is how often a Node sends its state to one peer.
const AntiEntropyEvery = 100 * time.Millisecond

// Gossip is what Nodes send each other: values and counter entries.
type Gossip struct {
	Values  []int
	Counter map[sim.NodeID]int `json:",omitempty"`
}

type antiEntropyTick struct{}

// Node is the reference broadcast and counter node.
type Node struct {
	bugs testingKnobs
	// values is every value this node knows; it only grows.
	values map[int]bool
	// counter holds each node's own additions as far as this node knows;
	// entries only grow, and counter[self] is exact.
	counter map[sim.NodeID]int
}

// New returns a Node.
func New() *Node { return &Node{} }

// Start boots the node with empty state and arms anti-entropy.
func (n *Node) Start(env sim.Env) {
	n.values = map[int]bool{}
	n.counter = map[sim.NodeID]int{}
	if !n.bugs.noAntiEntropy {
		env.SetTimer(AntiEntropyEvery, antiEntropyTick{})
	}
}

// Receive handles a client request, a peer's gossip or the timer.
func (n *Node) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Broadcast:
		if !n.values[m.Value] {
			n.values[m.Value] = true
			for _, p := range env.Peers() { // the other nodes; clients are no peers
				env.Send(p, Gossip{Values: []int{m.Value}})
			}
		}
		env.Send(from, BroadcastOK{ID: m.ID})
	case Read:
		env.Send(from, ReadOK{ID: m.ID, Values: n.sortedValues()})
	case Add:
		n.counter[env.ID()] += max(m.Delta, 0)
		env.Send(from, AddOK{ID: m.ID})
	case ReadCounter:
		total := 0
		for _, c := range n.counter {
			total += c
		}
		env.Send(from, CounterOK{ID: m.ID, Value: total})
	case Gossip:
		n.merge(env, from, m)
	case antiEntropyTick:
		n.antiEntropy(env)
		env.SetTimer(AntiEntropyEvery, antiEntropyTick{})
	}
}

// merge takes in a peer's gossip.
func (n *Node) merge(env sim.Env, from sim.NodeID, m Gossip) {
	var fresh []int
	for _, v := range m.Values {
		if !n.values[v] {
			n.values[v] = true
			fresh = append(fresh, v)
		}
	}
	if n.bugs.reflood && len(fresh) > 0 {
		for _, p := range env.Peers() {
			if p != from {
				env.Send(p, Gossip{Values: fresh})
			}
		}
	}
	for id, c := range m.Counter {
		if n.bugs.sumCounters {
			if id != env.ID() {
				n.counter[id] += c // the bug: a merge adds instead of taking the larger
			}
			continue
		}
		n.counter[id] = max(n.counter[id], c)
	}
}

// antiEntropy sends the whole state to one peer drawn at random.
func (n *Node) antiEntropy(env sim.Env) {
	peers := env.Peers()
	if len(peers) == 0 {
		return
	}
	p := peers[env.Rand().IntN(len(peers))]
	env.Send(p, Gossip{Values: n.sortedValues(), Counter: maps.Clone(n.counter)})
}

func (n *Node) sortedValues() []int {
	vs := slices.Collect(maps.Keys(n.values))
	slices.Sort(vs)
	return vs
}

// Inspect shows the node's state for the TUI.
func (n *Node) Inspect() map[string]string {
	total := 0
	for _, c := range n.counter {
		total += c
	}
	return map[string]string{"values": itoa(len(n.values)), "counter": itoa(total)}
}

func itoa(x int) string { return strconv.Itoa(x) }
