package scenarios

import (
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

func init() {
	Register(Scenario{
		Name:    "raft-kv",
		Summary: "a Raft-replicated KV store under client load; bring your own faults with --schedule",
		Doc: `Five Raft servers replicate a key/value store for three clients that append
and read. The scenario injects no faults itself: give it a fault schedule
with --schedule (crashes, partitions, loss, clock skew...) and it checks
what must hold whatever the faults: at most one leader per term and the
same command committed at each index on every server, after every event;
no acknowledged append lost or applied twice; a linearizable history.

The property test TestRaftKVSurvivesRandomFaults draws schedules for it,
and prints any failing one, shrunk, in this format, ready to replay:

    dsim run raft-kv --seed 1 --schedule faults.txt`,
		LookFor: `whatever faults your schedule plays, the checks hold: one leader per
term, the same command at each index on every server, no acknowledged
append lost or applied twice, a linearizable history. Faults change how
long the clients wait, not what they read. A schedule that breaks a check
is a bug in Raft (or in your node): replay it with the printed command.`,
		Chapter: "consensus",
		Knobs:   raftKnobs(5, 3, true, true),
		For:     10 * time.Second,
		Setup:   func(o Options) (*Run, error) { return setupRaftKV(o, raftKVConfig{}) },
	})
}

// setupRaftKV builds the raft-kv run; base may set NewReplica.
func setupRaftKV(o Options, base raftKVConfig) (*Run, error) {
	cfg := base
	cfg.Servers = o.Knobs.Int("servers")
	rc := raftConfig(o.Knobs)
	cfg.Raft = func(sim.NodeID) raft.Config { return rc }
	cfg.Link = network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 10 * time.Millisecond}}
	cfg.Clients = o.Knobs.Int("clients")
	cfg.Workload = kv.WorkloadConfig{Ops: 100000, Keys: 5, Get: 1, Append: 2, ReadBack: true, KeyLife: 1000}
	c, err := newRaftKV("raft-kv", o, cfg)
	if err != nil {
		return nil, err
	}
	return &Run{World: c.w, Net: c.net, Finish: func() Result {
		var r Result
		n, gap, gapAt := c.history.Completed()
		r.Summary = append(r.Summary, o.Printer.T("clients completed %d operations; longest pause %s (from %s)", n, sim.FormatTime(gap), sim.FormatTime(gapAt)))
		c.verdict(&r)
		r.Metrics = []Metric{
			{"ops_completed", float64(n), "ops"},
			{"longest_pause", gap.Seconds(), "s"},
			{"ops_last_second", float64(c.history.CompletedSince(c.w.Now() - time.Second)), "ops"},
		}
		return r
	}}, nil
}
