package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	Register(Scenario{
		Name:    "broadcast",
		Summary: "gossip broadcast among 5 nodes on a lossy network until every node has every value",
		Doc: `Five nodes each broadcast two values over links that lose 20% of
messages and reorder the rest. A node that learns a value floods it to every
peer at once (eager push); because floods get lost, every node also sends its
whole set of values to one random peer every 50ms (anti-entropy), which
repairs what flooding missed. The run ends when every node has every value.`,
		LookFor: `flooding alone leaves holes; anti-entropy closes them. The summary
counts messages sent, redundant receipts (values a node already had) and the
time to converge. Raise the loss with --schedule (e.g. "0s loss 0.5") and
watch convergence slow down but still happen.`,
		Chapter: "basics",
		Knobs: []Knob{
			{Name: "nodes", Kind: KnobInt, Default: "5", Min: 2, Max: 20000,
				Doc: "how many nodes gossip; the first five broadcast, and past 9 nodes a flood goes to 8 random peers, not all"},
			{Name: "loss", Kind: KnobFloat, Default: "0.2", Min: 0, Max: 0.9, Doc: "the share of messages the network loses"},
		},
		For:   10 * time.Second,
		Setup: setupBroadcast,
	})
}

// Value carries one broadcast value, flooded on first receipt.
type Value struct{ V int }

// Digest carries every value the sender knows: anti-entropy.
type Digest struct{ Values []int }

type gossipTick struct{}
type originate struct{ V int }

const (
	broadcasters      = 5 // nodes n1..n5 broadcast (fewer if there are fewer nodes)
	valuesPerNode     = 2
	antiEntropyPeriod = 50 * time.Millisecond
	// floodFanout caps an eager flood: a node floods a new value to every
	// peer while it has at most this many, and to this many random peers
	// beyond. Flooding everyone costs a message per pair of nodes per
	// value, which a 10,000-node world cannot pay; anti-entropy repairs
	// the few nodes a bounded flood misses.
	floodFanout = 8
)

// gossiper floods new values eagerly and repairs losses by anti-entropy.
type gossiper struct {
	known     map[int]bool
	redundant int // receipts of values already known
	// progress counts, for the scenario, the nodes that know every value,
	// so checking for convergence after every event does not visit every
	// node; index is this node's place in it.
	progress *broadcastProgress
	index    int
}

// broadcastProgress is the scenario's tally of which nodes know every
// value. It is instrumentation: the gossipers never read it.
type broadcastProgress struct {
	all      int    // values there are
	complete int    // nodes whose current incarnation knows all of them
	has      []bool // has[i]: node i was counted in complete
}

func (g *gossiper) Start(env sim.Env) {
	g.known = map[int]bool{}
	if p := g.progress; p != nil && p.has[g.index] {
		p.has[g.index] = false // a restarted node starts empty
		p.complete--
	}
	env.SetTimer(antiEntropyPeriod, gossipTick{})
}

func (g *gossiper) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case originate:
		env.Logf("broadcasts %d", m.V)
		g.learn(env, m.V)
	case Value:
		if g.known[m.V] {
			g.redundant++
			return
		}
		g.learn(env, m.V)
	case Digest:
		for _, v := range m.Values {
			if g.known[v] {
				g.redundant++
				continue
			}
			g.learn(env, v)
		}
	case gossipTick:
		peers := env.Peers()
		env.Send(peers[env.Rand().IntN(len(peers))], Digest{Values: g.values()})
		env.SetTimer(antiEntropyPeriod, gossipTick{})
	}
}

// learn records a value and floods it to every peer, or to floodFanout
// random ones when there are more.
func (g *gossiper) learn(env sim.Env, v int) {
	g.known[v] = true
	if p := g.progress; p != nil && len(g.known) == p.all && !p.has[g.index] {
		p.has[g.index] = true
		p.complete++
	}
	peers := env.Peers()
	if len(peers) <= floodFanout {
		for _, p := range peers {
			env.Send(p, Value{V: v})
		}
		return
	}
	var chosen [floodFanout]int
	for i := range chosen {
		c := env.Rand().IntN(len(peers))
		for slices.Contains(chosen[:i], c) {
			c = env.Rand().IntN(len(peers)) // distinct peers: draw again
		}
		chosen[i] = c
		env.Send(peers[c], Value{V: v})
	}
}

// values lists what the node knows, sorted, so messages do not depend on
// map order.
func (g *gossiper) values() []int {
	out := make([]int, 0, len(g.known))
	for v := range g.known {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func (g *gossiper) Inspect() map[string]string {
	return map[string]string{"values": fmt.Sprint(g.values()), "redundant": fmt.Sprint(g.redundant)}
}

func setupBroadcast(o Options) (*Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: 2 * time.Millisecond, Max: 20 * time.Millisecond},
		Loss:    o.Knobs.Float("loss"),
		Reorder: true,
	}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	n := o.Knobs.Int("nodes")
	all := min(n, broadcasters) * valuesPerNode
	progress := &broadcastProgress{all: all, has: make([]bool, n)}
	var ids []sim.NodeID
	for i := 1; i <= n; i++ {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		ids = append(ids, id)
		w.AddNode(id, func() sim.Node { return &gossiper{progress: progress, index: i - 1} })
	}
	// Node i (of the first five) broadcasts values 10i+1 and 10i+2, at
	// 10ms and 110ms.
	for i, id := range ids[:min(n, broadcasters)] {
		for k := 0; k < valuesPerNode; k++ {
			v := 10*(i+1) + k + 1
			w.At(time.Duration(10+100*k)*time.Millisecond, func() {
				_ = w.Exec(id, func(n sim.Node, env sim.Env) { n.Receive(env, id, originate{V: v}) })
			})
		}
	}

	var convergedAt time.Duration = -1
	converged := func() bool {
		if progress.complete < n {
			return false // some node has not learned everything yet
		}
		// Every node did; check they are all up, too (a crashed node's
		// count stays until it restarts).
		for _, id := range ids {
			g, ok := w.Node(id).(*gossiper)
			if !ok || len(g.known) < all {
				return false
			}
		}
		return true
	}
	w.AfterStep(func() {
		if convergedAt < 0 && converged() {
			convergedAt = w.Now()
			w.Logf("every node has all %d values", all)
		}
	})

	return &Run{
		World: w,
		Net:   net,
		Done:  func() bool { return convergedAt >= 0 },
		Finish: func() Result {
			st := w.Stats()
			redundant := 0
			for _, id := range ids {
				if g, ok := w.Node(id).(*gossiper); ok {
					redundant += g.redundant
				}
			}
			r := Result{Metrics: []Metric{
				{"messages_sent", float64(st.Sent), "messages"},
				{"messages_dropped", float64(st.Dropped), "messages"},
				{"redundant_receipts", float64(redundant), "values"},
				{"network_duplicates", float64(st.Duplicated), "messages"},
			}}
			if convergedAt < 0 {
				r.Summary = append(r.Summary, o.Printer.T("NOT converged after %s", sim.FormatTime(w.Now())))
				r.Err = fmt.Errorf("broadcast did not converge within %s", sim.FormatTime(w.Now()))
				return r
			}
			r.Metrics = append(r.Metrics, Metric{"converge_time", convergedAt.Seconds(), "s"})
			r.Summary = append(r.Summary,
				o.Printer.T("converged: every node has all %d values at %s", all, sim.FormatTime(convergedAt)),
				o.Printer.T("messages sent: %d (%d lost by the network), %d duplicated by the network", st.Sent, st.Dropped, st.Duplicated),
				o.Printer.T("redundant receipts: %d values arrived at a node that already had them", redundant),
			)
			return r
		},
	}, nil
}
