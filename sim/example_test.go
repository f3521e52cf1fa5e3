package sim_test

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Hello and Ack are the messages of the example: plain structs.
type Hello struct{ N int }
type Ack struct{ N int }

// greeter says Hello to every peer once a second, three times, and counts
// the Acks that come back. It touches the world only through env.
type greeter struct {
	sent, acked int
}

type helloTick struct{}

func (g *greeter) Start(env sim.Env) {
	env.SetTimer(time.Second, helloTick{})
}

func (g *greeter) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case helloTick: // a timer: from == env.ID()
		g.sent++
		for _, p := range env.Peers() {
			env.Send(p, Hello{N: g.sent})
		}
		if g.sent < 3 {
			env.SetTimer(time.Second, helloTick{})
		}
	case Ack:
		g.acked++
		env.Logf("%s acked hello %d", from, m.N)
	}
}

// A complete two-node program: build a world, add nodes, run it on virtual
// time and print the trace as a log. Three simulated seconds take
// microseconds, and every run prints exactly this.
func Example() {
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{
		Seed:    1,
		Network: sim.FixedLatency(5 * time.Millisecond),
		Tracer:  rec,
	})
	w.AddNode("n1", func() sim.Node { return &greeter{} })
	w.AddNode("n2", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
			if h, ok := msg.(Hello); ok {
				env.Send(from, Ack{N: h.N})
			}
		})
	})

	w.RunFor(5 * time.Second)

	for _, line := range rec.LinesExcept(sim.KindSend, sim.KindTimerSet) {
		fmt.Println(line)
	}
	fmt.Println("acked:", w.Node("n1").(*greeter).acked)
	// Output:
	// 0.000ms n1 starts
	// 0.000ms n2 starts
	// 1000.000ms n1 timer helloTick{}
	// 1005.000ms n1->n2 Hello{N:1}
	// 1010.000ms n2->n1 Ack{N:1}
	// 1010.000ms n1: n2 acked hello 1
	// 2000.000ms n1 timer helloTick{}
	// 2005.000ms n1->n2 Hello{N:2}
	// 2010.000ms n2->n1 Ack{N:2}
	// 2010.000ms n1: n2 acked hello 2
	// 3000.000ms n1 timer helloTick{}
	// 3005.000ms n1->n2 Hello{N:3}
	// 3010.000ms n2->n1 Ack{N:3}
	// 3010.000ms n1: n2 acked hello 3
	// acked: 3
}
