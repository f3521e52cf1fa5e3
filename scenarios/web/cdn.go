package web

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "cdn",
		Summary: "five LRU edge caches in front of an origin: hit ratio and origin load as the cache grows",
		Doc: `A content delivery network: users in five regions ask their nearby edge
for objects from a catalogue of 1000; the edge answers from its LRU cache
(storage/cache) or fetches the object from the origin, far away (30 to 50ms
a fetch), and keeps it. Popularity follows Zipf's law, as on the real web:
the most popular object is asked for twice as often as the second, ten
times as often as the tenth.

Three CDNs run side by side with the same traffic (2000 requests a second
in all) and edges of 10, 100 and 1000 entries.`,
		LookFor: `the hit ratio rising with the cache size, though far slower than
the size (Zipf: each tenfold size adds about the same share), and the
origin's load and the users' median latency falling with it. The "best"
column is the share of requests for the N most popular objects: what a
full cache of N entries that knew the future could hit. The gap has two
causes: unpopular objects pushing popular ones out of a small LRU, and cold
misses (the first request for an object at an edge can only miss). The
largest edges can hold the whole catalogue: every miss they have left is a
cold one, the price of a cache that has just started (after a deploy, say).`,
		Chapter: "web",
		Knobs: []scenarios.Knob{
			{Name: "capacity", Kind: scenarios.KnobInt, Default: "0", Min: 0, Max: 100000, Doc: "entries per edge cache; 0 runs three CDNs side by side with 10, 100 and 1000"},
			{Name: "edges", Kind: scenarios.KnobInt, Default: "5", Min: 1, Max: 50, Doc: "edge caches (regions) per CDN; the 2000 requests a second are shared among them"},
		},
		For:   3200 * time.Millisecond,
		Setup: setupCDN,
	})
}

const (
	cdnObjects = 1000
	cdnWarmUp  = time.Second // hit ratios are measured after this
	cdnStop    = 3 * time.Second
)

var cdnSizes = []int{10, 100, 1000}

type cdnVariant struct {
	size   int
	edges  []*cacheNode
	origin *service.Server
	users  []*service.LoadGen
	// at warm-up, each edge's hits and misses so far
	warmHits, warmMisses, warmFetches, warmCold int
}

func setupCDN(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 500 * time.Microsecond, Max: 1500 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	zipf, err := service.NewZipf(cdnObjects)
	if err != nil {
		return nil, fmt.Errorf("cdn: %w", err)
	}
	sizes, regions := cdnSizes, o.Knobs.Int("edges")
	if c := o.Knobs.Int("capacity"); c > 0 {
		sizes = []int{c}
	}
	// 2000 requests a second in all, shared by the regions.
	interarrival := time.Duration(regions) * 500 * time.Microsecond
	var variants []*cdnVariant
	for _, size := range sizes {
		v := &cdnVariant{size: size, edges: make([]*cacheNode, regions), users: make([]*service.LoadGen, regions)}
		variants = append(variants, v)
		p := fmt.Sprintf("cdn%d-", size)
		origin := sim.NodeID(p + "origin")
		w.AddNode(origin, func() sim.Node {
			v.origin = service.MustServer(service.ServerConfig{Workers: 256, ServiceTime: network.Uniform{Min: 30 * time.Millisecond, Max: 50 * time.Millisecond}, Value: originValue})
			return v.origin
		})
		for r := range regions {
			edge := sim.NodeID(fmt.Sprintf("%sedge%d", p, r+1))
			cfg := cacheNodeConfig{Capacity: size, TTL: time.Hour, Origin: origin, OriginTimeout: time.Second}
			if _, err := newCacheNode(cfg); err != nil {
				return nil, fmt.Errorf("cdn: %w", err)
			}
			w.AddNode(edge, func() sim.Node {
				v.edges[r], _ = newCacheNode(cfg)
				return v.edges[r]
			})
			w.AddClient(sim.NodeID(fmt.Sprintf("%susers%d", p, r+1)), func() sim.Node {
				v.users[r] = service.MustLoadGen(service.LoadConfig{
					Target:       edge,
					Interarrival: network.Exponential{Mean: interarrival},
					Stop:         cdnStop,
					Key:          func(rng *rand.Rand) string { return "obj" + strconv.Itoa(zipf.Rank(rng)) },
					Caller:       service.CallerConfig{Name: "edge", Timeout: time.Second},
				})
				return v.users[r]
			})
		}
	}
	w.At(cdnWarmUp, func() {
		w.Logf("warm-up over: hit ratios are counted from now on")
		for _, v := range variants {
			for _, e := range v.edges {
				v.warmHits += e.Stats().Hits
				v.warmMisses += e.Stats().Misses
				v.warmFetches += e.Stats().Fetches
				v.warmCold += e.Stats().Cold
			}
		}
	})
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishCDN(variants, zipf) }}, nil
}

func finishCDN(variants []*cdnVariant, zipf *service.Zipf) scenarios.Result {
	var r scenarios.Result
	var check firstErr
	var rows [][]string
	span := (cdnStop - cdnWarmUp).Seconds()
	prevRatio, prevLoad := -1.0, 0.0
	for _, v := range variants {
		hits, misses, fetches, cold := -v.warmHits, -v.warmMisses, -v.warmFetches, -v.warmCold
		for _, e := range v.edges {
			hits += e.Stats().Hits
			misses += e.Stats().Misses
			fetches += e.Stats().Fetches
			cold += e.Stats().Cold
		}
		var recs []service.Record
		for _, u := range v.users {
			recs = append(recs, service.Between(u.Records(), at(cdnWarmUp), at(cdnStop))...)
		}
		s := service.Summarize(recs)
		ratio := float64(hits) / float64(max(1, hits+misses))
		load := float64(fetches) / span
		rows = append(rows, []string{strconv.Itoa(v.size), fmt.Sprintf("%.1f%%", ratio*100), fmt.Sprintf("%.1f%%", float64(zipf.Share(v.size))/1e4),
			pct(cold, hits+misses),
			fmt.Sprintf("%.0f/s", load), dur(s.P50), dur(s.P99All)})
		name := fmt.Sprintf("size%d", v.size)
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: name + "_hit_ratio", Value: ratio, Unit: "ratio"},
			scenarios.Metric{Name: name + "_origin_load", Value: load, Unit: "requests/s"},
			scenarios.Metric{Name: name + "_p50", Value: s.P50.Seconds(), Unit: "s"},
		)
		if ratio <= prevRatio {
			check.failf("the hit ratio fell from %.1f%% to %.1f%% when the edges grew to %d entries", prevRatio*100, ratio*100, v.size)
		}
		if prevRatio >= 0 && load >= prevLoad {
			check.failf("the origin load did not fall when the edges grew to %d entries", v.size)
		}
		prevRatio, prevLoad = ratio, load
	}
	r.Summary = append(r.Summary, fmt.Sprintf("%d edges per CDN, Zipf requests over %d objects, measured from %s to %s:", len(variants[0].edges), cdnObjects, dur(cdnWarmUp), dur(cdnStop)))
	r.Summary = append(r.Summary, table([]string{"edge size", "hit ratio", "best (top N)", "cold misses", "origin load", "p50", "p99"}, rows)...)
	if check.err == nil && len(variants) > 1 {
		r.Summary = append(r.Summary, "the hit ratio rises with the cache size and the origin's load falls with it")
	}
	r.Err = check.err
	return r
}
