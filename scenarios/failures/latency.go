package failures

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "fallacy-zero-latency",
		Summary: "fallacy 2, latency is zero: a page that makes 20 calls one after another is fast on a LAN and takes seconds across a WAN; one batched call is not",
		Doc: `A web page shows 20 items; the page's server fetches them from a
database server. Two ways to write it:

  chatty   ask for the items one at a time, each after the last one came
           back (the N+1 query pattern: every call a round trip)
  batched  ask for all 20 in one request

Each is run twice: with the database in the same rack (a LAN, 0.5ms each
way) and in another region (a WAN, 40ms each way, the knob wan). Each page
server renders 10 pages, one after another. The database answers every
call after 0.1ms of work per item.

Code that was written and tested on the LAN treats a call as free. Latency
is not zero: it is at least the speed of light times the distance, and a
program that makes round trips in sequence pays it every time.`,
		LookFor: `The chatty page takes about 20×(2×latency): about 20ms on the LAN, so
nobody noticed, and about 1.6s across the WAN. The batched page costs one
round trip: about 3ms on the LAN and 82ms across the WAN. The table counts
the round trips each page made; the time per page follows them.`,
		Chapter: "failures",
		Knobs: []scenarios.Knob{
			{Name: "wan", Kind: scenarios.KnobDuration, Default: "40ms", Min: float64(5 * time.Millisecond), Max: float64(200 * time.Millisecond), Doc: "one-way latency between the regions"},
		},
		For:   90 * time.Second, // Done ends it once every page server has its 10 pages
		Setup: setupLatency,
	})
}

const (
	latencyItems = 20
	latencyPages = 10
	latencyWork  = 100 * time.Microsecond // database work per item
)

// GetItems asks the database for Items items of page Page.
type GetItems struct {
	Page, Seq, Items int
}

// Items answers GetItems.
type Items struct {
	Page, Seq, Items int
}

type itemsReady struct {
	From  sim.NodeID
	Reply Items
}

// itemDB answers GetItems after latencyWork per item.
type itemDB struct{ calls int }

func (d *itemDB) Start(sim.Env) {}
func (d *itemDB) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case GetItems:
		d.calls++
		env.SetTimer(time.Duration(m.Items)*latencyWork, itemsReady{From: from, Reply: Items(m)})
	case itemsReady:
		env.Send(m.From, m.Reply)
	}
}
func (d *itemDB) Inspect() map[string]string {
	return map[string]string{"calls": strconv.Itoa(d.calls)}
}

// pageServer renders latencyPages pages, one after another; each page needs
// latencyItems items from the database, fetched perCall at a time.
type pageServer struct {
	db      sim.NodeID
	perCall int
	page    int             // the page being rendered, from 1
	have    int             // items of this page fetched so far
	seq     int             // calls made for this page
	started time.Time       // when this page began
	times   []time.Duration // render time of each finished page
	calls   int             // calls made in all
}

func (p *pageServer) Start(env sim.Env) { p.nextPage(env) }

func (p *pageServer) nextPage(env sim.Env) {
	if p.page >= latencyPages {
		return
	}
	p.page++
	p.have, p.seq = 0, 0
	p.started = env.Now()
	p.fetch(env)
}

func (p *pageServer) fetch(env sim.Env) {
	p.seq++
	p.calls++
	env.Send(p.db, GetItems{Page: p.page, Seq: p.seq, Items: min(p.perCall, latencyItems-p.have)})
}

func (p *pageServer) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	m, ok := msg.(Items)
	if !ok || m.Page != p.page || m.Seq != p.seq {
		return
	}
	p.have += m.Items
	if p.have < latencyItems {
		p.fetch(env)
		return
	}
	p.times = append(p.times, env.Now().Sub(p.started))
	p.nextPage(env)
}

func (p *pageServer) Inspect() map[string]string {
	return map[string]string{"page": strconv.Itoa(p.page), "items": strconv.Itoa(p.have), "calls": strconv.Itoa(p.calls)}
}

type latencyVariant struct {
	name    string
	wan     bool
	perCall int
	pages   *pageServer
}

func setupLatency(o scenarios.Options) (*scenarios.Run, error) {
	wan := o.Knobs.Duration("wan")
	net := network.MustNew(network.Config{})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	variants := []*latencyVariant{
		{name: "lan-chatty", perCall: 1},
		{name: "lan-batched", perCall: latencyItems},
		{name: "wan-chatty", wan: true, perCall: 1},
		{name: "wan-batched", wan: true, perCall: latencyItems},
	}
	for _, v := range variants {
		db, web := sim.NodeID(v.name+"-db"), sim.NodeID(v.name+"-web")
		w.AddNode(db, func() sim.Node { return &itemDB{} })
		w.AddNode(web, func() sim.Node { v.pages = &pageServer{db: db, perCall: v.perCall}; return v.pages })
		one := time.Duration(500 * time.Microsecond)
		if v.wan {
			one = wan
		}
		lat := network.Uniform{Min: one * 9 / 10, Max: one * 11 / 10}
		for _, l := range []network.Link{{From: db, To: web}, {From: web, To: db}} {
			if err := net.SetLatency(l, lat); err != nil {
				return nil, err
			}
		}
	}
	return &scenarios.Run{World: w, Net: net,
		Done: func() bool {
			for _, v := range variants {
				if v.pages == nil || len(v.pages.times) < latencyPages {
					return false
				}
			}
			return true
		},
		Finish: func() scenarios.Result { return finishLatency(variants, wan) }}, nil
}

func finishLatency(variants []*latencyVariant, wan time.Duration) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	p50 := map[string]time.Duration{}
	for _, v := range variants {
		t := v.pages.times
		med := service.Percentile(t, 50)
		p50[v.name] = med
		perPage := 0
		if len(t) > 0 {
			perPage = v.pages.calls / max(v.pages.page, 1)
		}
		rows = append(rows, []string{v.name, itoa(len(t)), itoa(perPage), dur(med), dur(service.Percentile(t, 100))})
		r.Metrics = append(r.Metrics, scenarios.Metric{Name: metricName(v.name) + "_page_p50", Value: med.Seconds(), Unit: "s"})
		if len(t) < latencyPages {
			c.Failf("%s rendered %d of %d pages in the run", v.name, len(t), latencyPages)
		}
	}
	r.Summary = append(r.Summary, fmt.Sprintf("%d items per page; LAN 0.5ms one way, WAN %s one way:", latencyItems, wan))
	r.Summary = append(r.Summary, table([]string{"page server", "pages", "calls/page", "p50 page", "slowest page"}, rows)...)
	switch {
	case p50["lan-chatty"] > 50*time.Millisecond:
		c.Failf("the chatty page took %s on the LAN: it should look fine there", dur(p50["lan-chatty"]))
	case p50["wan-chatty"] < 10*p50["wan-batched"]:
		c.Failf("across the WAN the chatty page (%s) should be over 10× the batched one (%s)", dur(p50["wan-chatty"]), dur(p50["wan-batched"]))
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("the chatty page went from %s on the LAN to %s across the WAN (%.0f×); batching kept it at %s",
			dur(p50["lan-chatty"]), dur(p50["wan-chatty"]), float64(p50["wan-chatty"])/float64(max(p50["lan-chatty"], 1)), dur(p50["wan-batched"])))
	}
	r.Err = c.Err()
	return r
}
