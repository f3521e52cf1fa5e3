package network_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

// BenchmarkRoute measures the cost of deciding one message's fate, the
// model's share of every Send.
func BenchmarkRoute(b *testing.B) {
	for _, bc := range []struct {
		name  string
		setup func(m *network.Model)
	}{
		{"default", func(*network.Model) {}},
		{"uniform", func(m *network.Model) {
			_ = m.SetLatency(network.AllLinks, network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond})
		}},
		{"normal+loss+dup", func(m *network.Model) {
			_ = m.SetLatency(network.AllLinks, network.Normal{Mean: 5 * time.Millisecond, Stddev: time.Millisecond})
			_ = m.SetLoss(network.AllLinks, 0.05)
			_ = m.SetDuplicate(network.AllLinks, 0.05)
		}},
		{"pareto", func(m *network.Model) {
			_ = m.SetLatency(network.AllLinks, network.Pareto{Min: time.Millisecond, Alpha: 1.5})
		}},
		{"faults", func(m *network.Model) {
			_ = m.Partition([]sim.NodeID{"n1", "n2", "n3"}, []sim.NodeID{"n4", "n5"})
			_ = m.SetLoss(network.Link{From: "n1", To: "n2"}, 0.1)
			_ = m.Slow("n3", network.Constant(time.Millisecond))
			_ = m.Cut("n2", "n1")
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := network.MustNew(network.Config{})
			w := sim.NewWorld(sim.Config{Network: m}) // faults need the world's nodes
			for _, id := range []sim.NodeID{"n1", "n2", "n3", "n4", "n5"} {
				w.AddNode(id, func() sim.Node { return sim.NodeFunc(func(sim.Env, sim.NodeID, sim.Message) {}) })
			}
			bc.setup(m)
			rng := rand.New(rand.NewPCG(1, 2))
			ids := []sim.NodeID{"n1", "n2", "n3", "n4", "n5"}
			msg := sim.Message(Seq{N: 1})
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				from, to := ids[i%5], ids[(i/5+i+1)%5]
				m.Route(time.Duration(i)*time.Microsecond, from, to, msg, rng)
				i++
			}
		})
	}
}
