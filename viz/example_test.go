package viz_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/viz"
)

// Record a run, then draw it. Open the SVG in a browser: two arrows, the
// Ping going right and the Pong coming back, 3ms each.
func ExampleWriteSpaceTime() {
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Network: sim.FixedLatency(3 * time.Millisecond), Tracer: rec})
	w.AddNode("client", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {})
	})
	w.AddNode("server", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
			if p, ok := msg.(Ping); ok {
				env.Send(from, Pong(p))
			}
		})
	})
	w.RunFor(time.Millisecond)
	_ = w.Exec("client", func(_ sim.Node, env sim.Env) { env.Send("server", Ping{Seq: 1}) })
	w.RunFor(10 * time.Millisecond)

	var svg bytes.Buffer
	if err := viz.WriteSpaceTime(&svg, rec.Records, viz.SpaceTimeOptions{Stamps: viz.StampsLamport}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("arrows:", strings.Count(svg.String(), `class="message"`))
	for _, d := range viz.Deliveries(rec.Records) {
		fmt.Printf("%s->%s %s took %s\n", d.From, d.To, d.Type, d.Latency())
	}
	// Output:
	// arrows: 2
	// client->server Ping took 3ms
	// server->client Pong took 3ms
}
