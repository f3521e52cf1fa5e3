package web

import (
	"fmt"
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
		Name:    "retry-storm",
		Summary: "retries keep a recovering service down; a retry budget (with jitter) lets it come back",
		Doc: `Four copies of one service run side by side, each with 10 clients
sending 200 requests a second in all. The service has 5 workers and answers
in about 20ms: 250 requests a second at most, so it runs at 80%. Clients
give up on a try after 100ms and retry up to 4 times with exponential
backoff (50ms, doubling). At 1s every copy crashes; at 2s it is back.

The copies differ only in how their clients retry:
  no-jitter       waits exactly 50ms, 100ms, 200ms, 400ms
  jitter          waits a random time up to those (full jitter)
  budget          no jitter, but each client retries at most 10% of its
                  requests (resilience.RetryBudget)
  jitter+budget   both

During the outage every request fails and is retried. When the service
returns it meets the new load plus every retry: far more than 250 a second.
Its queue grows past 100ms, so every answer comes too late: the client has
given up and retried, and the service works on requests nobody waits for.
Each request now costs five tries, the load stays at five times normal, and
the service stays down although nothing is broken any more: a metastable
failure. A retry budget caps the load at 110% of normal, below capacity:
the queue drains and the service recovers.

Jitter spreads retries in time. It matters when many clients fail at the
same instant and would otherwise retry in lockstep; here failures are spread
already (the peak column barely moves), so jitter alone does not save the
service: the load must come down, and that is the budget's work.`,
		LookFor: `goodput per second after the restart, the time to recover (the
service answers 90% of the requests sent in every quarter second from then
on), the tries sent, the peak arrivals in 10ms and the longest queue.`,
		Chapter: "resilience",
		For:     5500 * time.Millisecond,
		Setup:   setupRetryStorm,
	})
}

const (
	stormCrash, stormRestart = time.Second, 2 * time.Second
	stormClients             = 10
	stormEnd                 = 5 * time.Second // requests sent before this are compared
	stormBucket              = 250 * time.Millisecond
)

type stormVariant struct {
	name     string
	jitter   resilience.Jitter
	budget   bool
	server   *service.Server
	clients  []*service.LoadGen
	arrivals map[time.Duration]int // requests the service received per 10ms, by bucket start
}

func setupRetryStorm(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 500 * time.Microsecond, Max: 1500 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	variants := []*stormVariant{
		{name: "no-jitter", jitter: resilience.NoJitter},
		{name: "jitter", jitter: resilience.FullJitter},
		{name: "budget", jitter: resilience.NoJitter, budget: true},
		{name: "jitter+budget", jitter: resilience.FullJitter, budget: true},
	}
	for _, v := range variants {
		if err := addStormVariant(w, v); err != nil {
			return nil, err
		}
	}
	w.At(stormCrash, func() {
		w.Logf("every copy of the service crashes")
		for _, v := range variants {
			w.Crash(sim.NodeID(v.name + "-api"))
		}
	})
	w.At(stormRestart, func() {
		w.Logf("every copy restarts, healthy: watch which ones recover")
		for _, v := range variants {
			w.Restart(sim.NodeID(v.name + "-api"))
		}
	})
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishRetryStorm(variants) }}, nil
}

func addStormVariant(w *sim.World, v *stormVariant) error {
	api := sim.NodeID(v.name + "-api")
	srvCfg := service.ServerConfig{Workers: 5, ServiceTime: network.Uniform{Min: 16 * time.Millisecond, Max: 24 * time.Millisecond}}
	v.arrivals = map[time.Duration]int{}
	w.AddNode(api, func() sim.Node {
		v.server = service.MustServer(srvCfg)
		return &arrivalCounter{Server: v.server, buckets: v.arrivals}
	})
	backoff := resilience.Backoff{Base: 50 * time.Millisecond, Cap: time.Second, Multiplier: 2, MaxAttempts: 5, Jitter: v.jitter}
	cc := service.CallerConfig{Name: "api", Timeout: 100 * time.Millisecond, Retry: &backoff}
	if v.budget {
		cc.Budget = &resilience.RetryBudgetConfig{Percent: 10, MinPerSecond: 1, MaxSaved: 5}
	}
	cfg := service.LoadConfig{Target: api, Interarrival: network.Exponential{Mean: stormClients * 5 * time.Millisecond},
		Stop: stormEnd, Caller: cc}
	if _, err := service.NewLoadGen(cfg); err != nil {
		return fmt.Errorf("retry-storm: %w", err)
	}
	v.clients = make([]*service.LoadGen, stormClients)
	for i := range stormClients {
		w.AddClient(sim.NodeID(fmt.Sprintf("%s-c%d", v.name, i+1)), func() sim.Node {
			v.clients[i] = service.MustLoadGen(cfg)
			return v.clients[i]
		})
	}
	return nil
}

// stormRecovery is the end of the first bucket after the restart from which
// on at least 90% of the requests sent in every bucket succeeded, or false.
func stormRecovery(v *stormVariant, records []service.Record) (time.Duration, bool) {
	var recovered time.Duration
	found := false
	for t := stormRestart; t < stormEnd; t += stormBucket {
		ok := service.Summarize(service.Between(records, at(t), at(t+stormBucket))).OK()
		sent := 0
		for _, c := range v.clients {
			sent += c.SentBetween(at(t), at(t+stormBucket))
		}
		if ok*10 >= sent*9 {
			if !found {
				recovered, found = t+stormBucket, true
			}
		} else {
			found = false
		}
	}
	return recovered - stormRestart, found
}

func finishRetryStorm(variants []*stormVariant) scenarios.Result {
	var r scenarios.Result
	var check firstErr
	var rows [][]string
	header := []string{"retries"}
	for t := stormRestart; t < stormEnd; t += time.Second {
		header = append(header, fmt.Sprintf("ok/s %d-%ds", t/time.Second, (t+time.Second)/time.Second))
	}
	header = append(header, "recovered after", "tries sent", "peak tries/10ms", "max queue")
	recovery := map[string]time.Duration{}
	lastOK := map[string]int{}
	for _, v := range variants {
		var recs []service.Record
		var tries, retries uint64
		for _, c := range v.clients {
			recs = append(recs, c.Records()...)
			st := c.Caller().Stats()
			tries += st.Tries
			retries += st.Retries
		}
		row := []string{v.name}
		for t := stormRestart; t < stormEnd; t += time.Second {
			s := service.Summarize(service.Between(recs, at(t), at(t+time.Second)))
			row = append(row, itoa(s.OK()))
			lastOK[v.name] = s.OK()
		}
		rec, ok := stormRecovery(v, recs)
		recText := "never"
		if ok {
			recText = dur(rec)
			recovery[v.name] = rec
			r.Metrics = append(r.Metrics, scenarios.Metric{Name: metricName(v.name) + "_recovery", Value: rec.Seconds(), Unit: "s"})
		} else {
			recovery[v.name] = -1
		}
		row = append(row, recText, itoa(int(tries)), itoa(peakPer10ms(v)), itoa(v.server.Stats().MaxQueue))
		rows = append(rows, row)
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: metricName(v.name) + "_ok_last_second", Value: float64(lastOK[v.name]), Unit: "requests"},
			scenarios.Metric{Name: metricName(v.name) + "_retries", Value: float64(retries), Unit: "requests"},
		)
	}
	r.Summary = append(r.Summary, "the service crashed at 1s and restarted at 2s; clients offer about 200 requests a second:")
	r.Summary = append(r.Summary, table(header, rows)...)
	switch {
	case recovery["no-jitter"] >= 0:
		check.failf("without jitter or a budget the service recovered after %s: the retry storm did not keep it down", dur(recovery["no-jitter"]))
	case lastOK["no-jitter"] > 50:
		check.failf("without jitter or a budget %d requests a second succeeded at the end: want the service still down", lastOK["no-jitter"])
	case recovery["jitter"] >= 0:
		check.failf("jitter alone let the service recover after %s: the storm was synchronisation, not load", dur(recovery["jitter"]))
	case recovery["jitter+budget"] < 0 || recovery["jitter+budget"] > 2*time.Second:
		check.failf("with jitter and a retry budget the service should recover within 2s of its restart; recovery %v", recovery["jitter+budget"])
	default:
		r.Summary = append(r.Summary,
			fmt.Sprintf("with jitter and a retry budget the service recovered %s after its restart; without a budget it never did (%d ok/s at the end without jitter, %d with)",
				dur(recovery["jitter+budget"]), lastOK["no-jitter"], lastOK["jitter"]))
	}
	r.Err = check.err
	return r
}

// peakPer10ms is the most requests the server received in any 10ms bucket
// after the restart: synchronised retries arrive in spikes.
func peakPer10ms(v *stormVariant) int { return peak(v.arrivals, stormRestart, stormEnd) }

func metricName(s string) string {
	return strings.NewReplacer("-", "_", "+", "_").Replace(s)
}
