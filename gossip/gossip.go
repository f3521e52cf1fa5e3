package gossip

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/clock"
	"github.com/dsimlab/dsim/sim"
)

// Config tunes a Node.
type Config struct {
	// AntiEntropy is how often a node sends its whole set to a random
	// peer. Zero means 200ms.
	AntiEntropy time.Duration
}

// Entry is one broadcast value with the stamps of its broadcast.
type Entry struct {
	Value   string
	Origin  sim.NodeID
	Lamport clock.LamportTime
	Vector  clock.Vector
}

// Gossip floods one entry: eager push.
type Gossip struct {
	Entry Entry
}

// Digest carries every entry the sender knows: anti-entropy.
type Digest struct {
	Entries []Entry
}

// antiEntropyTick is the node's own timer.
type antiEntropyTick struct{}

// Node is a gossiping member.
type Node struct {
	cfg Config
	id  sim.NodeID
	// lamport and vector are this node's clocks over broadcast events: a
	// broadcast ticks both; delivering another node's value observes its
	// stamps (Lamport max+1, vector merge). So vector[n] is how many of
	// n's broadcasts this node has delivered. Both only grow, and are on
	// Disk with the values.
	lamport clock.Lamport
	vector  clock.Vector
	// known holds every value learned, by value; an entry never changes.
	known map[string]Entry
	// redundant counts receipts of values already known.
	redundant int
}

// New returns a node.
func New(cfg Config) *Node {
	if cfg.AntiEntropy <= 0 {
		cfg.AntiEntropy = 200 * time.Millisecond
	}
	return &Node{cfg: cfg}
}

const stateKey = "gossip/state"

// state is what the node keeps on Disk.
type state struct {
	Lamport clock.LamportTime
	Vector  clock.Vector
	Known   []Entry
}

// Start reads back what the node knew and starts anti-entropy.
func (n *Node) Start(env sim.Env) {
	n.id = env.ID()
	n.known = map[string]Entry{}
	n.vector = clock.Vector{}
	if b, ok := env.Disk().Get(stateKey); ok {
		var st state
		if err := json.Unmarshal(b, &st); err != nil {
			panic(fmt.Sprintf("gossip: state on disk is damaged: %v", err))
		}
		n.lamport.Observe(st.Lamport) // at least where it was
		n.vector = st.Vector.Copy()
		for _, e := range st.Known {
			n.known[e.Value] = e
		}
		env.Logf("recovered %d values, Lamport %d, vector %v", len(n.known), n.lamport.Time(), n.vector)
	}
	env.SetTimer(n.cfg.AntiEntropy, antiEntropyTick{})
}

// Broadcast makes value known to every node: a local event, stamped and
// flooded. Broadcasting a value already known does nothing.
func (n *Node) Broadcast(env sim.Env, value string) {
	if _, ok := n.known[value]; ok {
		return
	}
	n.lamport.Tick()
	n.vector = n.vector.Tick(string(n.id))
	e := Entry{Value: value, Origin: n.id, Lamport: n.lamport.Time(), Vector: n.vector.Copy()}
	env.Logf("broadcasts %q at Lamport %d, vector %v", value, e.Lamport, e.Vector)
	n.learn(env, e)
}

// Receive handles Gossip, Digest and the anti-entropy timer.
func (n *Node) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Gossip:
		if _, ok := n.known[m.Entry.Value]; ok {
			n.redundant++
			return
		}
		n.learn(env, m.Entry)
	case Digest:
		for _, e := range m.Entries {
			if _, ok := n.known[e.Value]; ok {
				n.redundant++
				continue
			}
			n.learn(env, e)
		}
	case antiEntropyTick:
		if peers := env.Peers(); len(peers) > 0 {
			env.Send(peers[env.Rand().IntN(len(peers))], Digest{Entries: n.Entries()})
		}
		env.SetTimer(n.cfg.AntiEntropy, antiEntropyTick{})
	}
}

// learn delivers an entry: observe its stamps (unless it is this node's
// own broadcast, already counted), make it durable, flood it to every peer.
func (n *Node) learn(env sim.Env, e Entry) {
	if e.Origin != n.id {
		n.lamport.Observe(e.Lamport)
		n.vector = n.vector.Merge(e.Vector)
	}
	n.known[e.Value] = e
	n.persist(env)
	for _, p := range env.Peers() {
		env.Send(p, Gossip{Entry: e})
	}
}

func (n *Node) persist(env sim.Env) {
	b, err := json.Marshal(state{Lamport: n.lamport.Time(), Vector: n.vector, Known: n.Entries()})
	if err != nil {
		panic(err)
	}
	env.Disk().Put(stateKey, b)
	env.Disk().Sync()
}

// Entries lists what the node knows, in Lamport order (ties by origin):
// a total order consistent with causality.
func (n *Node) Entries() []Entry {
	out := slices.Collect(maps.Values(n.known))
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Lamport, b.Lamport), cmp.Compare(a.Origin, b.Origin), cmp.Compare(a.Value, b.Value))
	})
	return out
}

// Has reports whether the node knows value.
func (n *Node) Has(value string) bool { _, ok := n.known[value]; return ok }

// Inspect shows the clocks and every value with its stamps.
func (n *Node) Inspect() map[string]string {
	out := map[string]string{
		"values":    strconv.Itoa(len(n.known)),
		"lamport":   strconv.FormatUint(uint64(n.lamport.Time()), 10),
		"vector":    n.vector.String(),
		"redundant": strconv.Itoa(n.redundant),
	}
	for _, e := range n.Entries() {
		out["value "+e.Value] = fmt.Sprintf("from %s, Lamport %d, vector %v", e.Origin, e.Lamport, e.Vector)
	}
	return out
}

var (
	_ sim.Node      = (*Node)(nil)
	_ sim.Inspector = (*Node)(nil)
)
