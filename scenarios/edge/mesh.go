package edge

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/resilience"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/viz"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "service-mesh",
		Summary: "sidecars retry at every hop: 3 layers × 3 tries hit a failing backend 27 times per request; retry budgets at the sidecars keep it near 1.4×",
		Doc: `A request from a user passes through a chain of services — frontend,
catalog, pricing (the knob layers) — to inventory, the backend at the end.
Every service runs beside a sidecar proxy, as in Istio or Linkerd: the
service talks only to its own sidecar, and the sidecars talk to each other.
A sidecar does for every hop what each service would otherwise do itself:
it proves who is calling (an HMAC identity token the next sidecar
verifies), gives each try a timeout, and retries failed calls.

From 1s to 2s inventory fails every request at once (503, overloaded).
Four mesh configurations run side by side on the same load (40 user
requests a second, Poisson):

  no-retries           every sidecar tries once
  edge-retries-only    the frontend's sidecar tries 3 times (the knob
                       tries), the others once
  retries-everywhere   every sidecar tries 3 times: the default in many
                       service templates
  retry-budgets        every sidecar tries 3 times but retries at most 10%
                       of its requests (resilience.RetryBudget)

Retries compose by multiplication: the pricing sidecar tries 3 times for
each of the catalog sidecar's 3 tries, for each of the frontend's 3.`,
		LookFor: `The amplification column: requests inventory received per user request
while it was failing. no-retries 1×, edge-retries-only 3×, retries-everywhere
27× (tries^layers; that is a ceiling: with --set layers=4 it is 81, and
about 68 arrive, because in a deep chain the retries outlast the outage and
the tries that land after it succeed), retry-budgets about 1.4× (each budget allows
10% retries plus a small allowance, and three of them compound).
The load table is the plot: inventory's requests a second over time, flat
for three configurations and a 27-fold wall for retries-everywhere, at the
moment the backend could least take it. The ok column: retries rescue only
the few requests sent just before inventory recovered; for the rest,
retrying a hard failure only adds load.`,
		Chapter: "web",
		Knobs: []scenarios.Knob{
			{Name: "layers", Kind: scenarios.KnobInt, Default: "3", Min: 1, Max: 4, Doc: "services in the chain before the backend, each with a retrying sidecar"},
			{Name: "tries", Kind: scenarios.KnobInt, Default: "3", Min: 1, Max: 5, Doc: "tries per call at a retrying sidecar"},
		},
		For:   3 * time.Second,
		Setup: setupMesh,
	})
}

const (
	meshFailFrom, meshFailTo = time.Second, 2 * time.Second
	meshLoadStop             = 2500 * time.Millisecond
	meshRate                 = 40
	meshBucket               = 250 * time.Millisecond
)

// Messages of the mesh. Between sidecars: MeshCall and MeshReply. Between a
// service and its own sidecar: AppCall/AppResult (outbound) and
// AppRequest/AppResponse (inbound).
type (
	// MeshCall is try Try of call ID to Service, from the service Src, with
	// its identity token.
	MeshCall struct {
		ID      uint64
		Try     int
		Service string
		Src     string
		Token   string
		Origin  uint64 // the user request it serves (a trace ID, as meshes propagate)
	}
	// MeshReply answers try Try of call ID.
	MeshReply struct {
		ID  uint64
		Try int
		OK  bool
		Why string
	}
	// AppCall asks the service's sidecar to call Service.
	AppCall struct {
		ID      uint64
		Service string
		Origin  uint64
	}
	// AppResult is the outcome of an AppCall, after any retries.
	AppResult struct {
		ID uint64
		OK bool
	}
	// AppRequest hands an inbound call to the service.
	AppRequest struct{ ID, Origin uint64 }
	// AppResponse is the service's answer to an AppRequest.
	AppResponse struct {
		ID uint64
		OK bool
	}
)

type tryTimeout struct {
	ID  uint64
	Try int
}
type retryNow struct{ ID uint64 }

type outCall struct {
	appID      uint64
	service    string
	origin     uint64
	try        int  // the try in flight (or just over), from 1
	backingOff bool // waiting to send try+1
}

type inCall struct {
	from sim.NodeID
	id   uint64
	try  int
}

// sidecar proxies its service's calls: identity, timeouts, retries.
type sidecar struct {
	name   string     // the service it stands beside
	app    sim.NodeID // that service
	peers  map[string]sim.NodeID
	key    []byte // the mesh's identity key (its CA, reduced to a shared HMAC key)
	tries  int
	perTry time.Duration
	budget *resilience.RetryBudgetConfig

	bud     *resilience.RetryBudget
	out     map[uint64]*outCall
	in      map[uint64]inCall
	next    uint64
	sent    int // tries sent
	retries int
	denied  int // retries the budget refused
	refused int // inbound calls with a bad identity
}

func (s *sidecar) Start(env sim.Env) {
	s.out, s.in = map[uint64]*outCall{}, map[uint64]inCall{}
	if s.budget != nil {
		s.bud, _ = resilience.NewRetryBudget(*s.budget, env.Now()) // a valid config, written below
	}
}

func identity(key []byte, name string) string { return hex.EncodeToString(hmacSHA256(key, name)) }

func (s *sidecar) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case MeshCall: // inbound: check who calls, then hand it to the service
		if !hmac.Equal([]byte(m.Token), []byte(identity(s.key, m.Src))) {
			s.refused++
			env.Send(from, MeshReply{ID: m.ID, Try: m.Try, Why: "unknown identity"})
			return
		}
		s.next++
		s.in[s.next] = inCall{from: from, id: m.ID, try: m.Try}
		env.Send(s.app, AppRequest{ID: s.next, Origin: m.Origin})
	case AppResponse:
		c, ok := s.in[m.ID]
		if !ok {
			return
		}
		delete(s.in, m.ID)
		env.Send(c.from, MeshReply{ID: c.id, Try: c.try, OK: m.OK})
	case AppCall: // outbound: try, and retry on failure
		s.next++
		s.out[s.next] = &outCall{appID: m.ID, service: m.Service, origin: m.Origin}
		if s.bud != nil {
			s.bud.Request(env.Now())
		}
		s.try(env, s.next)
	case MeshReply:
		c, ok := s.out[m.ID]
		if !ok || m.Try != c.try || c.backingOff {
			return // a late answer to a try that is over
		}
		if m.OK {
			delete(s.out, m.ID)
			env.Send(s.app, AppResult{ID: c.appID, OK: true})
			return
		}
		s.failed(env, m.ID, c)
	case tryTimeout:
		if c, ok := s.out[m.ID]; ok && c.try == m.Try && !c.backingOff {
			s.failed(env, m.ID, c)
		}
	case retryNow:
		if _, ok := s.out[m.ID]; ok {
			s.retries++
			s.try(env, m.ID)
		}
	}
}

func (s *sidecar) try(env sim.Env, id uint64) {
	c := s.out[id]
	c.try++
	c.backingOff = false
	s.sent++
	env.Send(s.peers[c.service], MeshCall{ID: id, Try: c.try, Service: c.service, Src: s.name, Token: identity(s.key, s.name), Origin: c.origin})
	env.SetTimer(s.perTry, tryTimeout{ID: id, Try: c.try})
}

// failed retries call id if tries and the budget allow, else reports the
// failure to the service.
func (s *sidecar) failed(env sim.Env, id uint64, c *outCall) {
	if c.try < s.tries {
		if s.bud == nil || s.bud.AllowRetry(env.Now()) {
			c.backingOff = true // this try is over: a late answer to it is ignored
			env.SetTimer(5*time.Millisecond, retryNow{ID: id})
			return
		}
		s.denied++
	}
	delete(s.out, id)
	env.Send(s.app, AppResult{ID: c.appID, OK: false})
}

func (s *sidecar) Inspect() map[string]string {
	out := map[string]string{"tries sent": strconv.Itoa(s.sent), "retries": strconv.Itoa(s.retries), "in flight": strconv.Itoa(len(s.out))}
	if s.bud != nil {
		out["budget refused"] = strconv.Itoa(s.denied)
	}
	return out
}

type appWork struct {
	ID, Origin uint64
	OK         bool
}

// meshApp is a service in the chain: it does 1ms of work and calls the next
// service through its sidecar; the last one (next == "") is the backend,
// which fails everything while failing() holds.
type meshApp struct {
	sidecar sim.NodeID
	next    string
	failing func(time.Duration) bool
	pending map[uint64]uint64 // our call ID → the inbound request's ID
	calls   uint64
	// what the backend received, per meshBucket from 0
	received map[time.Duration]int
	total    int
	hits     map[uint64]int // requests received per user request (the backend's count)
}

func (a *meshApp) Start(sim.Env) {
	a.pending, a.received, a.hits = map[uint64]uint64{}, map[time.Duration]int{}, map[uint64]int{}
}

func (a *meshApp) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	now := since(env.Now())
	switch m := msg.(type) {
	case AppRequest:
		a.total++
		a.received[now/meshBucket*meshBucket]++
		a.hits[m.Origin]++
		if a.next == "" {
			ok := !a.failing(now)
			d := 2 * time.Millisecond
			if !ok {
				d = 500 * time.Microsecond // overloaded: refuse at once
			}
			env.SetTimer(d, appWork{ID: m.ID, Origin: m.Origin, OK: ok})
			return
		}
		env.SetTimer(time.Millisecond, appWork{ID: m.ID, Origin: m.Origin, OK: true})
	case appWork:
		if a.next == "" || !m.OK {
			env.Send(a.sidecar, AppResponse{ID: m.ID, OK: m.OK})
			return
		}
		a.calls++
		a.pending[a.calls] = m.ID
		env.Send(a.sidecar, AppCall{ID: a.calls, Service: a.next, Origin: m.Origin})
	case AppResult:
		in, ok := a.pending[m.ID]
		if !ok {
			return
		}
		delete(a.pending, m.ID)
		env.Send(a.sidecar, AppResponse{ID: in, OK: m.OK})
	}
}

func (a *meshApp) Inspect() map[string]string {
	return map[string]string{"received": strconv.Itoa(a.total), "waiting": strconv.Itoa(len(a.pending))}
}

type userTick struct{}

// meshUser sends meshRate requests a second to the first service's
// sidecar, without retrying, and records the outcomes by send time.
type meshUser struct {
	entry    sim.NodeID
	service  string
	token    string
	next     uint64
	sentAt   map[uint64]time.Duration // of the requests not yet answered
	sendTime []time.Duration          // of every request, by ID-1
	sent     map[time.Duration]int    // per meshBucket
	ok, fail map[time.Duration]int
}

func (u *meshUser) Start(env sim.Env) {
	u.sentAt, u.sent, u.ok, u.fail = map[uint64]time.Duration{}, map[time.Duration]int{}, map[time.Duration]int{}, map[time.Duration]int{}
	env.SetTimer(0, userTick{})
}

func (u *meshUser) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	now := since(env.Now())
	switch m := msg.(type) {
	case userTick:
		if now >= meshLoadStop {
			return
		}
		u.next++
		u.sentAt[u.next] = now
		u.sendTime = append(u.sendTime, now)
		u.sent[now/meshBucket*meshBucket]++
		env.Send(u.entry, MeshCall{ID: u.next, Try: 1, Service: u.service, Src: "user", Token: u.token, Origin: u.next})
		env.SetTimer(network.Exponential{Mean: time.Second / meshRate}.Sample(env.Rand()), userTick{})
	case MeshReply:
		at, ok := u.sentAt[m.ID]
		if !ok {
			return
		}
		delete(u.sentAt, m.ID)
		if m.OK {
			u.ok[at/meshBucket*meshBucket]++
		} else {
			u.fail[at/meshBucket*meshBucket]++
		}
	}
}

func (u *meshUser) Inspect() map[string]string {
	return map[string]string{"sent": strconv.Itoa(int(u.next)), "waiting": strconv.Itoa(len(u.sentAt))}
}

type meshVariant struct {
	name    string
	tries   func(layer int) int
	budget  bool
	user    *meshUser
	backend *meshApp
	cars    []*sidecar
}

func setupMesh(o scenarios.Options) (*scenarios.Run, error) {
	layers, tries := o.Knobs.Int("layers"), o.Knobs.Int("tries")
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 300 * time.Microsecond, Max: 900 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	key := seedHMACKey(o.Seed, "service-mesh identity")
	names := append([]string{"frontend", "catalog", "pricing", "search"}[:layers:layers], "inventory")
	variants := []*meshVariant{
		{name: "no-retries", tries: func(int) int { return 1 }},
		{name: "edge-retries-only", tries: func(l int) int {
			if l == 0 {
				return tries
			}
			return 1
		}},
		{name: "retries-everywhere", tries: func(int) int { return tries }},
		{name: "retry-budgets", tries: func(int) int { return tries }, budget: true},
	}
	failing := func(t time.Duration) bool { return t >= meshFailFrom && t < meshFailTo }
	for _, v := range variants {
		p := v.name + "-"
		peers := map[string]sim.NodeID{}
		for _, n := range names {
			peers[n] = sim.NodeID(p + n + "-sidecar")
		}
		v.cars = make([]*sidecar, len(names))
		for i, n := range names {
			app, car := sim.NodeID(p+n), peers[n]
			next := ""
			if i+1 < len(names) {
				next = names[i+1]
			}
			w.AddNode(app, func() sim.Node {
				a := &meshApp{sidecar: car, next: next, failing: failing}
				if next == "" {
					v.backend = a
				}
				return a
			})
			cfg := sidecar{name: n, app: app, peers: peers, key: key, tries: v.tries(i),
				perTry: time.Second >> i} // inner hops give up sooner than outer ones
			if v.budget {
				cfg.budget = &resilience.RetryBudgetConfig{Percent: 10, MinPerSecond: 1, MaxSaved: 2}
			}
			w.AddNode(car, func() sim.Node { s := cfg; v.cars[i] = &s; return &s })
			// a service and its sidecar share a machine: loopback latency
			for _, l := range []network.Link{{From: app, To: car}, {From: car, To: app}} {
				if err := net.SetLatency(l, network.Constant(50*time.Microsecond)); err != nil {
					return nil, err
				}
			}
		}
		w.AddClient(sim.NodeID(p+"user"), func() sim.Node {
			v.user = &meshUser{entry: peers[names[0]], service: names[0], token: identity(key, "user")}
			return v.user
		})
	}
	w.At(meshFailFrom, func() { w.Logf("inventory starts failing every request (overloaded)") })
	w.At(meshFailTo, func() { w.Logf("inventory recovers") })
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result {
		r := finishMesh(variants, layers, tries)
		if o.ArtifactDir != "" {
			r.Summary = append(r.Summary, meshPlot(o, variants))
		}
		return r
	}}, nil
}

func finishMesh(variants []*meshVariant, layers, tries int) scenarios.Result {
	var r scenarios.Result
	var c checks
	header := []string{"mesh config"}
	for t := time.Duration(0); t < meshLoadStop+meshBucket; t += meshBucket {
		header = append(header, fmt.Sprintf("%.2fs", t.Seconds()))
	}
	var load, outcome [][]string
	amp := map[string]float64{}
	okWhile, got := map[string]int{}, map[string]int{}
	for _, v := range variants {
		row := []string{v.name}
		for t := time.Duration(0); t < meshLoadStop+meshBucket; t += meshBucket {
			row = append(row, itoa(v.backend.received[t]*int(time.Second/meshBucket)))
		}
		load = append(load, row)
		sentF, gotF, okF := 0, 0, 0
		okAll, sentAll := 0, 0
		for t := time.Duration(0); t < meshLoadStop; t += meshBucket {
			sentAll += v.user.sent[t]
			okAll += v.user.ok[t]
			if t >= meshFailFrom && t < meshFailTo {
				sentF += v.user.sent[t]
				gotF += v.backend.received[t]
				okF += v.user.ok[t]
			}
		}
		// amplification: backend requests per user request, over the user
		// requests sent well inside the failure (their every try failed)
		inside, hits := 0, 0
		for i, at := range v.user.sendTime {
			if at >= meshFailFrom+50*time.Millisecond && at < meshFailTo-200*time.Millisecond {
				inside++
				hits += v.backend.hits[uint64(i+1)]
			}
		}
		amp[v.name] = float64(hits) / float64(max(inside, 1))
		okWhile[v.name], got[v.name] = okF, gotF
		retries := 0
		for _, s := range v.cars {
			retries += s.retries
		}
		outcome = append(outcome, []string{v.name, itoa(sentF), itoa(gotF), fmt.Sprintf("%.1f×", amp[v.name]), itoa(okF), itoa(retries), pctf(okAll, sentAll)})
		m := metricName(v.name)
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: m + "_amplification", Value: amp[v.name], Unit: "×"},
			scenarios.Metric{Name: m + "_backend_requests_failing", Value: float64(gotF), Unit: "requests"},
			scenarios.Metric{Name: m + "_ok_while_failing", Value: float64(okF), Unit: "requests"},
			scenarios.Metric{Name: m + "_ok_share", Value: float64(okAll) / float64(max(sentAll, 1)), Unit: "share"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("a chain of %d services with sidecars in front of inventory, which fails every request from %s to %s; retrying sidecars try %d times:", layers, meshFailFrom, meshFailTo, tries))
	r.Summary = append(r.Summary, table([]string{"mesh config", "user requests 1-2s", "inventory got", "per user request", "ok", "retries", "ok overall"}, outcome)...)
	r.Summary = append(r.Summary, "inventory's load, requests a second per quarter second (the plot):")
	r.Summary = append(r.Summary, table(header, load)...)
	extra := got["retries-everywhere"] - got["no-retries"]
	full := 1.0
	for range layers {
		full *= float64(tries)
	}
	switch {
	case amp["no-retries"] > 1.1:
		c.Failf("without retries inventory got %.1f× the user requests", amp["no-retries"])
	case layers == 3 && tries == 3 && amp["retries-everywhere"] < 0.9*full:
		c.Failf("retrying at every layer should multiply the load by about %d^%d = %.0f, got %.1f×", tries, layers, full, amp["retries-everywhere"])
	case layers > 1 && tries > 1 && amp["retries-everywhere"] < 0.9*float64(tries)*amp["edge-retries-only"]:
		// deep chains: the inner retries can outlast the outage, and the
		// tries that land after it succeed, so tries^layers is a ceiling
		c.Failf("retrying at every layer should multiply at least one layer more than retrying at the edge: %.1f× against %.1f×", amp["retries-everywhere"], amp["edge-retries-only"])
	case amp["edge-retries-only"] < 0.9*float64(tries) || amp["edge-retries-only"] > 1.1*float64(tries):
		c.Failf("retrying at the edge only should multiply the load by about %d, got %.1f×", tries, amp["edge-retries-only"])
	case tries > 1 && amp["retry-budgets"] > 2:
		c.Failf("retry budgets should keep the load under 2×, got %.2f×", amp["retry-budgets"])
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("while inventory was down each user request cost it %.1f requests with retries everywhere (at most %d^%d), %.1f with retries at the edge only, %.1f with retry budgets; retries everywhere rescued %d requests (those sent just before it recovered) for %d extra requests to inventory",
			amp["retries-everywhere"], tries, layers, amp["edge-retries-only"], amp["retry-budgets"], okWhile["retries-everywhere"], extra))
	}
	r.Err = c.Err()
	return r
}

// meshPlot writes inventory's load per configuration over time to the
// artifact directory, and says where.
func meshPlot(o scenarios.Options, variants []*meshVariant) string {
	var series []viz.Series
	for _, v := range variants {
		var pts []viz.Point
		for t := time.Duration(0); t < meshLoadStop+meshBucket; t += meshBucket {
			pts = append(pts, viz.Point{At: t, Value: float64(v.backend.received[t] * int(time.Second/meshBucket))})
		}
		series = append(series, viz.Series{Name: v.name, Points: pts})
	}
	p, err := viz.TimeSeriesChart("service-mesh: requests reaching inventory", "requests per second", series,
		[]viz.FaultWindow{{From: meshFailFrom, To: meshFailTo, Text: "inventory fails"}})
	if err == nil {
		path := filepath.Join(o.ArtifactDir, fmt.Sprintf("service-mesh-seed-%d.svg", o.Seed))
		if err = viz.Save(p, path); err == nil {
			return "plot of inventory's load: " + path
		}
	}
	return fmt.Sprintf("could not write the plot: %v", err)
}

func pctf(part, whole int) string {
	if whole == 0 {
		return "-"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(part)*100/float64(whole)), ".0") + "%"
}
