package paxos

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/paxos/multipaxos"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "multipaxos-kv",
		Summary: "the Raft scenarios' KV store, unchanged, on Multi-Paxos: the leader crashes under client load and the history stays linearizable",
		Doc: `Five Multi-Paxos servers n1..n5 replicate the same key/value store the
raft-* scenarios use (storage/kv behind consensus/rsm, not a line changed)
for three clients that append and read (one Get for two Appends, over five
keys). At 2s the leader crashes; at 5s it comes back.`,
		LookFor: `a follower's randomised election timeout fires, it runs phase 1
with a higher ballot for every undecided slot, re-proposes what a majority
may have accepted, fills the gaps with no-ops, and from then on runs only
phase 2 for each new command. The clients pause, retry and carry on. The
restarted node reads its promise and its slots back from disk, replays its
decided prefix into a fresh KV store, and learns the rest from the leader.

Checked after every event: at most one value chosen per slot, no node
decides a slot differently, no acceptor accepts below its promise. At the
end: every acknowledged append is in its key's final value exactly once,
and the history is linearizable (porcupine).

With --schedule, the schedule replaces the scripted leader crash, as in
raft-kv, so the two can be run under the same faults.`,
		Chapter: "consensus",
		For:     8 * time.Second,
		Setup:   setupMultiPaxosKV,
	})
}

// faultLog keeps the fault, crash and restart records, to annotate the
// linearizability timeline.
type faultLog struct{ records []sim.Record }

func (f *faultLog) Trace(r *sim.Record) {
	switch r.Kind {
	case sim.KindFault, sim.KindCrash, sim.KindRestart:
		f.records = append(f.records, *r)
	}
}

type mpKV struct {
	w         *sim.World
	servers   []sim.NodeID
	history   *check.History
	faults    *faultLog
	safety    *slotSafety
	violation error
}

func (c *mpKV) node(id sim.NodeID) *multipaxos.Node {
	s, ok := c.w.Node(id).(*rsm.Server)
	if !ok || !c.w.Up(id) {
		return nil
	}
	n, _ := s.Replica().(*multipaxos.Node)
	return n
}

// leader is the up node leading with the highest ballot, or "".
func (c *mpKV) leader() sim.NodeID {
	var best sim.NodeID
	var bb multipaxos.Status
	for _, id := range c.servers {
		if n := c.node(id); n != nil {
			if st := n.Status(); st.Role == multipaxos.Leader && bb.Ballot.Less(st.Ballot) {
				best, bb = id, st
			}
		}
	}
	return best
}

func (c *mpKV) check() {
	if c.violation != nil {
		return
	}
	for _, id := range c.servers {
		if err := c.safety.observe(id, c.node(id)); err != nil {
			c.violation = fmt.Errorf("at %s: %w", sim.FormatTime(c.w.Now()), err)
			c.w.Logf("SAFETY VIOLATION: %v", err)
			return
		}
	}
}

func setupMultiPaxosKV(o scenarios.Options) (*scenarios.Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}})
	if err != nil {
		return nil, err
	}
	faults := &faultLog{}
	var tracer sim.Tracer = faults
	if o.Tracer != nil {
		tracer = sim.Tee(o.Tracer, faults)
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: tracer})
	c := &mpKV{w: w, history: check.NewHistory(), faults: faults, safety: newSlotSafety(5)}
	cfg := multipaxos.DefaultConfig()
	for i := 1; i <= 5; i++ {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		c.servers = append(c.servers, id)
		w.AddNode(id, func() sim.Node {
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return multipaxos.New(cfg, app) }, kv.New())
		})
	}
	for i := 1; i <= 3; i++ {
		id := sim.NodeID(fmt.Sprintf("c%d", i))
		wl, err := kv.NewWorkload(rand.New(rand.NewPCG(o.Seed, uint64(i))), kv.WorkloadConfig{Client: string(id), Ops: 100000, Keys: 5, Get: 1, Append: 2, ReadBack: true, KeyLife: 1000})
		if err != nil {
			return nil, err
		}
		cl, err := rsm.NewClient(rsm.ClientConfig{Workload: wl, History: c.history, Clock: w.Now})
		if err != nil {
			return nil, err
		}
		w.AddClient(id, func() sim.Node { return cl })
	}
	w.AfterStep(c.check)

	scripted := len(o.Schedule) == 0
	crashAt, restartAt := 2*time.Second, 5*time.Second
	var crashed, newLeader sim.NodeID
	var electedAt time.Duration
	if scripted {
		w.At(crashAt, func() {
			crashed = c.leader()
			if crashed == "" {
				w.Logf("no leader to crash at 2s")
				return
			}
			st := c.node(crashed).Status()
			w.Logf("crashing the leader %s (ballot %v, %d slots decided)", crashed, st.Ballot, st.Decided)
			w.Crash(crashed)
		})
		w.AfterStep(func() {
			if crashed != "" && newLeader == "" {
				if l := c.leader(); l != "" && l != crashed {
					newLeader, electedAt = l, w.Now()
					w.Logf("%s leads with ballot %v, %s after the crash", l, c.node(l).Status().Ballot, sim.FormatTime(electedAt-crashAt))
				}
			}
		})
		w.At(restartAt, func() {
			if crashed != "" {
				w.Logf("restarting %s", crashed)
				w.Restart(crashed)
			}
		})
	}

	finish := func() scenarios.Result {
		var r scenarios.Result
		fail := func(err error) {
			if r.Err == nil {
				r.Err = err
			}
		}
		if c.violation != nil {
			fail(c.violation)
		}
		n, gap, gapAt := c.history.Completed()
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: "ops_completed", Value: float64(n), Unit: "ops"},
			scenarios.Metric{Name: "longest_pause", Value: gap.Seconds(), Unit: "s"},
			scenarios.Metric{Name: "ops_last_second", Value: float64(c.history.CompletedSince(w.Now() - time.Second)), Unit: "ops"},
		)
		if scripted {
			switch {
			case crashed == "":
				fail(errors.New("no leader had been elected by 2s"))
			case newLeader == "":
				fail(fmt.Errorf("no new leader after %s crashed", crashed))
			default:
				r.Metrics = append(r.Metrics, scenarios.Metric{Name: "failover_time", Value: (electedAt - crashAt).Seconds(), Unit: "s"})
				r.Summary = append(r.Summary, fmt.Sprintf("leader %s crashed at 2s; %s led %s later", crashed, newLeader, sim.FormatTime(electedAt-crashAt)))
			}
		}
		r.Summary = append(r.Summary, fmt.Sprintf("clients completed %d operations; longest pause %s (from %s)", n, sim.FormatTime(gap), sim.FormatTime(gapAt)))
		if l := c.leader(); l != "" {
			st := c.node(l).Status()
			r.Summary = append(r.Summary, fmt.Sprintf("%s leads with ballot %v; %d slots decided", l, st.Ballot, st.Decided))
			r.Metrics = append(r.Metrics, scenarios.Metric{Name: "slots_decided", Value: float64(st.Decided), Unit: "slots"})
		}
		if store := c.bestStore(); store != nil {
			if err := check.AppendsApplied(c.history, store.Get); err != nil {
				fail(err)
			} else {
				r.Summary = append(r.Summary, "no acknowledged write lost: every acknowledged append is in its key's final value exactly once")
			}
		}
		c.history.Annotate(check.FaultAnnotations(faults.records)...)
		res, err := check.CheckKV(c.history, 30*time.Second)
		switch {
		case err != nil:
			fail(err)
		case res.Verdict != check.Linearizable:
			fail(fmt.Errorf("the history of %d operations is %s", res.Operations, res.Verdict))
		default:
			r.Summary = append(r.Summary, fmt.Sprintf("the history of %d operations is linearizable", res.Operations))
			if o.ArtifactDir != "" {
				path := filepath.Join(o.ArtifactDir, fmt.Sprintf("multipaxos-kv-seed-%d.html", o.Seed))
				if werr := res.WriteVisualizationFile(path); werr == nil {
					r.Summary = append(r.Summary, "linearizability timeline (open in a browser): "+path)
				}
			}
		}
		if c.violation == nil {
			r.Summary = append(r.Summary, "safety held after every event: one value per slot, no decided slot changed, no acceptor below its promise")
		}
		return r
	}
	return &scenarios.Run{World: w, Net: net, Finish: finish}, nil
}

// bestStore is the KV store of the up server that applied the most.
func (c *mpKV) bestStore() *kv.Store {
	var best *kv.Store
	var applied uint64
	for _, id := range c.servers {
		s, ok := c.w.Node(id).(*rsm.Server)
		if !ok || !c.w.Up(id) || (best != nil && s.Applied() < applied) {
			continue
		}
		if st, ok := s.Machine().(*kv.Store); ok {
			best, applied = st, s.Applied()
		}
	}
	return best
}
