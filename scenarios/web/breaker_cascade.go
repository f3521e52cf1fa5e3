package web

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/resilience"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "breaker-cascade",
		Summary: "a slow dependency takes its caller down; a circuit breaker and a bulkhead contain it",
		Doc: `Two identical shops run side by side. Each has a front server (32
workers) that serves two pages: "home", which asks a recommendation service
(reco) for suggestions, and "checkout", which asks the database. Users send
400 requests a second and give up after 2s. At 2s reco becomes very slow
(3s a request, as if its own database locked up).

The plain shop calls reco with a 1s timeout and nothing else. Every home
request now holds a front worker for a full second, and 200 of them arrive
each second: all 32 workers are soon stuck waiting on reco, the queue grows,
and checkout — which never touches reco — waits behind them. One slow
service has taken the whole shop down: a cascading failure.

The guarded shop calls reco through a bulkhead (at most 4 calls in flight)
and a circuit breaker (open after 5 failures in a row, a probe every
two seconds; --set bulkhead=, failures= and open-for= change them). A
handful of home requests wait their second; then the breaker opens and home fails fast (it could show the page without suggestions),
while checkout never notices.`,
		LookFor: `the table's p99 (all requests, failures included) and the
checkout p99 after 2s: seconds for the plain shop, milliseconds for the
guarded one; and the most front workers busy at once (all 32 against a
dozen, most of them in the ordinary bursts of Poisson arrivals).`,
		Chapter: "resilience",
		Knobs: []scenarios.Knob{
			{Name: "failures", Kind: scenarios.KnobInt, Default: "5", Min: 1, Max: 1000, Doc: "failures in a row that open the guarded shop's breaker"},
			{Name: "open-for", Kind: scenarios.KnobDuration, Default: "2s", Min: float64(10 * time.Millisecond), Max: float64(10 * time.Second), Doc: "how long the breaker stays open before it lets a probe through"},
			{Name: "bulkhead", Kind: scenarios.KnobInt, Default: "4", Min: 1, Max: 64, Doc: "calls to reco the guarded shop allows in flight at once"},
		},
		For:   8 * time.Second,
		Setup: setupBreakerCascade,
	})
}

const (
	cascadeSlowAt  = 2 * time.Second
	cascadeMeasure = 6 * time.Second // requests sent in [slowAt, measure) are compared
)

type cascadeShop struct {
	name    string
	guarded bool
	front   *service.Server
	load    *service.LoadGen
}

func setupBreakerCascade(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 500 * time.Microsecond, Max: 1500 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	shops := []*cascadeShop{{name: "plain"}, {name: "guarded", guarded: true}}
	for _, shop := range shops {
		if err := addCascadeShop(w, shop, o.Knobs); err != nil {
			return nil, err
		}
	}
	w.At(cascadeSlowAt, func() {
		w.Logf("reco slows down: 3s per request (both shops)")
		for _, shop := range shops {
			_ = w.Exec(sim.NodeID(shop.name+"-reco"), func(n sim.Node, env sim.Env) {
				n.(*service.Server).SetServiceTime(network.Constant(3 * time.Second))
			})
		}
	})
	finish := func() scenarios.Result { return finishBreakerCascade(shops) }
	return &scenarios.Run{World: w, Net: net, Finish: finish}, nil
}

func addCascadeShop(w *sim.World, shop *cascadeShop, knobs scenarios.Knobs) error {
	p := shop.name + "-"
	reco := &service.Dependency{
		CallerConfig: service.CallerConfig{Name: "reco", Timeout: time.Second},
		Route: func(r service.Request) sim.NodeID {
			if r.Key == "home" {
				return sim.NodeID(p + "reco")
			}
			return ""
		},
	}
	if shop.guarded {
		reco.MaxConcurrent = knobs.Int("bulkhead")
		reco.Breaker = &resilience.BreakerConfig{ConsecutiveFailures: knobs.Int("failures"), OpenFor: knobs.Duration("open-for"), HalfOpenProbes: 1,
			OnStateChange: func(t resilience.Transition) {
				w.Logf("%sfront's breaker on reco: %s -> %s", p, t.From, t.To)
			}}
	}
	db := service.Dependency{
		CallerConfig: service.CallerConfig{Name: "db", Timeout: time.Second},
		Route: func(r service.Request) sim.NodeID {
			if r.Key == "checkout" {
				return sim.NodeID(p + "db")
			}
			return ""
		},
	}
	frontCfg := service.ServerConfig{Workers: 32, ServiceTime: network.Uniform{Min: 2 * time.Millisecond, Max: 4 * time.Millisecond},
		Dependencies: []service.Dependency{*reco, db}}
	if _, err := service.NewServer(frontCfg); err != nil {
		return fmt.Errorf("breaker-cascade: %w", err)
	}
	w.AddNode(sim.NodeID(p+"front"), func() sim.Node {
		shop.front = service.MustServer(frontCfg)
		return shop.front
	})
	w.AddNode(sim.NodeID(p+"reco"), func() sim.Node {
		return service.MustServer(service.ServerConfig{Workers: 64, ServiceTime: network.Uniform{Min: 5 * time.Millisecond, Max: 15 * time.Millisecond}})
	})
	w.AddNode(sim.NodeID(p+"db"), func() sim.Node {
		return service.MustServer(service.ServerConfig{Workers: 16, ServiceTime: network.Uniform{Min: 2 * time.Millisecond, Max: 6 * time.Millisecond}})
	})
	w.AddClient(sim.NodeID(p+"users"), func() sim.Node {
		shop.load = service.MustLoadGen(service.LoadConfig{
			Target:       sim.NodeID(p + "front"),
			Interarrival: network.Exponential{Mean: 2500 * time.Microsecond},
			Stop:         7 * time.Second,
			Key: func(rng *rand.Rand) string {
				if rng.IntN(2) == 0 {
					return "home"
				}
				return "checkout"
			},
			Caller: service.CallerConfig{Name: "front", Timeout: 2 * time.Second},
		})
		return shop.load
	})
	return nil
}

func finishBreakerCascade(shops []*cascadeShop) scenarios.Result {
	var r scenarios.Result
	var check firstErr
	var rows [][]string
	p99 := map[string]time.Duration{}
	checkoutP99 := map[string]time.Duration{}
	for _, shop := range shops {
		recs := service.Between(shop.load.Records(), at(cascadeSlowAt), at(cascadeMeasure))
		var checkout []service.Record
		for _, rec := range recs {
			if rec.Key == "checkout" {
				checkout = append(checkout, rec)
			}
		}
		all, co := service.Summarize(recs), service.Summarize(checkout)
		p99[shop.name], checkoutP99[shop.name] = all.P99All, co.P99All
		fast := 0
		if c := shop.front.Callers()[0]; c != nil {
			fast = int(c.Stats().FastFail)
		}
		rows = append(rows, []string{shop.name, itoa(all.Requests), dur(all.P50), dur(all.P99All), pct(all.Errors(), all.Requests),
			dur(co.P99All), pct(co.Errors(), co.Requests), itoa(fast), itoa(shop.front.Stats().MaxBusy)})
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: shop.name + "_p99", Value: all.P99All.Seconds(), Unit: "s"},
			scenarios.Metric{Name: shop.name + "_error_rate", Value: all.ErrorPercent(), Unit: "%"},
			scenarios.Metric{Name: shop.name + "_checkout_p99", Value: co.P99All.Seconds(), Unit: "s"},
			scenarios.Metric{Name: shop.name + "_checkout_error_rate", Value: co.ErrorPercent(), Unit: "%"},
			scenarios.Metric{Name: shop.name + "_front_max_busy", Value: float64(shop.front.Stats().MaxBusy), Unit: "workers"},
			scenarios.Metric{Name: shop.name + "_fast_failures", Value: float64(fast), Unit: "calls"},
		)
	}
	r.Summary = append(r.Summary, "requests sent after reco slowed down (2s to 6s):")
	r.Summary = append(r.Summary, table(
		[]string{"shop", "requests", "p50", "p99", "errors", "checkout p99", "checkout errors", "fast failures", "front workers busy (max)"}, rows)...)
	const bounded, exploded = 250 * time.Millisecond, time.Second
	switch {
	case p99["guarded"] >= bounded:
		check.failf("the guarded shop's p99 is %s, want below %s: the breaker did not contain the slow dependency", dur(p99["guarded"]), dur(bounded))
	case p99["plain"] <= exploded:
		check.failf("the plain shop's p99 is %s, want above %s: the slow dependency did not cascade", dur(p99["plain"]), dur(exploded))
	case checkoutP99["guarded"] >= bounded:
		check.failf("the guarded shop's checkout p99 is %s: the bulkhead did not protect it", dur(checkoutP99["guarded"]))
	case checkoutP99["plain"] <= exploded:
		check.failf("the plain shop's checkout p99 is %s: checkout should have suffered with home", dur(checkoutP99["plain"]))
	default:
		r.Summary = append(r.Summary,
			fmt.Sprintf("without a breaker the slow dependency cascaded: p99 %s, and checkout, which never calls reco, %s;", dur(p99["plain"]), dur(checkoutP99["plain"])),
			fmt.Sprintf("with a breaker and a bulkhead the p99 stayed at %s (checkout %s): home fails fast instead", dur(p99["guarded"]), dur(checkoutP99["guarded"])))
	}
	r.Err = check.err
	return r
}
