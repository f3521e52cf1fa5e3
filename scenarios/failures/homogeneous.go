package failures

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "fallacy-homogeneous-network",
		Summary: "fallacy 8, the network is homogeneous: round robin over three servers and a Pi on Wi-Fi overloads the Pi and sets everyone's p99; weighting by capacity fixes it",
		Doc: `A balancer spreads 560 requests a second (Poisson) over four servers
for 3 seconds. Three are rack servers on wired links (0.2–0.6ms) that
answer in about 2ms; the fourth is a Raspberry Pi on Wi-Fi (2–20ms each
way) that needs about 12ms per request: a sixth of the speed, 83 requests
a second at most. Each server works on one request at a time.

  round-robin  every server gets the same share, 140 a second: the
               balancer assumes the machines and links are alike.
  weighted     shares follow capacity, 4:4:4:1: the Pi gets about 43 a
               second.`,
		LookFor: `round-robin: the Pi gets a quarter of the requests, more than it can
serve, so its queue grows for the whole run (max queue in the hundreds) and
the p99 of all requests is seconds, although three of four servers idle at
30%. weighted: the Pi gets about 1/13 of the requests, its queue stays
short, and the p99 is tens of milliseconds (set by the Wi-Fi link).`,
		Chapter: "failures",
		For:     6 * time.Second,
		Setup:   setupHomogeneous,
	})
}

const (
	homRate = 560
	homLoad = 3 * time.Second
)

type homVariant struct {
	name     string
	weighted bool
	load     *service.LoadGen
	servers  []*service.Server
}

func setupHomogeneous(o scenarios.Options) (*scenarios.Run, error) {
	wired := network.Uniform{Min: 200 * time.Microsecond, Max: 600 * time.Microsecond}
	wifi := network.Uniform{Min: 2 * time.Millisecond, Max: 20 * time.Millisecond}
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: wired}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	variants := []*homVariant{{name: "round-robin"}, {name: "weighted", weighted: true}}
	for _, v := range variants {
		names := []string{"s1", "s2", "s3", "pi"}
		ids := make([]sim.NodeID, len(names))
		v.servers = make([]*service.Server, len(names))
		for i, n := range names {
			ids[i] = sim.NodeID(v.name + "-" + n)
			st := network.Uniform{Min: 1500 * time.Microsecond, Max: 2500 * time.Microsecond}
			if n == "pi" {
				st = network.Uniform{Min: 10 * time.Millisecond, Max: 14 * time.Millisecond}
			}
			cfg := service.ServerConfig{Workers: 1, ServiceTime: st}
			w.AddNode(ids[i], func() sim.Node { v.servers[i] = service.MustServer(cfg); return v.servers[i] })
		}
		lb := sim.NodeID(v.name + "-lb")
		for _, l := range []network.Link{{From: lb, To: ids[3]}, {From: ids[3], To: lb}} {
			if err := net.SetLatency(l, wifi); err != nil {
				return nil, err
			}
		}
		weights := []int{1, 1, 1, 1}
		if v.weighted {
			weights = []int{4, 4, 4, 1}
		}
		w.AddClient(lb, func() sim.Node {
			next := 0 // smooth weighted round robin: the position in the cycle
			cycle := []sim.NodeID{}
			for round := range 4 {
				for i, wt := range weights {
					if round < wt {
						cycle = append(cycle, ids[i])
					}
				}
			}
			cfg := service.LoadConfig{
				Interarrival: network.Exponential{Mean: time.Second / homRate},
				Stop:         homLoad,
				Pick: func(sim.Env) sim.NodeID {
					id := cycle[next%len(cycle)]
					next++
					return id
				},
				Caller: service.CallerConfig{Name: "api", Timeout: 3 * time.Second},
			}
			v.load = service.MustLoadGen(cfg)
			return v.load
		})
	}
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishHomogeneous(variants) }}, nil
}

func finishHomogeneous(variants []*homVariant) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	p99 := map[string]time.Duration{}
	piQueue := map[string]int{}
	for _, v := range variants {
		s := service.Summarize(v.load.Records())
		pi := v.servers[3].Stats()
		total := 0
		for _, srv := range v.servers {
			total += int(srv.Stats().Received)
		}
		p99[v.name], piQueue[v.name] = s.P99All, pi.MaxQueue
		rows = append(rows, []string{v.name, itoa(s.Requests), itoa(s.OK()), dur(s.P50), dur(s.P99All), pct(int(pi.Received), total), itoa(pi.MaxQueue)})
		m := metricName(v.name)
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: m + "_p99", Value: s.P99All.Seconds(), Unit: "s"},
			scenarios.Metric{Name: m + "_p50", Value: s.P50.Seconds(), Unit: "s"},
			scenarios.Metric{Name: m + "_pi_max_queue", Value: float64(pi.MaxQueue), Unit: "requests"},
			scenarios.Metric{Name: m + "_pi_share", Value: float64(pi.Received) / float64(max(total, 1)), Unit: "share"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("%d requests a second for %s over three rack servers (~2ms) and a Pi on Wi-Fi (~12ms, at most 83/s):", homRate, homLoad))
	r.Summary = append(r.Summary, table([]string{"balancer", "requests", "ok", "p50", "p99", "to the Pi", "Pi's max queue"}, rows)...)
	switch {
	case p99["round-robin"] < 500*time.Millisecond:
		c.Failf("round robin's p99 was only %s: the Pi did not fall behind", dur(p99["round-robin"]))
	case p99["weighted"] > 100*time.Millisecond:
		c.Failf("weighted balancing's p99 was %s: want under 100ms", dur(p99["weighted"]))
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("treating the Pi like the others queued up to %d requests on it and made the p99 %s; weighting by capacity made it %s",
			piQueue["round-robin"], dur(p99["round-robin"]), dur(p99["weighted"])))
	}
	r.Err = c.Err()
	return r
}
