// Command ping is the node program of the README: two nodes ping each
// other every second, on virtual time.
package main

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/sim"
)

type Ping struct{ N int }
type Pong struct{ N int }
type tick struct{}

type pinger struct{ pongs int }

func (p *pinger) Start(env sim.Env) { env.SetTimer(time.Second, tick{}) }

func (p *pinger) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case tick: // timers come back as messages from the node itself
		for _, peer := range env.Peers() {
			env.Send(peer, Ping{N: p.pongs})
		}
		env.SetTimer(time.Second, tick{})
	case Ping:
		env.Send(from, Pong{N: m.N})
	case Pong:
		p.pongs++
		env.Logf("pong %d", m.N)
	}
}

func main() {
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Seed: 1, Tracer: rec})
	w.AddNode("n1", func() sim.Node { return &pinger{} })
	w.AddNode("n2", func() sim.Node { return &pinger{} })
	w.RunFor(3 * time.Second)
	for _, line := range rec.LinesExcept(sim.KindSend, sim.KindTimerSet) {
		fmt.Println(line)
	}
}
