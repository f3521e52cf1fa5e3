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

// uniform is the benchmark's link model. Like network.Model it has a pointer
// receiver: a value receiver would be called through a wrapper that copies
// the model and the Fate once more on every send.
type uniform struct{ lo, hi time.Duration }

func (u *uniform) Route(_ time.Duration, _, _ sim.NodeID, _ sim.Message, rng *rand.Rand) sim.Fate {
	return sim.Fate{Delay: u.lo + time.Duration(rng.Int64N(int64(u.hi-u.lo)))}
}

// BenchmarkKernel measures the simulator's own speed: five nodes volleying
// 64 balls over links with uniform random latency, every record traced into
// sim.Discard. One b.N is one delivered message.
//
// The same run times the bare loop below (bareLoop) on as many events, in
// alternating slices so both see the same machine load, and reports the
// kernel's events per second as a fraction of the bare loop's: "of-bare".
func BenchmarkKernel(b *testing.B) {
	w := sim.NewWorld(sim.Config{Seed: 1, Network: &uniform{time.Millisecond, 5 * time.Millisecond}, Tracer: sim.Discard})
	for _, id := range []sim.NodeID{"n1", "n2", "n3", "n4", "n5"} {
		w.AddNode(id, func() sim.Node { return volley{} })
	}
	w.RunFor(0)
	bare := newBareLoop()
	const slice = 4096
	var kernel, reference time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(slice, b.N-done)
		start := time.Now()
		for range n {
			w.Step()
		}
		kernel += time.Since(start)
		b.StopTimer()
		start = time.Now()
		for range n {
			bare.step()
		}
		reference += time.Since(start)
		b.StartTimer()
		done += n
	}
	b.ReportMetric(float64(b.N)/kernel.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/reference.Seconds(), "bare-events/s")
	b.ReportMetric(reference.Seconds()/kernel.Seconds(), "of-bare")
}

// BenchmarkKernelTraced is BenchmarkKernel with every record rendered as
// JSON and thrown away: the price of a full trace.
func BenchmarkKernelTraced(b *testing.B) {
	w := sim.NewWorld(sim.Config{Seed: 1, Network: &uniform{time.Millisecond, 5 * time.Millisecond}, Tracer: sim.NewJSONL(io.Discard)})
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

// The reference for BenchmarkKernel: the same ping-pong written as the
// fastest loop one could hand-specialise for it. Events are structs in a
// binary heap ordered by (time, sequence), dispatch is a switch, nodes are
// indexes, nothing is traced and nothing can crash, drop or be cancelled.
// BenchmarkKernel reports its own speed as a fraction of this loop's,
// measured in the same run ("of-bare"), so the ratio means the same on a
// busy machine as on a quiet one.

type bareEvent struct {
	at   time.Duration
	seq  uint64
	kind uint8
	to   int32
	hops int
}

type bareLoop struct {
	h     []bareEvent
	seq   uint64
	now   time.Duration
	nodes int
	rng   []*rand.Rand // per node, as Env.Rand
	net   *rand.Rand
}

func bareLess(a, b *bareEvent) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

func (l *bareLoop) push(e bareEvent) {
	l.seq++
	e.seq = l.seq
	l.h = append(l.h, e)
	h := l.h
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !bareLess(&e, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

func (l *bareLoop) pop() bareEvent {
	h := l.h
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	l.h = h
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && bareLess(&h[c+1], &h[c]) {
			c++
		}
		if !bareLess(&h[c], &last) {
			break
		}
		h[i] = h[c]
		i = c
	}
	if n > 0 {
		h[i] = last
	}
	return top
}

// send picks a random peer other than from and a uniform latency.
func (l *bareLoop) send(from int32, hops int) {
	to := int32(l.rng[from].IntN(l.nodes - 1))
	if to >= from {
		to++
	}
	delay := time.Millisecond + time.Duration(l.net.Int64N(int64(4*time.Millisecond)))
	l.push(bareEvent{at: l.now + delay, kind: 1, to: to, hops: hops})
}

func (l *bareLoop) step() {
	e := l.pop()
	l.now = e.at
	switch e.kind {
	case 1: // a ball arrives: send it on
		l.send(e.to, e.hops+1)
	}
}

func newBareLoop() *bareLoop {
	l := &bareLoop{nodes: 5, net: rand.New(rand.NewPCG(1, 2))}
	for i := range l.nodes {
		l.rng = append(l.rng, rand.New(rand.NewPCG(1, uint64(10+i))))
	}
	for range 64 {
		l.send(0, 0)
	}
	return l
}

// BenchmarkBareLoop is the reference loop alone.
func BenchmarkBareLoop(b *testing.B) {
	l := newBareLoop()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		l.step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
