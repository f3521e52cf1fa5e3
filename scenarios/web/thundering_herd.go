package web

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "thundering-herd",
		Summary: "a hot cache entry expires: without coalescing the database gets a herd of identical queries, with it one",
		Doc: `Two copies of a cache tier in front of a database run side by side. Users
ask for the front page ("home") 2000 times a second, and now and then for
other pages. The cache has held "home" since long before the run; at 1s its
entry expires. Rebuilding it takes the database 20ms.

The plain cache sends every miss to the database: each request for "home"
that arrives before the first rebuild is back misses too, so about forty
identical queries hit the database at once (2000 a second times 20ms), and
they queue behind each other on its 8 workers, which makes the window — and
the herd — longer still. The coalescing cache (storage/cache.Coalescer) sends
the first miss to the database and parks every later miss for the same key
on that one fetch; when it returns, all of them are answered.`,
		LookFor: `the database queries for "home" after the expiry (dozens against
one), the misses (about the same in both: coalescing does not prevent
misses, only duplicate fetches), and the users' p99 around the expiry.`,
		Chapter: "web",
		For:     2 * time.Second,
		Setup:   setupThunderingHerd,
	})
}

const (
	herdExpiry = time.Second
	hotKey     = "home"
)

type herdVariant struct {
	name     string
	coalesce bool
	cache    *cacheNode
	db       *service.Server
	users    *service.LoadGen
}

func setupThunderingHerd(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 200 * time.Microsecond, Max: 600 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	variants := []*herdVariant{{name: "plain"}, {name: "coalescing", coalesce: true}}
	for _, v := range variants {
		p := v.name + "-"
		cfg := cacheNodeConfig{Capacity: 1000, TTL: time.Minute, Origin: sim.NodeID(p + "db"), OriginTimeout: time.Second,
			Coalesce: v.coalesce, Warm: []string{hotKey}, WarmUntil: herdExpiry}
		if _, err := newCacheNode(cfg); err != nil {
			return nil, fmt.Errorf("thundering-herd: %w", err)
		}
		w.AddNode(sim.NodeID(p+"cache"), func() sim.Node {
			v.cache, _ = newCacheNode(cfg)
			return v.cache
		})
		w.AddNode(sim.NodeID(p+"db"), func() sim.Node {
			v.db = service.MustServer(service.ServerConfig{Workers: 8, ServiceTime: network.Uniform{Min: 18 * time.Millisecond, Max: 22 * time.Millisecond}, Value: originValue})
			return v.db
		})
		w.AddClient(sim.NodeID(p+"users"), func() sim.Node {
			v.users = service.MustLoadGen(service.LoadConfig{
				Target:       sim.NodeID(p + "cache"),
				Interarrival: network.Exponential{Mean: 500 * time.Microsecond},
				Stop:         1900 * time.Millisecond,
				Key: func(rng *rand.Rand) string {
					if rng.IntN(100) < 95 {
						return hotKey
					}
					return fmt.Sprintf("page%d", rng.IntN(50))
				},
				Caller: service.CallerConfig{Name: "cache", Timeout: time.Second},
			})
			return v.users
		})
	}
	w.At(herdExpiry, func() { w.Logf("the cached %q expires in both caches", hotKey) })
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishThunderingHerd(variants) }}, nil
}

func finishThunderingHerd(variants []*herdVariant) scenarios.Result {
	var r scenarios.Result
	var check firstErr
	var rows [][]string
	queries := map[string]int{}
	for _, v := range variants {
		hot := v.cache.FetchesOf(hotKey)
		queries[v.name] = hot
		around := service.Summarize(service.Between(v.users.Records(), at(herdExpiry-100*time.Millisecond), at(herdExpiry+200*time.Millisecond)))
		rows = append(rows, []string{v.name, itoa(hot), itoa(v.cache.MissesOf(hotKey)), itoa(v.cache.Stats().Coalesced), itoa(v.db.Stats().MaxQueue),
			dur(around.P50), dur(around.P99All)})
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: v.name + "_db_queries_hot", Value: float64(hot), Unit: "queries"},
			scenarios.Metric{Name: v.name + "_misses_hot", Value: float64(v.cache.MissesOf(hotKey)), Unit: "requests"},
			scenarios.Metric{Name: v.name + "_p99_around_expiry", Value: around.P99All.Seconds(), Unit: "s"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("the cached %q expired at 1s; users ask for it about 1900 times a second:", hotKey))
	r.Summary = append(r.Summary, table([]string{"cache", `db queries for "home"`, `misses of "home"`, "coalesced", "db max queue", "p50 0.9-1.2s", "p99 0.9-1.2s"}, rows)...)
	switch {
	case queries["coalescing"] != 1:
		check.failf("the coalescing cache sent %d queries for %q after it expired, want 1", queries["coalescing"], hotKey)
	case queries["plain"] < 20:
		check.failf("the plain cache sent only %d queries for %q: no herd", queries["plain"], hotKey)
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("without coalescing the database received %d identical queries; with it, one", queries["plain"]))
	}
	r.Err = check.err
	return r
}
