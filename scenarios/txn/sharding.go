package txn

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/shard"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "sharding",
		Summary: "sharding by range, hash and directory: time-ordered IDs make a hot spot of the last range; hashing spreads them",
		Doc: `An orders table is split over four shards three ways, side by side: by
range, by hash, and by a directory (a lookup table placing each new key on
the least loaded shard). The ranges were split evenly over the 10,000
orders that existed when the table was sharded (order-00000000 to
order-00009999). Then a client inserts 2,000 new orders, one every half
millisecond, with time-ordered IDs (order-00010000, order-00010001, ...),
sending each to all three routers. At the end it scans the 100 newest
orders through each router.`,
		LookFor: `the per-shard write counts. Under range sharding every new order
sorts after the last split point, so range-s4 takes all 2,000 writes and
the other three none (max/mean 4.0): a hot spot that buying more shards
does not cure. Hashing spreads them evenly (max/mean near 1.0), and so does
the directory. The scan column shows the other side of the trade: the range
router asks one shard for the 100 newest orders, the hash router has to ask
all four, the directory asks exactly those its table names.`,
		Chapter: "storage",
		For:     1200 * time.Millisecond,
		Setup:   setupSharding,
	})
}

const (
	shardCount     = 4
	existingOrders = 10000
	newOrders      = 2000
	scanSize       = 100
)

func orderKey(i int) string { return fmt.Sprintf("order-%08d", i) }

func setupSharding(o scenarios.Options) (*scenarios.Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: time.Millisecond, Max: 3 * time.Millisecond},
	}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})

	existing := make([]string, existingOrders)
	for i := range existing {
		existing[i] = orderKey(i)
	}
	bounds, err := shard.SplitEvenly(existing, shardCount)
	if err != nil {
		return nil, err
	}
	byRange, err := shard.NewByRange(bounds)
	if err != nil {
		return nil, err
	}
	byHash, err := shard.NewByHash(shardCount)
	if err != nil {
		return nil, err
	}
	dir, err := shard.NewDirectory(shardCount)
	if err != nil {
		return nil, err
	}
	type scheme struct {
		name    string
		router  sim.NodeID
		servers []sim.NodeID
		acks    int
		scanned []string
		parts   int
		of      int
	}
	var schemes []*scheme
	for _, s := range []shard.Sharder{byRange, byHash, dir} {
		sc := &scheme{name: s.Name(), router: sim.NodeID(s.Name() + "-router")}
		for i := 1; i <= shardCount; i++ {
			id := sim.NodeID(fmt.Sprintf("%s-s%d", s.Name(), i))
			sc.servers = append(sc.servers, id)
			w.AddNode(id, func() sim.Node { return &shard.Server{} })
		}
		// One sharder value per router, kept across restarts (a directory's
		// table lives in the router here; a real one is replicated).
		w.AddNode(sc.router, func() sim.Node { return shard.NewRouter(s, sc.servers) })
		schemes = append(schemes, sc)
	}
	w.Logf("range split points, from the %d existing orders: %s", existingOrders, strings.Join(bounds, " "))

	byRouter := map[sim.NodeID]*scheme{}
	byServer := map[sim.NodeID]*scheme{}
	for _, sc := range schemes {
		byRouter[sc.router] = sc
		for _, s := range sc.servers {
			byServer[s] = sc
		}
	}
	type insertTick struct{ N int }
	w.AddClient("client", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
			switch m := msg.(type) {
			case insertTick:
				key := orderKey(existingOrders + m.N)
				for _, sc := range schemes {
					env.Send(sc.router, shard.Put{Key: key, Value: "placed"})
				}
				if m.N+1 < newOrders {
					env.SetTimer(500*time.Microsecond, insertTick{N: m.N + 1})
				}
			case shard.PutAck:
				byServer[m.Shard].acks++
			case shard.ScanPart:
				sc := byServer[m.Shard]
				sc.parts++
				sc.of = m.Of
				sc.scanned = append(sc.scanned, m.Keys...)
			}
		})
	})
	w.At(0, func() {
		_ = w.Exec("client", func(_ sim.Node, env sim.Env) { env.SetTimer(0, insertTick{}) })
	})
	from, to := orderKey(existingOrders+newOrders-scanSize), orderKey(existingOrders+newOrders)
	w.At(1100*time.Millisecond, func() {
		_ = w.Exec("client", func(_ sim.Node, env sim.Env) {
			env.Logf("scans the %d newest orders [%s, %s) through every router", scanSize, from, to)
			for _, sc := range schemes {
				env.Send(sc.router, shard.Scan{ID: sc.name, From: from, To: to})
			}
		})
	})

	finish := func() scenarios.Result {
		var r scenarios.Result
		fail := func(err error) {
			if r.Err == nil {
				r.Err = err
			}
		}
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		header := "scheme\t"
		for i := 1; i <= shardCount; i++ {
			header += fmt.Sprintf("s%d\t", i)
		}
		fmt.Fprintln(tw, header+"max/mean\tshards per scan\t")
		spread := map[string]float64{}
		for _, sc := range schemes {
			load := make([]int, shardCount)
			row := sc.name + "\t"
			for i, id := range sc.servers {
				load[i] = w.Node(id).(*shard.Server).Writes
				row += fmt.Sprintf("%d\t", load[i])
			}
			spread[sc.name] = shard.Spread(load)
			fmt.Fprintf(tw, "%s%.2f\t%d\t\n", row, spread[sc.name], sc.of)
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: sc.name + "_max_over_mean", Value: spread[sc.name], Unit: "ratio"},
				scenarios.Metric{Name: sc.name + "_scan_shards", Value: float64(sc.of), Unit: "shards"},
			)
			if sc.acks != newOrders {
				fail(fmt.Errorf("%s: %d of %d writes acknowledged", sc.name, sc.acks, newOrders))
			}
			if sc.parts != sc.of || len(sc.scanned) != scanSize {
				fail(fmt.Errorf("%s: the scan got %d keys from %d of %d shards, want %d keys", sc.name, len(sc.scanned), sc.parts, sc.of, scanSize))
			}
		}
		tw.Flush()
		r.Summary = strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		if spread["range"] < float64(shardCount)-0.01 {
			fail(fmt.Errorf("range sharding spread new sequential keys (max/mean %.2f): no hot spot", spread["range"]))
		}
		if spread["hash"] > 1.2 {
			fail(fmt.Errorf("hash sharding max/mean %.2f: not an even spread", spread["hash"]))
		}
		if r.Err == nil {
			r.Summary = append(r.Summary,
				fmt.Sprintf("range: every new order sorts after %s, so range-s%d took them all: a hot spot", bounds[len(bounds)-1], shardCount),
				"hash: even writes, but a scan of neighbouring keys must ask every shard")
		}
		return r
	}
	return &scenarios.Run{World: w, Net: net, Finish: finish}, nil
}
