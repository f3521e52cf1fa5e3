package viz_test

import (
	"math/rand/v2"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Ping and Pong are the messages of the test cluster.
type Ping struct{ Seq int }
type Pong struct{ Seq int }
type tick struct{}

// pinger pings every peer every 10ms, four times, and answers pings.
type pinger struct{ sent int }

func (p *pinger) Start(env sim.Env) { env.SetTimer(10*time.Millisecond, tick{}) }

func (p *pinger) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case tick:
		p.sent++
		for _, peer := range env.Peers() {
			env.Send(peer, Ping{Seq: p.sent})
		}
		if p.sent < 4 {
			env.SetTimer(10*time.Millisecond, tick{})
		}
	case Ping:
		env.Send(from, Pong{Seq: m.Seq})
	}
}

// everyFifth loses every fifth message it routes and delivers the others
// after 2ms, plus 0-2ms by message number, so arrows slope differently.
// While isolated is set, every message to or from it is lost too. It draws
// nothing from rng: the trace is fixed.
type everyFifth struct {
	n        int
	isolated sim.NodeID
}

func (l *everyFifth) Route(_ time.Duration, from, to sim.NodeID, _ sim.Message, _ *rand.Rand) sim.Fate {
	l.n++
	if l.isolated != "" && (from == l.isolated || to == l.isolated) {
		return sim.Fate{Drop: true, Reason: "partition"}
	}
	if l.n%5 == 0 {
		return sim.Fate{Drop: true, Reason: "loss"}
	}
	return sim.Fate{Delay: 2*time.Millisecond + time.Duration(l.n%3)*time.Millisecond}
}

// smallTrace runs three pingers for 60ms: n3 crashes at 15ms and restarts
// at 32ms, a fault window covers 20ms to 28ms (n1 is cut off), and every fifth message is
// lost. It is the trace the golden diagram shows.
func smallTrace() []sim.Record {
	rec := &sim.Recorder{}
	link := &everyFifth{}
	w := sim.NewWorld(sim.Config{Seed: 1, Network: link, Tracer: rec})
	for _, id := range []sim.NodeID{"n1", "n2", "n3"} {
		w.AddNode(id, func() sim.Node { return &pinger{} })
	}
	w.At(15*time.Millisecond, func() { w.Crash("n3") })
	w.At(20*time.Millisecond, func() {
		link.isolated = "n1"
		w.Fault("partition {n1} | {n2 n3}")
	})
	w.At(28*time.Millisecond, func() {
		link.isolated = ""
		w.Fault("heal")
	})
	w.At(32*time.Millisecond, func() { w.Restart("n3") })
	w.RunFor(60 * time.Millisecond)
	return rec.Records
}
