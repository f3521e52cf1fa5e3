package sim_test

import (
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// ball is the message of the ping-pong benchmark: each delivery sends one on.
type ball struct{ Hops int }

// volley sends every ball it receives to a random peer.
type volley struct{}

func (volley) Start(env sim.Env) {
	if env.ID() == "n1" {
		for range 64 {
			env.Send(env.Peers()[env.Rand().IntN(len(env.Peers()))], ball{})
		}
	}
}

func (volley) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	b := msg.(ball)
	peers := env.Peers()
	env.Send(peers[env.Rand().IntN(len(peers))], ball{Hops: b.Hops + 1})
}

type uniform struct{ lo, hi time.Duration }

func (u uniform) Route(_ time.Duration, _, _ sim.NodeID, _ sim.Message, rng *rand.Rand) sim.Fate {
	return sim.Fate{Delay: u.lo + time.Duration(rng.Int64N(int64(u.hi-u.lo)))}
}

// BenchmarkKernel measures the simulator's own speed: five nodes volleying
// 64 balls over links with uniform random latency, every record traced into
// sim.Discard. One b.N is one delivered message.
func BenchmarkKernel(b *testing.B) {
	w := sim.NewWorld(sim.Config{Seed: 1, Network: uniform{time.Millisecond, 5 * time.Millisecond}, Tracer: sim.Discard})
	for _, id := range []sim.NodeID{"n1", "n2", "n3", "n4", "n5"} {
		w.AddNode(id, func() sim.Node { return volley{} })
	}
	w.RunFor(0)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.Step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkKernelTraced is BenchmarkKernel with every record rendered as
// JSON and thrown away: the price of a full trace.
func BenchmarkKernelTraced(b *testing.B) {
	w := sim.NewWorld(sim.Config{Seed: 1, Network: uniform{time.Millisecond, 5 * time.Millisecond}, Tracer: sim.NewJSONL(io.Discard)})
	for _, id := range []sim.NodeID{"n1", "n2", "n3", "n4", "n5"} {
		w.AddNode(id, func() sim.Node { return volley{} })
	}
	w.RunFor(0)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.Step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
