package storage

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/quorum"
)

// quorumStage is a world of quorum servers n1..nK and clients c1..cM.
type quorumStage struct {
	w       *sim.World
	net     *network.Model
	cfg     quorum.Config
	servers []sim.NodeID
	clients []*quorum.Client
	history *check.History
	faults  *faultLog
}

type quorumStageConfig struct {
	Seed    uint64
	Tracer  sim.Tracer
	Link    network.LinkConfig
	Store   quorum.Config
	Servers int
	Clients int
	// Client is the template for every client; Clock, N, VNodes and
	// History are filled in.
	Client quorum.ClientConfig
	// Workload, if set, is each client's random workload (Client is filled
	// in); otherwise clients are idle and the scenario scripts them.
	Workload *quorum.WorkloadConfig
}

func newQuorumStage(cfg quorumStageConfig) (*quorumStage, error) {
	net, err := network.New(network.Config{Link: cfg.Link})
	if err != nil {
		return nil, err
	}
	if err := cfg.Store.Validate(); err != nil {
		return nil, err
	}
	if cfg.Store.N > cfg.Servers {
		return nil, fmt.Errorf("%d replicas per key (N) on only %d servers", cfg.Store.N, cfg.Servers)
	}
	faults := &faultLog{}
	var tracer sim.Tracer = faults
	if cfg.Tracer != nil {
		tracer = sim.Tee(cfg.Tracer, faults)
	}
	w := sim.NewWorld(sim.Config{Seed: cfg.Seed, Network: net, Tracer: tracer})
	st := &quorumStage{w: w, net: net, cfg: cfg.Store, history: check.NewHistory(), faults: faults}
	for i := 1; i <= cfg.Servers; i++ {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		st.servers = append(st.servers, id)
		store := cfg.Store
		w.AddNode(id, func() sim.Node {
			s, err := quorum.NewServer(store)
			if err != nil {
				panic(err) // validated above
			}
			return s
		})
	}
	for i := 1; i <= cfg.Clients; i++ {
		id := sim.NodeID(fmt.Sprintf("c%d", i))
		cc := cfg.Client
		cc.Clock, cc.N, cc.VNodes, cc.History = w.Now, cfg.Store.N, cfg.Store.VNodes, st.history
		if cfg.Workload != nil {
			wc := *cfg.Workload
			wc.Client = string(id)
			wl, err := quorum.NewWorkload(rand.New(rand.NewPCG(cfg.Seed, uint64(i))), wc)
			if err != nil {
				return nil, err
			}
			cc.Workload = wl
		}
		cl, err := quorum.NewClient(cc)
		if err != nil {
			return nil, err
		}
		st.clients = append(st.clients, cl)
		w.AddClient(id, func() sim.Node { return cl })
	}
	return st, nil
}

// accesses is every finished operation of every client, as the staleness
// analysis reads them.
func (st *quorumStage) accesses() []access {
	var out []access
	for _, cl := range st.clients {
		for _, r := range cl.Records() {
			a := access{client: r.Client, put: r.Op.Kind == check.KVPut, key: r.Op.Key, value: r.Op.Value,
				call: r.Call, ret: r.Return, ok: r.OK, versioned: true, clock: r.Clock, siblings: r.Siblings}
			if !a.put {
				a.value = strings.Join(r.Siblings.Values(), "|")
			}
			out = append(out, a)
		}
	}
	return out
}

// faultLog keeps the fault, crash and restart records of a run, to annotate
// the linearizability visualisation.
type faultLog struct{ records []sim.Record }

func (f *faultLog) Trace(r *sim.Record) {
	switch r.Kind {
	case sim.KindFault, sim.KindCrash, sim.KindRestart:
		f.records = append(f.records, *r)
	}
}

// lockstep advances shadow alongside w: every step of w's clock, shadow
// runs up to the same virtual time. Both are deterministic, so the pair is.
func lockstep(w, shadow *sim.World, every time.Duration) {
	var tick func()
	tick = func() {
		shadow.RunFor(w.Now() - shadow.Now())
		w.After(every, tick)
	}
	w.At(0, tick)
}

// catchUp runs shadow to w's time, at the end of a run.
func catchUp(w, shadow *sim.World) { shadow.RunFor(w.Now() - shadow.Now()) }

// writeTimeline writes porcupine's visualisation to o.ArtifactDir, if set,
// and says where in the summary.
func writeTimeline(o scenarios.Options, name string, res check.Result, r *scenarios.Result) {
	if o.ArtifactDir == "" {
		return
	}
	path := filepath.Join(o.ArtifactDir, fmt.Sprintf("%s-seed-%d.html", name, o.Seed))
	if err := res.WriteVisualizationFile(path); err != nil {
		r.Summary = append(r.Summary, fmt.Sprintf("could not write the linearizability timeline: %v", err))
		return
	}
	r.Summary = append(r.Summary, "linearizability timeline (open in a browser): "+path)
}

func pct(n, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
