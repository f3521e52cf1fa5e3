package failures

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/resilience/phi"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/viz"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "gray-failure",
		Summary: "one server slow and lossy but alive: a short fixed timeout flaps, a long one never fires, a phi-accrual detector suspects it; hedged requests cut the p99",
		Doc: `Four servers (s1–s4) answer clients in about 3ms; a fifth, remote,
sits across a jittery WAN (20–120ms each way) and only answers probes. A
monitor probes every server every 50ms through its request path and feeds
each answer, as a heartbeat, to three failure detectors per server (they
start judging after a server's first 20 answers, once phi has a history):

  timeout-100ms   suspect after 100ms without an answer
  timeout-1s      suspect after 1s without an answer
  phi-8           a phi accrual detector (package resilience/phi):
                  suspect when φ ≥ 8, over the last 200 gaps

From 1s to 4s s3 suffers a gray failure: it does not crash, it answers
probes, its process looks alive, but its disk is dying — each request takes
20–200ms instead of 2–4ms — and its network card drops 20% of packets.

Two clients send 100 requests a second each to random servers among
s1–s4. The plain client waits for the server it chose. The hedged client
(service.Hedger) sends a copy to another server when the first has not
answered within 10ms (the knob hedge-after), and takes the first answer.`,
		LookFor: `The detector table. timeout-100ms flaps on s3 (suspected, cleared,
suspected again, again and again) and also suspects the healthy remote node
many times: its timeout is shorter than the remote's normal jitter.
timeout-1s never suspects s3: some answer always gets through within a
second. phi-8 suspects s3 within tens of milliseconds of the failure (φ
climbs to the cap, 99) and never suspects a healthy node — not even the
jittery remote, whose own history taught it a longer wait (its φ stays
low). Then watch phi's memory: the long gaps enter its window, it learns
them as s3's new normal, and its suspicion fades (the "suspected" column),
which is why gray failures need request-level evidence too. The latency
table (the plot, in buckets): the plain client's p99 during the gray period
is most of a second, set by s3, and some of its requests time out; the
hedged client's p99 is the hedge delay plus a healthy answer, for about 15%
more copies sent.`,
		Chapter: "failures",
		Knobs: []scenarios.Knob{
			{Name: "hedge-after", Kind: scenarios.KnobDuration, Default: "10ms", Min: float64(time.Millisecond), Max: float64(time.Second),
				Doc: "how long the hedged client waits before sending a copy to a second server"},
		},
		For:   6 * time.Second,
		Setup: setupGray,
	})
}

const (
	grayFrom, grayTo = time.Second, 4 * time.Second
	grayLoadStop     = 5 * time.Second
	grayProbe        = 50 * time.Millisecond
	grayCheck        = 5 * time.Millisecond
	grayRate         = 100
	grayWarmup       = 20 // answers from a server before any detector judges it
)

var grayDetectors = []string{"timeout-100ms", "timeout-1s", "phi-8"}

type probeTick struct{}
type checkTick struct{}

// detectorState is one detector's view of one server.
type detectorState struct {
	suspected   bool
	suspicions  int           // times it went from trusted to suspected
	suspectedIn time.Duration // time suspected within the gray period
	suspectedAt time.Duration // time suspected outside it
	first       time.Duration // first suspicion in the gray period, or -1
}

// monitor probes every server and runs three detectors per server.
type monitor struct {
	servers []sim.NodeID
	next    uint64
	last    map[sim.NodeID]time.Time
	phis    map[sim.NodeID]*phi.Detector
	state   map[sim.NodeID]map[string]*detectorState
	answers map[sim.NodeID]int
	maxPhi  map[sim.NodeID]float64 // the highest φ seen at a check (for display only)
}

func (m *monitor) Start(env sim.Env) {
	m.last, m.phis, m.answers, m.maxPhi = map[sim.NodeID]time.Time{}, map[sim.NodeID]*phi.Detector{}, map[sim.NodeID]int{}, map[sim.NodeID]float64{}
	m.state = map[sim.NodeID]map[string]*detectorState{}
	for _, s := range m.servers {
		m.phis[s] = phi.MustNew(phi.Config{Threshold: 8, Window: 200, MinStdDev: 5 * time.Millisecond, FirstInterval: grayProbe})
		m.state[s] = map[string]*detectorState{}
		for _, d := range grayDetectors {
			m.state[s][d] = &detectorState{first: -1}
		}
	}
	env.SetTimer(0, probeTick{})
	env.SetTimer(grayCheck, checkTick{})
}

func (m *monitor) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	now := env.Now()
	switch r := msg.(type) {
	case probeTick:
		for _, s := range m.servers {
			m.next++
			env.Send(s, service.Request{ID: m.next, Caller: "probe", Key: "health"})
		}
		env.SetTimer(grayProbe, probeTick{})
	case service.Response:
		if r.Caller != "probe" || r.Outcome != service.OK {
			return
		}
		m.answers[from]++
		m.phis[from].Heartbeat(now)
		m.last[from] = now
	case checkTick:
		t := since(now)
		for _, s := range m.servers {
			last := m.last[s]
			if m.answers[s] < grayWarmup {
				continue // every detector waits until phi has a history to judge by
			}
			m.maxPhi[s] = max(m.maxPhi[s], m.phis[s].Phi(now))
			verdict := map[string]bool{
				"timeout-100ms": now.Sub(last) >= 100*time.Millisecond,
				"timeout-1s":    now.Sub(last) >= time.Second,
				"phi-8":         m.phis[s].Suspect(now),
			}
			for _, d := range grayDetectors {
				st := m.state[s][d]
				if verdict[d] && !st.suspected {
					st.suspicions++
					if st.first < 0 && t >= grayFrom && t < grayTo {
						st.first = t
					}
					env.Logf("%s suspects %s (%s since its last answer)", d, s, now.Sub(last))
				}
				st.suspected = verdict[d]
				if st.suspected {
					if t >= grayFrom && t < grayTo {
						st.suspectedIn += grayCheck
					} else {
						st.suspectedAt += grayCheck
					}
				}
			}
		}
		env.SetTimer(grayCheck, checkTick{})
	}
}

func (m *monitor) Inspect() map[string]string {
	out := map[string]string{}
	for _, s := range m.servers {
		v := ""
		for _, d := range grayDetectors {
			if m.state[s][d].suspected {
				v += d + " "
			}
		}
		if v == "" {
			v = "trusted"
		}
		out[string(s)] = v
	}
	return out
}

type grayReq struct {
	sent time.Duration
	lat  time.Duration
	ok   bool
}

type grayTick struct{}

// grayClient sends grayRate requests a second to random servers, hedged
// if its Hedger hedges.
type grayClient struct {
	servers []sim.NodeID
	hedger  *service.Hedger
	next    uint64
	reqs    []grayReq
}

func (c *grayClient) Start(env sim.Env) { env.SetTimer(0, grayTick{}) }
func (c *grayClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if c.hedger.Receive(env, from, msg) {
		return
	}
	if _, ok := msg.(grayTick); !ok {
		return
	}
	now := since(env.Now())
	if now >= grayLoadStop {
		return
	}
	rng := env.Rand()
	i := rng.IntN(len(c.servers))
	j := (i + 1 + rng.IntN(len(c.servers)-1)) % len(c.servers)
	c.next++
	idx := len(c.reqs)
	c.reqs = append(c.reqs, grayReq{sent: now})
	c.hedger.Call(env, []sim.NodeID{c.servers[i], c.servers[j]}, service.Request{ID: c.next, Key: "k" + strconv.Itoa(rng.IntN(1000))},
		func(env sim.Env, r service.Response) {
			c.reqs[idx].lat = since(env.Now()) - c.reqs[idx].sent
			c.reqs[idx].ok = r.Outcome == service.OK
		})
	env.SetTimer(network.Exponential{Mean: time.Second / grayRate}.Sample(rng), grayTick{})
}

func (c *grayClient) Inspect() map[string]string {
	st := c.hedger.Stats()
	return map[string]string{"calls": strconv.Itoa(int(st.Calls)), "hedges": strconv.Itoa(int(st.Hedges)), "in flight": strconv.Itoa(c.hedger.InFlight())}
}

func setupGray(o scenarios.Options) (*scenarios.Run, error) {
	hedgeAfter := o.Knobs.Duration("hedge-after")
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 300 * time.Microsecond, Max: 900 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	servers := []sim.NodeID{"s1", "s2", "s3", "s4"}
	var gray *service.Server
	for _, s := range append(servers, "remote") {
		cfg := service.ServerConfig{Workers: 4, ServiceTime: network.Uniform{Min: 2 * time.Millisecond, Max: 4 * time.Millisecond}}
		w.AddNode(s, func() sim.Node {
			srv := service.MustServer(cfg)
			if s == "s3" {
				gray = srv
			}
			return srv
		})
	}
	var mon *monitor
	w.AddNode("monitor", func() sim.Node { mon = &monitor{servers: append(servers, "remote")}; return mon })
	wan := network.Uniform{Min: 20 * time.Millisecond, Max: 120 * time.Millisecond}
	for _, l := range []network.Link{{From: "monitor", To: "remote"}, {From: "remote", To: "monitor"}} {
		if err := net.SetLatency(l, wan); err != nil {
			return nil, err
		}
	}
	clients := map[string]*grayClient{}
	for _, name := range []string{"plain", "hedged"} {
		cfg := service.HedgeConfig{Name: "api", Timeout: 2 * time.Second}
		if name == "hedged" {
			cfg.After = hedgeAfter
		}
		w.AddClient(sim.NodeID(name+"-client"), func() sim.Node {
			c := &grayClient{servers: servers, hedger: service.MustHedger(cfg)}
			clients[name] = c
			return c
		})
	}
	grayLinks := []network.Link{}
	for _, peer := range []sim.NodeID{"monitor", "plain-client", "hedged-client"} {
		grayLinks = append(grayLinks, network.Link{From: "s3", To: peer}, network.Link{From: peer, To: "s3"})
	}
	w.At(grayFrom, func() {
		w.Logf("s3's disk starts dying (20-200ms a request) and its NIC drops 20%% of packets; it stays up")
		gray.SetServiceTime(network.Uniform{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond})
		for _, l := range grayLinks {
			_ = net.SetLoss(l, 0.2) // links between nodes that exist
		}
	})
	w.At(grayTo, func() {
		w.Logf("s3 is replaced by a healthy machine")
		gray.SetServiceTime(network.Uniform{Min: 2 * time.Millisecond, Max: 4 * time.Millisecond})
		for _, l := range grayLinks {
			_ = net.SetLoss(l, 0)
		}
	})
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result {
		r := finishGray(mon, clients, hedgeAfter)
		if o.ArtifactDir != "" {
			r.Summary = append(r.Summary, grayPlots(o, clients)...)
		}
		return r
	}}, nil
}

func finishGray(mon *monitor, clients map[string]*grayClient, hedgeAfter time.Duration) scenarios.Result {
	var r scenarios.Result
	var c checks
	span := grayTo - grayFrom
	var rows [][]string
	for _, d := range grayDetectors {
		row := []string{d}
		for _, s := range mon.servers {
			st := mon.state[s][d]
			row = append(row, fmt.Sprintf("%d×", st.suspicions))
		}
		s3 := mon.state["s3"][d]
		row = append(row, pct(int(s3.suspectedIn/grayCheck), int(span/grayCheck)))
		first := "never"
		if s3.first >= 0 {
			first = dur(s3.first - grayFrom)
		}
		row = append(row, first)
		rows = append(rows, row)
		m := metricName(d)
		falsePos := 0
		for _, s := range mon.servers {
			if s != "s3" {
				falsePos += mon.state[s][d].suspicions
			}
		}
		if s3.first >= 0 {
			r.Metrics = append(r.Metrics, scenarios.Metric{Name: m + "_s3_first_suspicion", Value: (s3.first - grayFrom).Seconds(), Unit: "s"})
		}
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: m + "_s3_suspicions", Value: float64(s3.suspicions), Unit: "suspicions"},
			scenarios.Metric{Name: m + "_s3_suspected_share", Value: float64(s3.suspectedIn) / float64(span), Unit: "share"},
			scenarios.Metric{Name: m + "_healthy_suspicions", Value: float64(falsePos), Unit: "suspicions"},
		)
	}
	header := []string{"detector"}
	for _, s := range mon.servers {
		header = append(header, string(s))
	}
	header = append(header, "s3 suspected (gray)", "s3 first suspected after")
	r.Summary = append(r.Summary, fmt.Sprintf("suspicions per server over the run; s3 is slow and lossy from %s to %s, remote is healthy behind a jittery WAN:", grayFrom, grayTo))
	r.Summary = append(r.Summary, table(header, rows)...)
	line := "highest φ seen:"
	for _, s := range mon.servers {
		line += fmt.Sprintf(" %s %.1f", s, mon.maxPhi[s])
		r.Metrics = append(r.Metrics, scenarios.Metric{Name: "max_phi_" + string(s), Value: mon.maxPhi[s], Unit: "phi"})
	}
	r.Summary = append(r.Summary, line)

	buckets := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond}
	lh := []string{"client", "requests", "p50", "p99", "max"}
	for _, b := range buckets {
		lh = append(lh, "<"+b.String())
	}
	lh = append(lh, "slower", "failed", "extra copies")
	rows = nil
	p99 := map[string]time.Duration{}
	for _, name := range []string{"plain", "hedged"} {
		cl := clients[name]
		var lat []time.Duration
		hist := make([]int, len(buckets)+1)
		failed := 0
		for _, q := range cl.reqs {
			if q.sent < grayFrom || q.sent >= grayTo {
				continue
			}
			if !q.ok {
				failed++
				continue
			}
			lat = append(lat, q.lat)
			k := 0
			for k < len(buckets) && q.lat >= buckets[k] {
				k++
			}
			hist[k]++
		}
		p99[name] = service.Percentile(lat, 99)
		st := cl.hedger.Stats()
		row := []string{name, itoa(len(lat) + failed), dur(service.Percentile(lat, 50)), dur(p99[name]), dur(service.Percentile(lat, 100))}
		for _, h := range hist {
			row = append(row, itoa(h))
		}
		row = append(row, itoa(failed), "+"+pct(int(st.Copies-st.Calls), int(st.Calls)))
		rows = append(rows, row)
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: name + "_p99_gray", Value: p99[name].Seconds(), Unit: "s"},
			scenarios.Metric{Name: name + "_p50_gray", Value: service.Percentile(lat, 50).Seconds(), Unit: "s"},
			scenarios.Metric{Name: name + "_extra_copies", Value: float64(st.Copies-st.Calls) / float64(max(st.Calls, 1)), Unit: "share"},
			scenarios.Metric{Name: name + "_failed_gray", Value: float64(failed), Unit: "requests"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("latency of the requests sent during the gray failure, in buckets (the plot); hedge after %s:", hedgeAfter))
	r.Summary = append(r.Summary, table(lh, rows)...)

	st := func(d, s string) *detectorState { return mon.state[sim.NodeID(s)][d] }
	healthy := func(d string) int {
		n := 0
		for _, s := range []string{"s1", "s2", "s4", "remote"} {
			n += st(d, s).suspicions
		}
		return n
	}
	switch {
	case st("timeout-100ms", "s3").suspicions < 5:
		c.Failf("timeout-100ms suspected s3 only %d times: it should flap", st("timeout-100ms", "s3").suspicions)
	case st("timeout-100ms", "remote").suspicions == 0:
		c.Failf("timeout-100ms never suspected the jittery remote node")
	case st("timeout-1s", "s3").suspectedIn > 0:
		c.Failf("timeout-1s suspected s3 for %s: the gray node should slip under it", st("timeout-1s", "s3").suspectedIn)
	case healthy("phi-8") != 0:
		c.Failf("phi-8 suspected a healthy node %d times", healthy("phi-8"))
	case st("phi-8", "s3").first < 0 || st("phi-8", "s3").first > grayFrom+500*time.Millisecond:
		c.Failf("phi-8 should suspect s3 within 500ms of the gray failure; first suspicion at %s", dur(st("phi-8", "s3").first))
	case p99["hedged"]*3 > p99["plain"]:
		c.Failf("hedging should cut the p99 at least threefold: %s against %s", dur(p99["hedged"]), dur(p99["plain"]))
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("timeout-100ms flapped %d times on s3 and wrongly suspected remote %d times; timeout-1s never fired; phi-8 suspected s3 %s after it turned gray (φ up to %.0f) and never a healthy node (remote's φ at most %.1f); hedging cut the p99 from %s to %s",
			st("timeout-100ms", "s3").suspicions, st("timeout-100ms", "remote").suspicions,
			dur(st("phi-8", "s3").first-grayFrom), mon.maxPhi["s3"], mon.maxPhi["remote"], dur(p99["plain"]), dur(p99["hedged"])))
	}
	r.Err = c.Err()
	return r
}

// grayPlots writes a latency histogram per client, of the requests sent
// during the gray failure, to the artifact directory.
func grayPlots(o scenarios.Options, clients map[string]*grayClient) []string {
	var out []string
	for _, name := range []string{"plain", "hedged"} {
		var lat []time.Duration
		for _, q := range clients[name].reqs {
			if q.ok && q.sent >= grayFrom && q.sent < grayTo {
				lat = append(lat, q.lat)
			}
		}
		p, err := viz.LatencyHistogram(lat, 40)
		if err == nil {
			p.Title.Text = "gray-failure, " + name + " client: " + strings.Replace(p.Title.Text, "message latency", "request latency", 1)
			p.Y.Label.Text = "requests"
			path := filepath.Join(o.ArtifactDir, fmt.Sprintf("gray-failure-seed-%d-%s.svg", o.Seed, name))
			if err = viz.Save(p, path); err == nil {
				out = append(out, "latency histogram, "+name+": "+path)
				continue
			}
		}
		out = append(out, fmt.Sprintf("could not write the %s histogram: %v", name, err))
	}
	return out
}
