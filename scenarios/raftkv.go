package scenarios

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// raftKV is the stage of the raft-* scenarios: Raft servers replicating the
// KV store, closed-loop clients recording a history, and the Raft safety
// properties checked after every event.
type raftKV struct {
	w       *sim.World
	net     *network.Model
	opts    Options
	name    string // the scenario, for artifact file names
	servers []sim.NodeID
	clients []*rsm.Client
	history *check.History
	faults  *faultLog

	safety    check.ElectionSafety
	applied   check.StateMachineSafety
	committed map[sim.NodeID]uint64 // how far each server's commits were checked
	violation error
}

// raftKVConfig shapes a raftKV.
type raftKVConfig struct {
	Servers int
	Raft    func(id sim.NodeID) raft.Config
	// NewReplica builds each server's Raft; nil means raft.New. Tests put
	// a broken Raft here to show the checks catch it.
	NewReplica func(cfg raft.Config, app rsm.Applier) rsm.Replica
	Link       network.LinkConfig
	Clients    int
	// Workload for each client; Client is filled in.
	Workload kv.WorkloadConfig
	// Unchecked leaves out the safety checks after every event and the
	// clients' history: for benchmarks that measure Raft alone.
	Unchecked bool
	// StopClientsAt, if set, is when clients stop issuing new operations,
	// so the cluster can go quiet and its logs converge.
	StopClientsAt time.Duration
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

func newRaftKV(name string, o Options, cfg raftKVConfig) (*raftKV, error) {
	net, err := network.New(network.Config{Link: cfg.Link})
	if err != nil {
		return nil, err
	}
	faults := &faultLog{}
	var tracer sim.Tracer = faults
	switch {
	case cfg.Unchecked:
		tracer = o.Tracer // no history to annotate
	case o.Tracer != nil:
		tracer = sim.Tee(o.Tracer, faults)
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: tracer})
	c := &raftKV{w: w, net: net, opts: o, name: name, history: check.NewHistory(), faults: faults, committed: map[sim.NodeID]uint64{}}
	newReplica := cfg.NewReplica
	if newReplica == nil {
		newReplica = func(cfg raft.Config, app rsm.Applier) rsm.Replica { return raft.New(cfg, app) }
	}
	for i := 1; i <= cfg.Servers; i++ {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		rc := cfg.Raft(id)
		if err := rc.Validate(); err != nil {
			return nil, err
		}
		c.servers = append(c.servers, id)
		w.AddNode(id, func() sim.Node {
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return newReplica(rc, app) }, kv.New())
		})
	}
	for i := 1; i <= cfg.Clients; i++ {
		id := sim.NodeID(fmt.Sprintf("c%d", i))
		wc := cfg.Workload
		wc.Client = string(id)
		wl, err := kv.NewWorkload(rand.New(rand.NewPCG(o.Seed, uint64(i))), wc)
		if err != nil {
			return nil, err
		}
		var workload rsm.Workload = wl
		if stop := cfg.StopClientsAt; stop > 0 {
			workload = rsm.WorkloadFunc(func() (rsm.Op, bool) {
				if w.Now() >= stop {
					return rsm.Op{}, false
				}
				return wl.Next()
			})
		}
		history := c.history
		if cfg.Unchecked {
			history = nil
		}
		cl, err := rsm.NewClient(rsm.ClientConfig{Workload: workload, History: history, Clock: w.Now})
		if err != nil {
			return nil, err
		}
		c.clients = append(c.clients, cl)
		w.AddClient(id, func() sim.Node { return cl })
	}
	if !cfg.Unchecked {
		w.AfterStep(c.checkSafety)
	}
	return c, nil
}

// status is a server's Raft status, if it is up.
func (c *raftKV) status(id sim.NodeID) (raft.Status, bool) {
	s, ok := c.w.Node(id).(*rsm.Server)
	if !ok || !c.w.Up(id) {
		return raft.Status{}, false
	}
	r, ok := s.Replica().(raft.Implementation)
	if !ok {
		return raft.Status{}, false
	}
	return r.Status(), true
}

// checkSafety runs after every event: at most one leader per term, and no
// two servers ever commit different commands at the same index.
func (c *raftKV) checkSafety() {
	if c.violation != nil {
		return
	}
	for _, id := range c.servers {
		st, ok := c.status(id)
		if !ok {
			continue
		}
		if err := c.safety.Observe(id, st.Term, st.Role == raft.Leader); err != nil {
			c.violation = fmt.Errorf("at %s: %w", sim.FormatTime(c.w.Now()), err)
			return
		}
		from := max(c.committed[id], st.SnapshotIndex)
		for i := from + 1; i <= st.CommitIndex; i++ {
			e := st.Log[i-st.SnapshotIndex-1]
			if err := c.applied.Applied(id, i, commitRecord(e)); err != nil {
				c.violation = fmt.Errorf("at %s: %w", sim.FormatTime(c.w.Now()), err)
				return
			}
		}
		if st.CommitIndex > c.committed[id] {
			c.committed[id] = st.CommitIndex
		}
	}
}

// commitRecord is what must agree between servers at an index: the term and
// the command (a no-op has none).
func commitRecord(e raft.Entry) []byte {
	if e.Noop {
		return fmt.Appendf(nil, "term %d: no-op", e.Term)
	}
	return fmt.Appendf(nil, "term %d: %s", e.Term, e.Command)
}

// leader is the up server that leads the highest term, or "".
func (c *raftKV) leader() sim.NodeID {
	var best sim.NodeID
	var bestTerm uint64
	for _, id := range c.servers {
		if st, ok := c.status(id); ok && st.Role == raft.Leader && st.Term >= bestTerm {
			best, bestTerm = id, st.Term
		}
	}
	return best
}

func (c *raftKV) term(id sim.NodeID) uint64 {
	st, _ := c.status(id)
	return st.Term
}

// linearizability checks the clients' history, annotated with the faults.
// With Options.ArtifactDir set it writes porcupine's timeline there as
// NAME-seed-N.html and says so in the summary.
func (c *raftKV) linearizability(r *Result) (check.Result, error) {
	c.history.Annotate(check.FaultAnnotations(c.faults.records)...)
	res, err := check.CheckKV(c.history, 30*time.Second)
	if err == nil && c.opts.ArtifactDir != "" {
		path := filepath.Join(c.opts.ArtifactDir, fmt.Sprintf("%s-seed-%d.html", c.name, c.opts.Seed))
		if werr := res.WriteVisualizationFile(path); werr != nil {
			r.Summary = append(r.Summary, fmt.Sprintf("could not write the linearizability timeline: %v", werr))
		} else {
			r.Summary = append(r.Summary, "linearizability timeline (open in a browser): "+path)
		}
	}
	return res, err
}

// clientOps is how many operations the clients completed.
func (c *raftKV) clientOps() int {
	n := 0
	for _, cl := range c.clients {
		n += cl.Completed()
	}
	return n
}

// store is a server's KV state machine.
func (c *raftKV) store(id sim.NodeID) (*kv.Store, bool) {
	s, ok := c.w.Node(id).(*rsm.Server)
	if !ok {
		return nil, false
	}
	st, ok := s.Machine().(*kv.Store)
	return st, ok
}

// verdict adds the checks every raft-kv style run ends with: safety held
// after every event, no acknowledged append lost or doubled, and a
// linearizable history.
func (c *raftKV) verdict(r *Result) {
	fail := func(err error) {
		if r.Err == nil {
			r.Err = err
		}
	}
	if c.violation != nil {
		fail(c.violation)
	} else {
		r.Summary = append(r.Summary, "safety held after every event: one leader per term, the same command committed at each index everywhere")
	}
	var store *kv.Store
	for _, id := range c.servers {
		if st, ok := c.status(id); ok && st.Role == raft.Leader {
			store, _ = c.store(id)
		}
	}
	if store == nil {
		// No leader now: judge by the server that applied the most.
		var best uint64
		for _, id := range c.servers {
			if s, ok := c.w.Node(id).(*rsm.Server); ok && c.w.Up(id) && s.Applied() >= best {
				best = s.Applied()
				store, _ = c.store(id)
			}
		}
	}
	if store != nil {
		if err := check.AppendsApplied(c.history, store.Get); err != nil {
			fail(err)
		} else {
			r.Summary = append(r.Summary, "no acknowledged write lost: every acknowledged append is in its key's final value exactly once")
		}
	}
	res, err := c.linearizability(r)
	switch {
	case err != nil:
		fail(err)
	case res.Verdict != check.Linearizable:
		fail(fmt.Errorf("the history of %d operations is %s", res.Operations, res.Verdict))
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("the history of %d operations is linearizable", res.Operations))
	}
}

// raftKnobs are the Raft settings a learner may change in the raft-*
// scenarios, with the defaults each scenario runs.
func raftKnobs(servers, clients int, prevote, checkQuorum bool) []Knob {
	return []Knob{
		{Name: "servers", Kind: KnobInt, Default: fmt.Sprint(servers), Min: 3, Max: 9, Doc: "Raft servers in the cluster"},
		{Name: "clients", Kind: KnobInt, Default: fmt.Sprint(clients), Min: 1, Max: 10, Doc: "clients appending and reading"},
		{Name: "election-timeout", Kind: KnobDuration, Default: "150ms", Min: float64(10 * time.Millisecond), Max: float64(5 * time.Second), Doc: "base election timeout ET: a follower waits a random [ET, 2ET) for a leader before it stands"},
		{Name: "heartbeat", Kind: KnobDuration, Default: "50ms", Min: float64(time.Millisecond), Max: float64(time.Second), Doc: "how often a leader sends AppendEntries when it has nothing new"},
		{Name: "prevote", Kind: KnobBool, Default: fmt.Sprint(prevote), Doc: "ask for pre-votes before bumping the term (thesis §9.6)"},
		{Name: "checkquorum", Kind: KnobBool, Default: fmt.Sprint(checkQuorum), Doc: "a leader that has not heard from a majority for an election timeout steps down (thesis §6.2)"},
	}
}

// raftConfig is raft.DefaultConfig with the knobs of raftKnobs applied.
func raftConfig(ks Knobs) raft.Config {
	cfg := raft.DefaultConfig()
	cfg.ElectionTimeout = ks.Duration("election-timeout")
	cfg.HeartbeatInterval = ks.Duration("heartbeat")
	cfg.PreVote = ks.Bool("prevote")
	cfg.CheckQuorum = ks.Bool("checkquorum")
	return cfg
}
