package edge

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/resilience"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "api-gateway",
		Summary: "one entry point: routing, authentication at the edge, per-client rate limits, two backend calls aggregated into one response, and a failing backend contained by timeout and breaker",
		Doc: `Three clients talk to the system only through an API gateway, which
routes each request to a backend service:

  /profile → users      /orders → orders
  /home    → users and recommendations at once, merged into one response
             (aggregation: one round trip for the client instead of two)

The gateway checks every client's token (HMAC-SHA256, key from the seed)
before anything reaches a backend, and gives each client a token bucket of
40 requests a second (burst 10). The clients: alice sends 20 requests a
second; bob, a noisy client, 200; eve has no valid token and sends 10.

From 1s to 2s the recommendations service gets slow: 800ms a request
instead of 5–10ms. Two gateways run side by side, identical but for that:

  bare     waits for its backends as long as they take
  guarded  gives each backend call 50ms (a timeout) and puts it behind a
           circuit breaker (5 failures in a row open it for 250ms); /home
           then answers without recommendations ("degraded") rather than
           not at all.`,
		LookFor: `Auth at the edge: every one of eve's requests is refused with 401 and
none reaches a backend. Rate limits: bob gets 429 for most of his requests,
alice for none — one noisy client does not starve the others. Aggregation:
/home costs the client one round trip; the gateway makes two backend calls.
Containment: while recommendations is slow, /home's p99 on the bare gateway
climbs to seconds; on the guarded one it stays near 50ms, answered
degraded, and the breaker fails most calls fast without waiting.`,
		Chapter: "web",
		For:     4 * time.Second,
		Setup:   setupGateway,
	})
}

const (
	gwSlowFrom, gwSlowTo = time.Second, 2 * time.Second
	gwLoadStop           = 2500 * time.Millisecond
)

// Messages between clients and the gateway.
type (
	// GatewayRequest is a client's request for Route, with its Token.
	GatewayRequest struct {
		ID    int
		Token string
		Route string
	}
	// GatewayReply answers it: an HTTP-like Status; Degraded when part of
	// an aggregated response is missing.
	GatewayReply struct {
		ID       int
		Status   int
		Body     string
		Degraded bool
	}
)

// clientToken is "sub.hexHMAC(key, sub)".
func clientToken(key []byte, sub string) string {
	return sub + "." + hex.EncodeToString(hmacSHA256(key, sub))
}

func checkClientToken(key []byte, tok string) (string, bool) {
	sub, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return "", false
	}
	want := hex.EncodeToString(hmacSHA256(key, sub))
	return sub, hmac.Equal([]byte(sig), []byte(want))
}

type gwCall struct {
	client  sim.NodeID
	id      int
	route   string
	waiting int
	parts   map[string]string // backend → value, for the answers that came
	failed  []string          // backends that failed
}

// gateway is the single entry point.
type gateway struct {
	key      []byte
	backends map[string]sim.NodeID
	cfg      map[string]service.CallerConfig
	callers  map[string]*service.Caller
	buckets  map[string]*resilience.TokenBucket // per client subject
	calls    map[int]*gwCall
	next     int
	// counters, by outcome
	unauthorized, limited, ok, degraded, failed int
	backendCalls                                int
	bySub                                       map[string]int // requests forwarded, per client
	now                                         time.Time      // the latest event's time, for Inspect
}

func (g *gateway) Start(env sim.Env) {
	g.callers, g.buckets, g.calls, g.bySub = map[string]*service.Caller{}, map[string]*resilience.TokenBucket{}, map[int]*gwCall{}, map[string]int{}
	for _, name := range sortedKeys(g.cfg) {
		g.callers[name] = service.MustCaller(g.cfg[name])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (g *gateway) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	g.now = env.Now()
	for _, name := range sortedKeys(g.callers) {
		if g.callers[name].Receive(env, from, msg) {
			return
		}
	}
	req, ok := msg.(GatewayRequest)
	if !ok {
		return
	}
	sub, valid := checkClientToken(g.key, req.Token)
	if !valid {
		g.unauthorized++
		env.Send(from, GatewayReply{ID: req.ID, Status: 401})
		return
	}
	b := g.buckets[sub]
	if b == nil {
		b, _ = resilience.NewTokenBucket(25*time.Millisecond, 10, env.Now()) // 40/s, burst 10: valid arguments
		g.buckets[sub] = b
	}
	if !b.Allow(env.Now()) {
		g.limited++
		env.Send(from, GatewayReply{ID: req.ID, Status: 429})
		return
	}
	var targets []string
	switch req.Route {
	case "/profile":
		targets = []string{"users"}
	case "/orders":
		targets = []string{"orders"}
	case "/home":
		targets = []string{"users", "recs"}
	default:
		env.Send(from, GatewayReply{ID: req.ID, Status: 404})
		return
	}
	g.bySub[sub]++
	g.next++
	c := &gwCall{client: from, id: req.ID, route: req.Route, waiting: len(targets), parts: map[string]string{}}
	g.calls[g.next] = c
	for _, t := range targets {
		g.backendCalls++
		id := g.next
		g.callers[t].Call(env, g.backends[t], service.Request{ID: uint64(id), Key: sub + ":" + req.Route}, func(env sim.Env, resp service.Response) {
			g.part(env, id, t, resp)
		})
	}
}

// part collects one backend's answer for call id, and answers the client
// when every backend has answered or failed.
func (g *gateway) part(env sim.Env, id int, backend string, resp service.Response) {
	c := g.calls[id]
	if resp.Outcome == service.OK {
		c.parts[backend] = resp.Value
	} else {
		c.failed = append(c.failed, backend)
	}
	c.waiting--
	if c.waiting > 0 {
		return
	}
	delete(g.calls, id)
	switch {
	case len(c.failed) == 0:
		g.ok++
		env.Send(c.client, GatewayReply{ID: c.id, Status: 200, Body: joinParts(c.parts)})
	case c.route == "/home" && len(c.failed) == 1 && c.failed[0] == "recs":
		g.degraded++
		env.Send(c.client, GatewayReply{ID: c.id, Status: 200, Body: joinParts(c.parts), Degraded: true})
	default:
		g.failed++
		env.Send(c.client, GatewayReply{ID: c.id, Status: 503})
	}
}

func joinParts(p map[string]string) string {
	var s []string
	for _, k := range sortedKeys(p) {
		s = append(s, k+"="+p[k])
	}
	return strings.Join(s, ";")
}

func (g *gateway) Inspect() map[string]string {
	out := map[string]string{"ok": strconv.Itoa(g.ok), "degraded": strconv.Itoa(g.degraded), "401": strconv.Itoa(g.unauthorized),
		"429": strconv.Itoa(g.limited), "503": strconv.Itoa(g.failed)}
	if c := g.callers["recs"]; c != nil && c.Breaker() != nil {
		out["recs breaker"] = c.Breaker().State(g.now).String()
	}
	return out
}

type gwTick struct{}

// gwSample is one answered request, as a client saw it.
type gwSample struct {
	sent     time.Duration
	route    string
	status   int
	degraded bool
	latency  time.Duration
}

// gwClient sends requests for random routes with exponential gaps.
type gwClient struct {
	gateway sim.NodeID
	token   string
	every   time.Duration // mean gap
	next    int
	sent    map[int]gwSample
	samples []gwSample
}

func (c *gwClient) Start(env sim.Env) { c.sent = map[int]gwSample{}; env.SetTimer(0, gwTick{}) }
func (c *gwClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	now := since(env.Now())
	switch m := msg.(type) {
	case gwTick:
		if now >= gwLoadStop {
			return
		}
		c.next++
		route := []string{"/profile", "/orders", "/home"}[env.Rand().IntN(3)]
		c.sent[c.next] = gwSample{sent: now, route: route}
		env.Send(c.gateway, GatewayRequest{ID: c.next, Token: c.token, Route: route})
		env.SetTimer(network.Exponential{Mean: c.every}.Sample(env.Rand()), gwTick{})
	case GatewayReply:
		s := c.sent[m.ID]
		delete(c.sent, m.ID)
		s.status, s.degraded, s.latency = m.Status, m.Degraded, now-s.sent
		c.samples = append(c.samples, s)
	}
}
func (c *gwClient) Inspect() map[string]string {
	return map[string]string{"sent": strconv.Itoa(c.next), "answered": strconv.Itoa(len(c.samples))}
}

type gwVariant struct {
	name    string
	guarded bool
	gw      *gateway
	clients map[string]*gwClient
	recs    *service.Server
}

func setupGateway(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 500 * time.Microsecond, Max: 1500 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	key := seedHMACKey(o.Seed, "api-gateway client tokens")
	variants := []*gwVariant{{name: "bare"}, {name: "guarded", guarded: true}}
	for _, v := range variants {
		p := v.name + "-"
		backends := map[string]sim.NodeID{"users": sim.NodeID(p + "users"), "orders": sim.NodeID(p + "orders"), "recs": sim.NodeID(p + "recs")}
		st := map[string]service.Distribution{
			"users":  network.Uniform{Min: 2 * time.Millisecond, Max: 4 * time.Millisecond},
			"orders": network.Uniform{Min: 3 * time.Millisecond, Max: 6 * time.Millisecond},
			"recs":   network.Uniform{Min: 5 * time.Millisecond, Max: 10 * time.Millisecond},
		}
		for _, name := range []string{"users", "orders", "recs"} {
			cfg := service.ServerConfig{Workers: 4, ServiceTime: st[name], Value: func(r service.Request) string { return name + "(" + r.Key + ")" }}
			w.AddNode(backends[name], func() sim.Node {
				s := service.MustServer(cfg)
				if name == "recs" {
					v.recs = s
				}
				return s
			})
		}
		callers := map[string]service.CallerConfig{}
		for _, name := range []string{"users", "orders", "recs"} {
			cc := service.CallerConfig{Name: name}
			if v.guarded {
				cc.Timeout = 50 * time.Millisecond
				cc.Breaker = &resilience.BreakerConfig{ConsecutiveFailures: 5, OpenFor: 250 * time.Millisecond, HalfOpenProbes: 1}
			}
			callers[name] = cc
		}
		gwID := sim.NodeID(p + "gateway")
		w.AddNode(gwID, func() sim.Node { v.gw = &gateway{key: key, backends: backends, cfg: callers}; return v.gw })
		v.clients = map[string]*gwClient{}
		for _, cl := range []struct {
			name  string
			token string
			every time.Duration
		}{
			{"alice", clientToken(key, "alice"), 50 * time.Millisecond},
			{"bob", clientToken(key, "bob"), time.Second / 200},
			{"eve", "eve." + strings.Repeat("0", 64), 100 * time.Millisecond},
		} {
			w.AddClient(sim.NodeID(p+cl.name), func() sim.Node {
				c := &gwClient{gateway: gwID, token: cl.token, every: cl.every}
				v.clients[cl.name] = c
				return c
			})
		}
	}
	w.At(gwSlowFrom, func() {
		w.Logf("the recommendations service slows down: 800ms a request")
		for _, v := range variants {
			v.recs.SetServiceTime(network.Constant(800 * time.Millisecond))
		}
	})
	w.At(gwSlowTo, func() {
		w.Logf("the recommendations service is fast again")
		for _, v := range variants {
			v.recs.SetServiceTime(network.Uniform{Min: 5 * time.Millisecond, Max: 10 * time.Millisecond})
		}
	})
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishGateway(variants) }}, nil
}

// seedHMACKey derives a 32-byte key for label from the seed.
func seedHMACKey(seed uint64, label string) []byte {
	return hmacSHA256([]byte(strconv.FormatUint(seed, 10)), label)
}

func finishGateway(variants []*gwVariant) scenarios.Result {
	var r scenarios.Result
	var c checks
	// per client, on the guarded gateway (the bare one has the same edge)
	g := variants[1]
	var rows [][]string
	status := map[string]map[int]int{}
	for _, name := range []string{"alice", "bob", "eve"} {
		cl := g.clients[name]
		status[name] = map[int]int{}
		for _, s := range cl.samples {
			status[name][s.status]++
		}
		rows = append(rows, []string{name, itoa(cl.next), itoa(status[name][200]), itoa(status[name][401]), itoa(status[name][429]), itoa(status[name][503]), itoa(g.gw.bySub[name])})
		for _, code := range []int{200, 401, 429} {
			r.Metrics = append(r.Metrics, scenarios.Metric{Name: fmt.Sprintf("%s_%d", name, code), Value: float64(status[name][code]), Unit: "requests"})
		}
	}
	r.Summary = append(r.Summary, "at the edge (guarded gateway), per client:")
	r.Summary = append(r.Summary, table([]string{"client", "sent", "200", "401", "429", "503", "reached a backend"}, rows)...)
	// /home while recommendations is slow
	rows = nil
	p99 := map[string]time.Duration{}
	degr := map[string]int{}
	for _, v := range variants {
		var lat []time.Duration
		n := 0
		for _, name := range []string{"alice", "bob"} {
			for _, s := range v.clients[name].samples {
				if s.route == "/home" && s.status == 200 && s.sent >= gwSlowFrom && s.sent < gwSlowTo {
					lat = append(lat, s.latency)
					n++
					if s.degraded {
						degr[v.name]++
					}
				}
			}
		}
		p99[v.name] = service.Percentile(lat, 99)
		st := v.gw.callers["recs"].Stats()
		rows = append(rows, []string{v.name, itoa(n), itoa(degr[v.name]), dur(service.Percentile(lat, 50)), dur(p99[v.name]), itoa(int(st.Timeouts)), itoa(int(st.FastFail))})
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: v.name + "_home_p99_slow", Value: p99[v.name].Seconds(), Unit: "s"},
			scenarios.Metric{Name: v.name + "_home_degraded_slow", Value: float64(degr[v.name]), Unit: "requests"},
			scenarios.Metric{Name: v.name + "_recs_fast_failures", Value: float64(st.FastFail), Unit: "calls"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("/home (users + recommendations in one response) sent while recommendations was slow (%s–%s):", gwSlowFrom, gwSlowTo))
	r.Summary = append(r.Summary, table([]string{"gateway", "answered", "degraded", "p50", "p99", "recs timeouts", "recs fast failures"}, rows)...)
	forwarded := 0
	for _, n := range g.gw.bySub {
		forwarded += n
	}
	r.Summary = append(r.Summary, fmt.Sprintf("the guarded gateway forwarded %d requests with %d backend calls: each /home is one client round trip and two backend calls",
		forwarded, g.gw.backendCalls))
	r.Metrics = append(r.Metrics, scenarios.Metric{Name: "guarded_forwarded", Value: float64(forwarded), Unit: "requests"},
		scenarios.Metric{Name: "guarded_backend_calls", Value: float64(g.gw.backendCalls), Unit: "calls"})
	switch {
	case status["eve"][401] == 0 || status["eve"][200]+status["eve"][429] != 0 || g.gw.bySub["eve"] != 0:
		c.Failf("eve's requests should all be refused with 401 and none reach a backend")
	case status["bob"][429] == 0 || status["alice"][429] != 0:
		c.Failf("the rate limit should refuse bob (%d 429s) and not alice (%d)", status["bob"][429], status["alice"][429])
	case p99["bare"] < 500*time.Millisecond:
		c.Failf("the bare gateway's /home p99 while recommendations was slow was %s: want the slowness to show", dur(p99["bare"]))
	case p99["guarded"] > 100*time.Millisecond || degr["guarded"] == 0:
		c.Failf("the guarded gateway should answer /home within 100ms, degraded: p99 %s, %d degraded", dur(p99["guarded"]), degr["guarded"])
	case variants[1].gw.callers["recs"].Stats().FastFail == 0:
		c.Failf("the breaker never failed a recommendations call fast")
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("eve never got past the edge; bob was limited %d times and alice never; while recommendations was slow /home took up to %s behind the bare gateway and %s behind the guarded one, %d of its answers degraded",
			status["bob"][429], dur(p99["bare"]), dur(p99["guarded"]), degr["guarded"]))
	}
	r.Err = c.Err()
	return r
}
