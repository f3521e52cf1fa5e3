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
		Name:    "rate-limit",
		Summary: "token bucket against leaky bucket under bursts, and load shedding that drops low priority first",
		Doc: `Part one: two gateways guard an API that should see about 100 requests a
second. A client sends a steady 50 a second plus, every half second, a burst
of 40 at once. The token-bucket gateway holds 20 tokens, refilled one every
10ms: a burst passes as far as there are tokens, at once, and the rest is
rejected (HTTP 429). The leaky-bucket gateway queues up to 20 requests and
lets one out every 10ms: the burst is smoothed into a steady stream, at the
price of a wait, and what does not fit is rejected.

Part two: a server that can do 400 requests a second receives 800, a third
each critical, default and sheddable. The FIFO server has a bounded queue
and turns away whoever arrives when it is full: every class loses alike.
The shedding server (resilience.Shedder) admits sheddable requests only
while fewer than 8 are in the system, default ones below 20, critical ones
below 40: when overloaded it keeps doing the most valuable work.`,
		LookFor: `In part one, admitted and rejected (about the same: both allow 100 a second
over time), the delay the gateway added (none for the token bucket, up to
200ms for the leaky one), and the most requests the API received in 10ms
(the whole allowance at once for the token bucket, one or two for the leaky
bucket).

In part two, the success rate per priority: flat for FIFO, critical near 100%
and sheddable near 0 with shedding.`,
		Chapter: "resilience",
		For:     3 * time.Second,
		Setup:   setupRateLimit,
	})
}

const rateLimitStop = 2500 * time.Millisecond

// limiterKind picks a gateway's limiter.
type limiterKind int

const (
	tokenBucket limiterKind = iota
	leakyBucket
)

func (k limiterKind) String() string {
	if k == tokenBucket {
		return "token bucket"
	}
	return "leaky bucket"
}

// gateway rate-limits requests on their way to an API.
type gateway struct {
	kind   limiterKind
	api    sim.NodeID
	token  *resilience.TokenBucket
	leaky  *resilience.LeakyBucket
	caller *service.Caller
	held   map[uint64]waiter // requests waiting in the leaky bucket, by number
	next   uint64
	// delays of admitted requests
	totalDelay, maxDelay time.Duration
	admitted, rejected   int
}

// leave is the leaky bucket's timer: request Held may go on.
type leave struct{ Held uint64 }

func (g *gateway) Start(env sim.Env) {
	g.token, _ = resilience.NewTokenBucket(10*time.Millisecond, 20, env.Now())
	g.leaky, _ = resilience.NewLeakyBucket(10*time.Millisecond, 20)
	g.caller = service.MustCaller(service.CallerConfig{Name: "api", Timeout: time.Second})
	g.held = map[uint64]waiter{}
}

func (g *gateway) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if g.caller.Receive(env, from, msg) {
		return
	}
	now := env.Now()
	switch m := msg.(type) {
	case service.Request:
		w := waiter{from: from, req: m}
		if g.kind == tokenBucket {
			if !g.token.Allow(now) {
				g.reject(env, w)
				return
			}
			g.admitted++
			g.forward(env, w)
			return
		}
		depart, ok := g.leaky.Offer(now)
		if !ok {
			g.reject(env, w)
			return
		}
		g.admitted++
		d := depart.Sub(now)
		g.totalDelay += d
		g.maxDelay = max(g.maxDelay, d)
		g.next++
		g.held[g.next] = w
		env.SetTimer(d, leave{Held: g.next})
	case leave:
		w := g.held[m.Held]
		delete(g.held, m.Held)
		g.forward(env, w)
	}
}

func (g *gateway) reject(env sim.Env, w waiter) {
	g.rejected++
	env.Send(w.from, service.Response{ID: w.req.ID, Caller: w.req.Caller, Attempt: w.req.Attempt, Key: w.req.Key, Outcome: service.Rejected})
}

func (g *gateway) forward(env sim.Env, w waiter) {
	g.caller.Call(env, g.api, service.Request{ID: w.req.ID, Key: w.req.Key}, func(env sim.Env, r service.Response) {
		env.Send(w.from, service.Response{ID: w.req.ID, Caller: w.req.Caller, Attempt: w.req.Attempt, Key: w.req.Key, Value: r.Value, Outcome: r.Outcome})
	})
}

type limitVariant struct {
	kind     limiterKind
	gw       *gateway
	arrivals map[time.Duration]int
}

type shedVariant struct {
	name  string
	shed  bool
	srv   *service.Server
	users *service.LoadGen
}

func setupRateLimit(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 500 * time.Microsecond, Max: 1500 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	limits := []*limitVariant{{kind: tokenBucket}, {kind: leakyBucket}}
	for _, v := range limits {
		p := "token-"
		if v.kind == leakyBucket {
			p = "leaky-"
		}
		api := sim.NodeID(p + "api")
		v.arrivals = map[time.Duration]int{}
		w.AddNode(api, func() sim.Node {
			return &arrivalCounter{Server: service.MustServer(service.ServerConfig{Workers: 64, ServiceTime: network.Uniform{Min: 2 * time.Millisecond, Max: 4 * time.Millisecond}}), buckets: v.arrivals}
		})
		w.AddNode(sim.NodeID(p+"gateway"), func() sim.Node {
			v.gw = &gateway{kind: v.kind, api: api}
			return v.gw
		})
		gwID := sim.NodeID(p + "gateway")
		w.AddClient(sim.NodeID(p+"steady"), func() sim.Node {
			return service.MustLoadGen(service.LoadConfig{Target: gwID, Interarrival: network.Exponential{Mean: 20 * time.Millisecond}, Stop: rateLimitStop})
		})
		w.AddClient(sim.NodeID(p+"bursty"), func() sim.Node {
			return service.MustLoadGen(service.LoadConfig{Target: gwID, Start: 100 * time.Millisecond, Interarrival: network.Constant(500 * time.Millisecond), Batch: 40, Stop: rateLimitStop})
		})
	}
	sheds := []*shedVariant{{name: "fifo"}, {name: "shedding", shed: true}}
	for _, v := range sheds {
		cfg := service.ServerConfig{Workers: 4, ServiceTime: network.Uniform{Min: 8 * time.Millisecond, Max: 12 * time.Millisecond}}
		if v.shed {
			cfg.ShedLimits = []int{40, 20, 8}
		} else {
			cfg.MaxQueue = 36 // 40 in the system, as the shedder's critical limit
		}
		srv := sim.NodeID(v.name + "-server")
		w.AddNode(srv, func() sim.Node {
			v.srv = service.MustServer(cfg)
			return v.srv
		})
		w.AddClient(sim.NodeID(v.name+"-users"), func() sim.Node {
			v.users = service.MustLoadGen(service.LoadConfig{Target: srv, Interarrival: network.Exponential{Mean: 1250 * time.Microsecond}, Stop: rateLimitStop,
				Priority: func(rng *rand.Rand) resilience.Priority { return resilience.Priority(rng.IntN(3)) },
				Caller:   service.CallerConfig{Name: "server", Timeout: time.Second}})
			return v.users
		})
	}
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishRateLimit(limits, sheds) }}, nil
}

func finishRateLimit(limits []*limitVariant, sheds []*shedVariant) scenarios.Result {
	var r scenarios.Result
	var check firstErr
	var rows [][]string
	peaks := map[limiterKind]int{}
	for _, v := range limits {
		g := v.gw
		mean := time.Duration(0)
		if g.admitted > 0 {
			mean = g.totalDelay / time.Duration(g.admitted)
		}
		peaks[v.kind] = peak(v.arrivals, 0, rateLimitStop+time.Second)
		rows = append(rows, []string{v.kind.String(), itoa(g.admitted), itoa(g.rejected), dur(mean), dur(g.maxDelay), itoa(peaks[v.kind])})
		name := map[limiterKind]string{tokenBucket: "token", leakyBucket: "leaky"}[v.kind]
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: name + "_admitted", Value: float64(g.admitted), Unit: "requests"},
			scenarios.Metric{Name: name + "_rejected", Value: float64(g.rejected), Unit: "requests"},
			scenarios.Metric{Name: name + "_max_delay", Value: g.maxDelay.Seconds(), Unit: "s"},
			scenarios.Metric{Name: name + "_peak_per_10ms", Value: float64(peaks[v.kind]), Unit: "requests"},
		)
	}
	r.Summary = append(r.Summary, "rate limiting a steady 50/s plus bursts of 40 every 500ms down to 100/s:")
	r.Summary = append(r.Summary, table([]string{"gateway", "admitted", "rejected", "mean delay", "max delay", "api peak per 10ms"}, rows)...)
	if peaks[tokenBucket] < 10 || peaks[leakyBucket] > 3 {
		check.failf("the token bucket should pass bursts (peak %d per 10ms, want >= 10) and the leaky bucket smooth them (peak %d, want <= 3)", peaks[tokenBucket], peaks[leakyBucket])
	}

	rows = nil
	success := map[string][3]float64{}
	for _, v := range sheds {
		row := []string{v.name}
		var ok [3]float64
		for p := resilience.Critical; p <= resilience.Sheddable; p++ {
			var recs []service.Record
			for _, rec := range v.users.Records() {
				if rec.Priority == p {
					recs = append(recs, rec)
				}
			}
			s := service.Summarize(recs)
			ok[p] = float64(s.OK()) / float64(max(1, s.Requests))
			row = append(row, fmt.Sprintf("%.1f%%", ok[p]*100))
			r.Metrics = append(r.Metrics, scenarios.Metric{Name: fmt.Sprintf("%s_ok_%s", v.name, priorityName(p)), Value: ok[p], Unit: "ratio"})
		}
		all := service.Summarize(v.users.Records())
		row = append(row, dur(all.P99))
		success[v.name] = ok
		rows = append(rows, row)
	}
	r.Summary = append(r.Summary, "a server for 400/s offered 800/s, a third of each priority; the share answered:")
	r.Summary = append(r.Summary, table([]string{"server", "critical", "default", "sheddable", "p99 of answered"}, rows)...)
	shed, fifo := success["shedding"], success["fifo"]
	switch {
	case shed[resilience.Critical] < 0.95:
		check.failf("with shedding only %.0f%% of critical requests succeeded, want 95%%", shed[resilience.Critical]*100)
	case shed[resilience.Sheddable] > 0.2:
		check.failf("with shedding %.0f%% of sheddable requests succeeded: it should drop them first", shed[resilience.Sheddable]*100)
	case fifo[resilience.Critical] > 0.8:
		check.failf("without shedding %.0f%% of critical requests succeeded: was the server overloaded?", fifo[resilience.Critical]*100)
	}
	if check.err == nil {
		r.Summary = append(r.Summary, "the token bucket passes bursts and the leaky bucket smooths them; shedding drops sheddable work first and keeps critical work going")
	}
	r.Err = check.err
	return r
}

func priorityName(p resilience.Priority) string {
	switch p {
	case resilience.Critical:
		return "critical"
	case resilience.Default:
		return "default"
	}
	return "sheddable"
}
