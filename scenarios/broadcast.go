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
			{Name: "nodes", Kind: KnobInt, Default: "5", Min: 2, Max: 10000, Doc: "how many nodes gossip (each broadcasts two values)"},
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
	valuesPerNode     = 2
	antiEntropyPeriod = 50 * time.Millisecond
)

// gossiper floods new values eagerly and repairs losses by anti-entropy.
type gossiper struct {
	known     map[int]bool
	redundant int // receipts of values already known
}

func (g *gossiper) Start(env sim.Env) {
	g.known = map[int]bool{}
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

// learn records a value and floods it to every peer.
func (g *gossiper) learn(env sim.Env, v int) {
	g.known[v] = true
	for _, p := range env.Peers() {
		env.Send(p, Value{V: v})
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
	var ids []sim.NodeID
	nodes := o.Knobs.Int("nodes")
	for i := 1; i <= nodes; i++ {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		ids = append(ids, id)
		w.AddNode(id, func() sim.Node { return &gossiper{} })
	}
	// Node i broadcasts values 10i+1 and 10i+2, at 10ms and 110ms.
	all := nodes * valuesPerNode
	for i, id := range ids {
		for k := 0; k < valuesPerNode; k++ {
			v := 10*(i+1) + k + 1
			w.At(time.Duration(10+100*k)*time.Millisecond, func() {
				_ = w.Exec(id, func(n sim.Node, env sim.Env) { n.Receive(env, id, originate{V: v}) })
			})
		}
	}

	var convergedAt time.Duration = -1
	converged := func() bool {
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
