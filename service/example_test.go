package service_test

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

// A server with 2 workers and 10ms of work per request can do 200 requests
// a second. Offered 100 it answers in about one service time (plus a 1ms
// hop each way); offered 190 the same server makes its users wait three
// times longer at the median and five at the tail: queueing near
// saturation.
func Example() {
	for _, rate := range []int{100, 190} {
		w := sim.NewWorld(sim.Config{Seed: 1})
		w.AddNode("api", func() sim.Node {
			return service.MustServer(service.ServerConfig{Workers: 2, ServiceTime: network.Constant(10 * time.Millisecond)})
		})
		users := service.MustLoadGen(service.LoadConfig{
			Target:       "api",
			Interarrival: network.Exponential{Mean: time.Second / time.Duration(rate)}, // Poisson arrivals
			Stop:         20 * time.Second,
		})
		w.AddClient("users", func() sim.Node { return users })
		w.RunFor(21 * time.Second)
		s := service.Summarize(users.Records())
		fmt.Printf("%d/s offered: %d answered, p50 %v, p99 %v\n", rate, s.OK(), s.P50.Round(time.Millisecond), s.P99.Round(time.Millisecond))
	}
	// Output:
	// 100/s offered: 1992 answered, p50 12ms, p99 26ms
	// 190/s offered: 3791 answered, p50 39ms, p99 136ms
}
