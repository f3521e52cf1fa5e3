package network

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// ErrWrongModel is returned by Play when the model is not the world's
// network.
var ErrWrongModel = errors.New("network: the model is not the world's network")

// Play arranges for every event of s to happen in w at its time (an event
// whose time has passed happens now). Faults go to m, which must be w's
// network; crash and restart go to the world. Play checks the whole
// schedule first, so a bad one returns an error and changes nothing: an
// invalid event, or a node the world does not have.
func Play(w *sim.World, m *Model, s Schedule) error {
	if w.Network() != sim.LinkModel(m) {
		return ErrWrongModel
	}
	if err := s.Validate(); err != nil {
		return err
	}
	known := map[sim.NodeID]bool{}
	for _, id := range w.Nodes() {
		known[id] = true
	}
	for i, e := range s {
		for _, id := range e.Action.nodes() {
			if !known[id] {
				return fmt.Errorf("network: schedule event %d (%v %v): %w: %q; the nodes are %s", i+1, e.At, e.Action, sim.ErrUnknownNode, id, nodeNames(w.Nodes()))
			}
		}
	}
	for _, e := range s {
		if f, ok := e.Action.(Fate); ok {
			_ = f.apply(w, m) // before the run: a fate is about a message, not a moment
			continue
		}
		w.At(e.At, func() {
			if err := e.Action.apply(w, m); err != nil {
				panic(fmt.Sprintf("network: checked action %q failed: %v", e.Action, err))
			}
		})
	}
	return nil
}

// FaultKind is a kind of fault RandomSchedule may draw.
type FaultKind uint16

const (
	FaultPartition FaultKind = 1 << iota // split the nodes in two
	FaultCut                             // one-way cut between two nodes
	FaultIsolate                         // one node cut off
	FaultCrash                           // crash a node, and restart it later
	FaultLoss                            // a burst of message loss
	FaultDuplicate                       // duplicated messages
	FaultDelay                           // a latency change
	FaultSlow                            // a slow node
	FaultSkew                            // a clock set wrong
	FaultDrift                           // a clock running fast or slow

	// AllFaults is every kind.
	AllFaults = FaultPartition | FaultCut | FaultIsolate | FaultCrash | FaultLoss |
		FaultDuplicate | FaultDelay | FaultSlow | FaultSkew | FaultDrift
)

// RandomOptions tunes RandomSchedule. The zero value draws ten faults of
// every kind, with at most a minority of the nodes crashed at once.
type RandomOptions struct {
	// Kinds are the faults to draw from; 0 means AllFaults.
	Kinds FaultKind
	// Faults is how many fault events to draw; 0 means 10, negative none.
	Faults int
	// MaxCrashed bounds the nodes down at the same time; 0 means a
	// minority, (len(nodes)-1)/2, so a majority quorum always survives.
	// Negative means no bound.
	MaxCrashed int
}

// Source is the randomness RandomSchedule draws from. A *rand.Rand is one;
// package nemesistest adapts rapid, so that property tests can shrink a
// failing schedule.
type Source interface {
	IntN(n int) int       // in [0, n)
	Int64N(n int64) int64 // in [0, n)
}

// RandomSchedule draws a fault schedule from rng: opts.Faults faults at
// random times in [0, span), then, at span, a heal, a reset and a restart of
// every node still down, so a protocol can recover and a test can check
// that it did. Clock skew and drift are left as they are at the end: a
// protocol must live with clocks that disagree.
//
// The same rng state gives the same schedule.
func RandomSchedule(rng Source, nodes []sim.NodeID, span time.Duration, opts RandomOptions) Schedule {
	n := opts.Faults
	if n == 0 {
		n = 10
	}
	if span <= 0 {
		return nil
	}
	draws := make([]FaultDraw, max(n, 0))
	for i := range draws {
		draws[i] = FaultDraw{At: time.Duration(rng.Int64N(int64(span))), Choices: rng}
	}
	return BuildSchedule(draws, nodes, span, opts)
}

// FaultDraw is the randomness behind one fault of a drawn schedule: when it
// happens, and the source of every choice made for it (kind, nodes,
// parameters).
type FaultDraw struct {
	At      time.Duration
	Choices Source
}

// BuildSchedule is the engine of RandomSchedule: one fault per draw, in
// order of time, then the closing heal, reset and restarts at span.
// opts.Faults is ignored: the draws say how many. Generators that need
// control over each fault's randomness, such as package nemesistest (which
// lets rapid delete single faults while shrinking), call it directly.
func BuildSchedule(draws []FaultDraw, nodes []sim.NodeID, span time.Duration, opts RandomOptions) Schedule {
	if len(nodes) == 0 || span <= 0 {
		return nil
	}
	nodes = slices.Clone(nodes)
	slices.Sort(nodes)
	kinds := opts.Kinds
	if kinds == 0 {
		kinds = AllFaults
	}
	var enabled []FaultKind
	for k := FaultPartition; k <= FaultDrift; k <<= 1 {
		if kinds&k != 0 && (len(nodes) > 1 || k&(FaultPartition|FaultCut|FaultIsolate) == 0) {
			enabled = append(enabled, k)
		}
	}
	maxCrashed := opts.MaxCrashed
	if maxCrashed == 0 {
		maxCrashed = (len(nodes) - 1) / 2
	}
	if maxCrashed < 0 {
		maxCrashed = len(nodes)
	}
	draws = slices.Clone(draws)
	slices.SortStableFunc(draws, func(a, b FaultDraw) int { return cmp.Compare(a.At, b.At) })

	g := generator{nodes: nodes, maxCrashed: maxCrashed, down: map[sim.NodeID]bool{}}
	var s Schedule
	for _, d := range draws {
		if len(enabled) == 0 || d.At < 0 || d.At >= span {
			continue
		}
		g.rng = d.Choices
		k := enabled[g.rng.IntN(len(enabled))]
		if a := g.draw(k); a != nil {
			s = append(s, Event{At: d.At, Action: a})
		}
	}
	s = append(s, Event{At: span, Action: Heal{}}, Event{At: span, Action: Reset{}})
	for _, id := range nodes {
		if g.down[id] {
			s = append(s, Event{At: span, Action: Restart{Node: id}})
		}
	}
	return s
}

// generator draws actions, remembering which nodes are down.
type generator struct {
	rng        Source
	nodes      []sim.NodeID
	maxCrashed int
	down       map[sim.NodeID]bool
}

func (g *generator) node() sim.NodeID { return g.nodes[g.rng.IntN(len(g.nodes))] }

// link picks a directed link between two different nodes.
func (g *generator) link() Link {
	i := g.rng.IntN(len(g.nodes))
	j := g.rng.IntN(len(g.nodes) - 1)
	if j >= i {
		j++
	}
	return Link{From: g.nodes[i], To: g.nodes[j]}
}

// ms draws a whole number of milliseconds in [lo, hi].
func (g *generator) ms(lo, hi int) time.Duration {
	return time.Duration(lo+g.rng.IntN(hi-lo+1)) * time.Millisecond
}

func (g *generator) latency() Latency {
	switch g.rng.IntN(4) {
	case 0:
		return Constant(g.ms(1, 50))
	case 1:
		lo := g.ms(1, 10)
		return Uniform{Min: lo, Max: lo + g.ms(1, 50)}
	case 2:
		return Normal{Mean: g.ms(5, 50), Stddev: g.ms(1, 10)}
	default:
		return Pareto{Min: g.ms(1, 5), Alpha: []float64{1, 1.5, 2}[g.rng.IntN(3)]}
	}
}

var probabilities = []float64{0.01, 0.05, 0.1, 0.2, 0.5}

// draw returns an action of kind k, or nil if none fits now. Network
// faults come with a chance of healing instead, so faults also end during
// the run and not only at its close.
func (g *generator) draw(k FaultKind) Action {
	switch k {
	case FaultPartition, FaultCut, FaultIsolate:
		if g.rng.IntN(3) == 2 { // not 0: a shrinking search tries 0 first, and should find faults
			return Heal{}
		}
	}
	switch k {
	case FaultPartition:
		perm := slices.Clone(g.nodes)
		for i := len(perm) - 1; i > 0; i-- { // Fisher–Yates
			j := g.rng.IntN(i + 1)
			perm[i], perm[j] = perm[j], perm[i]
		}
		cut := 1 + g.rng.IntN(len(perm)-1)
		a, b := perm[:cut], perm[cut:]
		slices.Sort(a)
		slices.Sort(b)
		return Partition{Groups: [][]sim.NodeID{a, b}}
	case FaultCut:
		l := g.link()
		return Cut{From: l.From, To: l.To}
	case FaultIsolate:
		return Isolate{Node: g.node()}
	case FaultCrash:
		var up, down []sim.NodeID
		for _, id := range g.nodes {
			if g.down[id] {
				down = append(down, id)
			} else {
				up = append(up, id)
			}
		}
		if len(down) > 0 && (len(down) >= g.maxCrashed || g.rng.IntN(2) == 1) {
			id := down[g.rng.IntN(len(down))]
			delete(g.down, id)
			return Restart{Node: id}
		}
		if len(down) >= g.maxCrashed || len(up) == 0 {
			return nil
		}
		id := up[g.rng.IntN(len(up))]
		g.down[id] = true
		return Crash{Node: id}
	case FaultLoss:
		p := probabilities[g.rng.IntN(len(probabilities))]
		if g.rng.IntN(2) == 1 && len(g.nodes) > 1 {
			return Loss{Link: g.link(), P: p}
		}
		return Loss{P: p}
	case FaultDuplicate:
		return Duplicate{P: probabilities[g.rng.IntN(len(probabilities))]}
	case FaultDelay:
		return Delay{Latency: g.latency()}
	case FaultSlow:
		if g.rng.IntN(3) == 2 {
			return Slow{Node: g.node()}
		}
		return Slow{Node: g.node(), Extra: g.latency()}
	case FaultSkew:
		return Skew{Node: g.node(), Offset: g.ms(0, 1000) - 500*time.Millisecond}
	case FaultDrift:
		return Drift{Node: g.node(), PPM: int64(g.rng.IntN(1001) - 500)}
	}
	return nil
}

// nodeNames joins node names for an error message: "n1, n2, c1".
func nodeNames(ids []sim.NodeID) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = string(id)
	}
	return strings.Join(names, ", ")
}
