package consistency

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/quorum"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "pacelc",
		Summary: "no partition at all: three regions, quorum reads and writes cost a WAN round trip and are never stale; local ones cost a millisecond and often are (PACELC's Else: latency or consistency)",
		Doc: `PACELC (Abadi, 2012): if there is a Partition, choose Availability or
Consistency; Else — when the network is fine — choose Latency or
Consistency. This scenario is the Else: nothing fails.

A Dynamo-style store (package storage/quorum) keeps every key on three
replicas, one per region: tokyo, frankfurt and virginia. One-way WAN
latency is 75ms Tokyo–Virginia (the knob wan), 0.6 of that
Frankfurt–Virginia and 1.5 of it Tokyo–Frankfurt; a client reaches its own
region's replica in about a millisecond. One client per region reads and
writes five keys, one operation every 10ms, always through its local
replica. The same workload runs three times, in three worlds:

  local (W=1, R=1)       a write is acknowledged once the local replica has
                         it (the others get it asynchronously); a read asks
                         only the local replica. PA/EL: Dynamo's and
                         Cassandra's ONE.
  quorum (W=2, R=2)      a write waits for one more region, a read asks two
                         regions: W+R > N, so every read meets the latest
                         acknowledged write. EC: QUORUM.
  quorum + write-back    quorum, and a read also writes what it returns to
                         two replicas before answering (ABD): linearizable
                         reads, for one more round trip.

The trace shows the quorum world.`,
		LookFor: `The table: local's p50 and p99 are about a millisecond or two; quorum's
are the round trip to the nearest other region (90–150ms at the default
wan); write-back reads pay that twice. Stale reads — a read that missed a
write acknowledged before it began — are frequent with local (its age
column: how long ago the missed write had been acknowledged, up to about
a one-way WAN delay) and zero with both quorum settings. Nothing failed:
this is the price of consistency when everything works. --set wan=150ms
doubles quorum's latency and leaves local's unchanged.`,
		Chapter: "consistency",
		Knobs: []scenarios.Knob{
			{Name: "wan", Kind: scenarios.KnobDuration, Default: "75ms", Min: float64(5 * time.Millisecond), Max: float64(300 * time.Millisecond), Doc: "one-way latency Tokyo–Virginia; the other pairs scale with it"},
		},
		For:   4 * time.Second,
		Setup: setupPACELC,
	})
}

var regions = []sim.NodeID{"tokyo", "frankfurt", "virginia"}

type pacelcVariant struct {
	name      string
	key       string // in metric names
	w, r      int
	writeBack bool
	world     *sim.World
	clients   []*quorum.Client
}

func pacelcWorld(o scenarios.Options, v *pacelcVariant, wan time.Duration, tracer sim.Tracer) (*network.Model, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 500 * time.Microsecond, Max: 1500 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: tracer})
	v.world = w
	store := quorum.DefaultConfig()
	store.N, store.W, store.R = 3, v.w, v.r
	store.SloppyQuorum = false
	store.WriteBackReads = v.writeBack
	store.Timeout = 2 * time.Second
	if err := store.Validate(); err != nil {
		return nil, err
	}
	for _, id := range regions {
		w.AddNode(id, func() sim.Node {
			s, err := quorum.NewServer(store)
			if err != nil {
				panic(err) // validated above
			}
			return s
		})
	}
	pairs := []struct {
		a, b sim.NodeID
		d    time.Duration
	}{{"tokyo", "virginia", wan}, {"frankfurt", "virginia", wan * 3 / 5}, {"tokyo", "frankfurt", wan * 3 / 2}}
	oneWay := map[[2]sim.NodeID]time.Duration{}
	for _, p := range pairs { // in this order: setting a latency is traced
		oneWay[[2]sim.NodeID{p.a, p.b}], oneWay[[2]sim.NodeID{p.b, p.a}] = p.d, p.d
		lat := network.Uniform{Min: p.d * 95 / 100, Max: p.d * 105 / 100}
		for _, l := range []network.Link{{From: p.a, To: p.b}, {From: p.b, To: p.a}} {
			if err := net.SetLatency(l, lat); err != nil {
				return nil, err
			}
		}
	}
	for i, region := range regions {
		id := sim.NodeID(string(region) + "-client")
		wl, err := quorum.NewWorkload(rand.New(rand.NewPCG(o.Seed, uint64(i+1))), quorum.WorkloadConfig{Client: string(id), Ops: 1_000_000, Keys: 5})
		if err != nil {
			return nil, err
		}
		cl, err := quorum.NewClient(quorum.ClientConfig{Workload: wl, Clock: w.Now, N: 3, VNodes: store.VNodes, Coordinator: region,
			RetryTimeout: 5 * time.Second, Attempts: 1, Pause: 10 * time.Millisecond})
		if err != nil {
			return nil, err
		}
		v.clients = append(v.clients, cl)
		w.AddClient(id, func() sim.Node { return cl })
		// a client far from the other regions' replicas: it only ever talks
		// to its own, but the links exist
		for j, other := range regions {
			if j != i {
				d := 2 * oneWay[[2]sim.NodeID{region, other}]
				for _, l := range []network.Link{{From: id, To: other}, {From: other, To: id}} {
					if err := net.SetLatency(l, network.Constant(d)); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return net, nil
}

func setupPACELC(o scenarios.Options) (*scenarios.Run, error) {
	wan := o.Knobs.Duration("wan")
	variants := []*pacelcVariant{
		{name: "local (W=1, R=1)", key: "local", w: 1, r: 1},
		{name: "quorum (W=2, R=2)", key: "quorum", w: 2, r: 2},
		{name: "quorum + write-back", key: "write_back", w: 2, r: 2, writeBack: true},
	}
	var mainNet *network.Model
	for i, v := range variants {
		var tr sim.Tracer
		if i == 1 {
			tr = o.Tracer
		}
		net, err := pacelcWorld(o, v, wan, tr)
		if err != nil {
			return nil, err
		}
		if i == 1 {
			mainNet = net
		}
	}
	w := variants[1].world
	for _, i := range []int{0, 2} {
		lockstep(w, variants[i].world, 10*time.Millisecond)
	}
	w.At(0, func() {
		w.Logf("quorum world (W=2, R=2); the local and write-back worlds run the same workload alongside")
	})
	return &scenarios.Run{World: w, Net: mainNet, Finish: func() scenarios.Result {
		for _, i := range []int{0, 2} {
			variants[i].world.RunFor(w.Now() - variants[i].world.Now())
		}
		return finishPACELC(variants, wan)
	}}, nil
}

// lockstep runs shadow alongside w, catching up every every.
func lockstep(w, shadow *sim.World, every time.Duration) {
	var tick func()
	tick = func() {
		shadow.RunFor(w.Now() - shadow.Now())
		w.After(every, tick)
	}
	w.At(0, tick)
}

// staleness finds the gets that missed a put acknowledged before they
// began (none of the versions they returned covers it), and how long
// before the get the newest missed put had been acknowledged.
func staleness(recs []quorum.Record) (reads int, ages []time.Duration) {
	byKey := map[string][]quorum.Record{}
	for _, r := range recs {
		if r.Op.Kind == check.KVPut && r.OK {
			byKey[r.Op.Key] = append(byKey[r.Op.Key], r)
		}
	}
	for _, r := range recs {
		if r.Op.Kind != check.KVGet || !r.OK {
			continue
		}
		reads++
		var age time.Duration = -1
		for _, w := range byKey[r.Op.Key] {
			if w.Return < r.Call && !r.Siblings.Covers(w.Clock) {
				age = max(age, r.Call-w.Return)
			}
		}
		if age >= 0 {
			ages = append(ages, age)
		}
	}
	return reads, ages
}

func finishPACELC(variants []*pacelcVariant, wan time.Duration) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	type res struct {
		readP50, readP99, writeP50 time.Duration
		stale, reads, ops          int
	}
	got := map[string]res{}
	for _, v := range variants {
		var recs []quorum.Record
		for _, cl := range v.clients {
			recs = append(recs, cl.Records()...)
		}
		var rl, wl []time.Duration
		for _, rec := range recs {
			if !rec.OK {
				continue
			}
			if rec.Op.Kind == check.KVGet {
				rl = append(rl, rec.Return-rec.Call)
			} else {
				wl = append(wl, rec.Return-rec.Call)
			}
		}
		reads, ages := staleness(recs)
		x := res{readP50: service.Percentile(rl, 50), readP99: service.Percentile(rl, 99), writeP50: service.Percentile(wl, 50),
			stale: len(ages), reads: reads, ops: len(rl) + len(wl)}
		got[v.name] = x
		age := "-"
		if len(ages) > 0 {
			age = dur(service.Percentile(ages, 50)) + " / " + dur(service.Percentile(ages, 100))
		}
		rows = append(rows, []string{v.name, itoa(x.ops), dur(x.readP50), dur(x.readP99), dur(x.writeP50), dur(service.Percentile(wl, 99)),
			fmt.Sprintf("%d/%d (%s)", x.stale, reads, pct(x.stale, reads)), age})
		m := v.key
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: m + "_read_p50", Value: x.readP50.Seconds(), Unit: "s"},
			scenarios.Metric{Name: m + "_read_p99", Value: x.readP99.Seconds(), Unit: "s"},
			scenarios.Metric{Name: m + "_write_p50", Value: x.writeP50.Seconds(), Unit: "s"},
			scenarios.Metric{Name: m + "_write_p99", Value: service.Percentile(wl, 99).Seconds(), Unit: "s"},
			scenarios.Metric{Name: m + "_stale_share", Value: float64(x.stale) / float64(max(reads, 1)), Unit: "share"},
			scenarios.Metric{Name: m + "_ops", Value: float64(x.ops), Unit: "ops"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("no partition; one-way WAN Tokyo–Virginia %s, Frankfurt–Virginia %s, Tokyo–Frankfurt %s; one client per region:", wan, wan*3/5, wan*3/2))
	r.Summary = append(r.Summary, table([]string{"store", "ops", "read p50", "read p99", "write p50", "write p99", "stale reads", "stale age p50 / max"}, rows)...)
	lo, q, wb := got[variants[0].name], got[variants[1].name], got[variants[2].name]
	switch {
	case lo.stale == 0:
		c.Failf("local reads were never stale in %d reads", lo.reads)
	case q.stale != 0 || wb.stale != 0:
		c.Failf("quorum reads were stale %d times (write-back %d): W+R > N should prevent it", q.stale, wb.stale)
	case q.readP50 < 2*lo.readP50:
		c.Failf("quorum reads (p50 %s) should cost a WAN round trip more than local ones (%s)", dur(q.readP50), dur(lo.readP50))
	case wb.readP50 <= q.readP50:
		c.Failf("write-back reads (p50 %s) should cost more than plain quorum reads (%s)", dur(wb.readP50), dur(q.readP50))
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("with nothing broken, consistency cost %.0f× the read latency (p50 %s against %s) and local reads were stale %s of the time",
			float64(q.readP50)/float64(max(lo.readP50, 1)), dur(q.readP50), dur(lo.readP50), pct(lo.stale, lo.reads)))
	}
	r.Err = c.Err()
	return r
}
