package scenarios

import (
	"errors"
	"fmt"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

func init() {
	Register(Scenario{
		Name:    "raft-failover",
		Summary: "the Raft leader crashes under client load; a new one takes over and no acknowledged write is lost",
		Doc: `Five Raft servers replicate a key/value store for three clients that append
and read as fast as they get answers. At 2s the leader crashes; at 5s it
comes back as a follower and catches up.`,
		LookFor: `the followers' election timers fire within an election timeout or
two, one of them wins a higher term, and the clients, after a pause and
some retries, carry on with it. Nothing acknowledged is lost: every
acknowledged append is in the final value of its key exactly once, and the
whole history is linearizable (checked with porcupine). The summary gives
the clients' longest pause: the price of a failover.`,
		Chapter: "consensus",
		Knobs:   raftKnobs(5, 3, true, true),
		For:     8 * time.Second,
		Broken:  raftBrokenNames(),
		Setup:   setupRaftFailover,
	})
}

func setupRaftFailover(o Options) (*Run, error) {
	c, err := newRaftKV("raft-failover", o, raftKVConfig{
		Servers: o.Knobs.Int("servers"),
		Raft:    func(sim.NodeID) raft.Config { return raftConfig(o.Knobs) },
		NewReplica: func(cfg raft.Config, app rsm.Applier) rsm.Replica {
			return newRaft(o.Broken, cfg, app)
		},
		Link:    network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}},
		Clients: o.Knobs.Int("clients"),
		// Appends with unique values make a lost or doubled write visible.
		Workload: kv.WorkloadConfig{Ops: 100000, Keys: 5, Get: 1, Append: 2, ReadBack: true, KeyLife: 1000},
	})
	if err != nil {
		return nil, err
	}
	w := c.w
	var crashed sim.NodeID
	var crashedTerm uint64
	w.At(2*time.Second, func() {
		crashed = c.leader()
		if crashed == "" {
			w.Logf("no leader to crash at 2s")
			return
		}
		crashedTerm = c.term(crashed)
		w.Logf("crashing the leader %s (term %d)", crashed, crashedTerm)
		w.Crash(crashed)
	})
	var newLeader sim.NodeID
	var electedAt time.Duration
	w.AfterStep(func() {
		if crashed != "" && newLeader == "" {
			if l := c.leader(); l != "" && l != crashed {
				newLeader, electedAt = l, w.Now()
				w.Logf("%s leads term %d, %s after the crash", l, c.term(l), sim.FormatTime(electedAt-2*time.Second))
			}
		}
	})
	w.At(5*time.Second, func() {
		if crashed != "" {
			w.Logf("restarting %s", crashed)
			w.Restart(crashed)
		}
	})

	finish := func() Result {
		var r Result
		fail := func(err error) {
			if r.Err == nil {
				r.Err = err
			}
		}
		n, gap, gapAt := c.history.Completed()
		r.Metrics = append(r.Metrics,
			Metric{"ops_completed", float64(n), "ops"},
			Metric{"longest_pause", gap.Seconds(), "s"},
		)
		switch {
		case crashed == "":
			fail(errors.New("no leader had been elected by 2s"))
		case newLeader == "":
			fail(fmt.Errorf("no new leader after %s crashed", crashed))
		default:
			r.Metrics = append(r.Metrics, Metric{"failover_time", (electedAt - 2*time.Second).Seconds(), "s"})
			r.Summary = append(r.Summary,
				fmt.Sprintf("leader %s (term %d) crashed at 2s; %s was elected in term %d after %s",
					crashed, crashedTerm, newLeader, c.term(newLeader), sim.FormatTime(electedAt-2*time.Second)))
		}
		r.Summary = append(r.Summary, fmt.Sprintf("clients completed %d operations; longest pause %s (from %s)",
			n, sim.FormatTime(gap), sim.FormatTime(gapAt)))

		if c.leader() == "" {
			fail(errors.New("no leader at the end of the run"))
		}
		c.verdict(&r)
		return r
	}
	return &Run{World: w, Net: c.net, Finish: finish}, nil
}
