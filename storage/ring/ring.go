package ring

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/dsimlab/dsim/sim"
)

// Errors returned by Ring methods.
var (
	ErrEmpty       = errors.New("ring: no nodes")
	ErrDuplicate   = errors.New("ring: node already on the ring")
	ErrUnknownNode = errors.New("ring: no such node")
	ErrTooFewNodes = errors.New("ring: fewer nodes than replicas asked for")
)

// Hash places a name on the ring: the first 8 bytes of its SHA-256, big
// endian. The same name gets the same point on every machine, forever.
func Hash(name string) uint64 {
	sum := sha256.Sum256([]byte(name))
	return binary.BigEndian.Uint64(sum[:8])
}

// token is one virtual node: a point on the ring owned by a node.
type token struct {
	point uint64
	node  sim.NodeID
}

// Ring is a consistent-hash ring. The zero value is not usable; call New.
// A Ring is a plain value updated in place by Add and Remove; it is not
// safe for concurrent use (nodes never share one).
type Ring struct {
	vnodes int
	// tokens are every node's virtual nodes, sorted by point, ties broken
	// by node name so that the order never depends on insertion order.
	tokens []token
	nodes  []sim.NodeID // sorted
}

// New returns an empty ring that gives every node vnodes points.
func New(vnodes int) (*Ring, error) {
	if vnodes < 1 {
		return nil, fmt.Errorf("ring: %d virtual nodes per node; need at least 1", vnodes)
	}
	return &Ring{vnodes: vnodes}, nil
}

// MustNew is New for rings written in the program text; it panics on a bad
// vnodes count.
func MustNew(vnodes int, nodes ...sim.NodeID) *Ring {
	r, err := New(vnodes)
	if err != nil {
		panic(err)
	}
	for _, n := range nodes {
		if err := r.Add(n); err != nil {
			panic(err)
		}
	}
	return r
}

// VNodes is how many points each node has.
func (r *Ring) VNodes() int { return r.vnodes }

// Nodes lists the nodes on the ring, sorted.
func (r *Ring) Nodes() []sim.NodeID { return slices.Clone(r.nodes) }

// Len is the number of nodes.
func (r *Ring) Len() int { return len(r.nodes) }

// vnodePoint is where node's i-th virtual node sits: the hash of "node#i".
func vnodePoint(node sim.NodeID, i int) uint64 {
	return Hash(string(node) + "#" + strconv.Itoa(i))
}

// Add puts a node on the ring with its virtual nodes. Only keys whose
// clockwise walk now meets one of its points first change owner, and they
// all move to it.
func (r *Ring) Add(node sim.NodeID) error {
	if node == "" {
		return errors.New("ring: a node needs a non-empty name")
	}
	if _, found := slices.BinarySearch(r.nodes, node); found {
		return fmt.Errorf("add %s: %w", node, ErrDuplicate)
	}
	for i := range r.vnodes {
		r.tokens = append(r.tokens, token{point: vnodePoint(node, i), node: node})
	}
	slices.SortFunc(r.tokens, compareTokens)
	i, _ := slices.BinarySearch(r.nodes, node)
	r.nodes = slices.Insert(r.nodes, i, node)
	return nil
}

// Remove takes a node and its virtual nodes off the ring. Only the keys it
// owned change owner.
func (r *Ring) Remove(node sim.NodeID) error {
	i, found := slices.BinarySearch(r.nodes, node)
	if !found {
		return fmt.Errorf("remove %s: %w", node, ErrUnknownNode)
	}
	r.nodes = slices.Delete(r.nodes, i, i+1)
	r.tokens = slices.DeleteFunc(r.tokens, func(t token) bool { return t.node == node })
	return nil
}

func compareTokens(a, b token) int {
	switch {
	case a.point < b.point:
		return -1
	case a.point > b.point:
		return 1
	case a.node < b.node:
		return -1
	case a.node > b.node:
		return 1
	}
	return 0
}

// first is the index of the first token at or clockwise after the key's
// point, wrapping around past the top of the ring.
func (r *Ring) first(key string) int {
	h := Hash(key)
	i, _ := slices.BinarySearchFunc(r.tokens, h, func(t token, h uint64) int {
		switch {
		case t.point < h:
			return -1
		case t.point > h:
			return 1
		}
		return 0
	})
	if i == len(r.tokens) {
		i = 0
	}
	return i
}

// Owner is the node that holds key: the first node clockwise from it.
func (r *Ring) Owner(key string) (sim.NodeID, error) {
	if len(r.tokens) == 0 {
		return "", ErrEmpty
	}
	return r.tokens[r.first(key)].node, nil
}

// Successors lists every node in the order a clockwise walk from key meets
// them, each once. Its first N entries are the key's preference list; the
// rest are where a sloppy quorum looks for stand-ins.
func (r *Ring) Successors(key string) []sim.NodeID {
	if len(r.tokens) == 0 {
		return nil
	}
	out := make([]sim.NodeID, 0, len(r.nodes))
	start := r.first(key)
	for j := range r.tokens {
		if len(out) == len(r.nodes) {
			break
		}
		n := r.tokens[(start+j)%len(r.tokens)].node
		if !slices.Contains(out, n) { // skip further vnodes of a node already chosen
			out = append(out, n)
		}
	}
	return out
}

// PreferenceList is the n distinct nodes that hold key's replicas: the first
// n nodes met walking clockwise from the key. It fails if the ring has fewer
// than n nodes.
func (r *Ring) PreferenceList(key string, n int) ([]sim.NodeID, error) {
	if n < 1 {
		return nil, fmt.Errorf("ring: preference list of %d nodes; need at least 1", n)
	}
	if len(r.nodes) < n {
		return nil, fmt.Errorf("preference list of %d for %q on %d nodes: %w", n, key, len(r.nodes), ErrTooFewNodes)
	}
	return r.Successors(key)[:n], nil
}
