package storage

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/quorum"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "quorum-kv",
		Summary: "three replicas, W=2 R=2: a node fails and the store stays available; with W=1 R=1 reads go stale",
		Doc: `The course's exercise 3. Three quorum-store servers keep every key on all
three (N=3); three clients read and write a few keys as fast as they are
answered. The store runs with W=2, R=2: a write is acknowledged once two
replicas stored it, a read answers once two replicas replied. At 1s n3
crashes; at 3s it comes back, with only what it had stored before.

Look for: reads and writes go on while n3 is down (availability stays near
100%; requests that first went to n3 are retried elsewhere after a
timeout). No read is stale: W+R = 4 > N = 3, so any two replicas that
stored a write and any two that answer a read share at least one node, and
that node has the write. The same run, side by side in a second world, with
W=1, R=1 is faster and just as available, but 1+1 is not more than 3: a
read can ask only a replica the write has not reached yet (n3, just back,
or any replica a moment before the write arrives), and it returns an old
value. The summary counts those stale reads: reads that returned only
values overwritten before the read began.`,
		For:   5 * time.Second,
		Setup: setupQuorumKV,
	})
}

func quorumKVStage(o scenarios.Options, w, r int, tracer sim.Tracer) (*quorumStage, error) {
	store := quorum.DefaultConfig()
	store.W, store.R = w, r
	store.SloppyQuorum = false // three nodes hold every key: there is nobody to stand in
	return newQuorumStage(quorumStageConfig{
		Seed:     o.Seed,
		Tracer:   tracer,
		Link:     network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 10 * time.Millisecond}},
		Store:    store,
		Servers:  3,
		Clients:  5,
		Workload: &quorum.WorkloadConfig{Ops: 1_000_000, Keys: 5},
		Client:   quorum.ClientConfig{AnyReplica: true},
	})
}

// quorumKVStats is one configuration's outcome.
type quorumKVStats struct {
	ops, ok         int
	downOps, downOK int // operations invoked while n3 was down
	stale           []staleRead
	reads           int
}

func measureQuorumKV(st *quorumStage, downFrom, downTo time.Duration) quorumKVStats {
	var s quorumKVStats
	acc := st.accesses()
	for _, a := range acc {
		s.ops++
		if a.ok {
			s.ok++
		}
		if a.call >= downFrom && a.call < downTo {
			s.downOps++
			if a.ok {
				s.downOK++
			}
		}
	}
	s.stale, s.reads = staleReads(acc)
	return s
}

func setupQuorumKV(o scenarios.Options) (*scenarios.Run, error) {
	strict, err := quorumKVStage(o, 2, 2, o.Tracer)
	if err != nil {
		return nil, err
	}
	loose, err := quorumKVStage(o, 1, 1, nil)
	if err != nil {
		return nil, err
	}
	w := strict.w
	lockstep(w, loose.w, 10*time.Millisecond)
	const crashAt, restartAt = time.Second, 3 * time.Second
	w.At(0, func() {
		w.Logf("N=3 replicas, W=2, R=2: W+R=4 > N=3, so every read quorum shares a replica with every write quorum")
		w.Logf("(a shadow world runs the same workload with W=1, R=1: 1+1 <= 3, quorums need not overlap)")
	})
	w.At(crashAt, func() {
		w.Logf("crashing n3: two replicas are left, still a write quorum (2) and a read quorum (2)")
		w.Crash("n3")
		loose.w.Crash("n3")
	})
	w.At(restartAt, func() {
		w.Logf("restarting n3: it missed every write of the last two seconds; overlapping quorums hide that, read repair fixes it key by key")
		w.Restart("n3")
		loose.w.Restart("n3")
	})
	finish := func() scenarios.Result {
		catchUp(w, loose.w)
		var r scenarios.Result
		a := measureQuorumKV(strict, crashAt, restartAt)
		b := measureQuorumKV(loose, crashAt, restartAt)
		r.Summary = append(r.Summary,
			"three replicas, n3 down from 1s to 3s; the same workload under two quorum settings:",
			fmt.Sprintf("%-28s %12s %12s", "", "W=2, R=2", "W=1, R=1"),
			fmt.Sprintf("%-28s %12d %12d", "operations completed", a.ok, b.ok),
			fmt.Sprintf("%-28s %12s %12s", "availability, n3 down", pct(a.downOK, a.downOps), pct(b.downOK, b.downOps)),
			fmt.Sprintf("%-28s %12s %12s", "availability, whole run", pct(a.ok, a.ops), pct(b.ok, b.ops)),
			fmt.Sprintf("%-28s %12s %12s", "stale reads", fmt.Sprintf("%d/%d", len(a.stale), a.reads), fmt.Sprintf("%d/%d", len(b.stale), b.reads)),
		)
		if len(b.stale) > 0 {
			s := b.stale[0]
			r.Summary = append(r.Summary, fmt.Sprintf("first stale read with W=1, R=1: %s read %s at %s and got %q, missing %q, acknowledged to %s at %s",
				s.read.client, s.read.key, sim.FormatTime(s.read.call), s.read.value, s.missed.value, s.missed.client, sim.FormatTime(s.missed.ret)))
		}
		r.Summary = append(r.Summary, "W+R > N: a read's R replicas and the latest write's W replicas cannot be disjoint among N, so some replica the read asks has the write")
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: "availability_down_w2r2", Value: ratio(a.downOK, a.downOps), Unit: "fraction"},
			scenarios.Metric{Name: "availability_down_w1r1", Value: ratio(b.downOK, b.downOps), Unit: "fraction"},
			scenarios.Metric{Name: "ops_w2r2", Value: float64(a.ok), Unit: "ops"},
			scenarios.Metric{Name: "ops_w1r1", Value: float64(b.ok), Unit: "ops"},
			scenarios.Metric{Name: "stale_reads_w2r2", Value: float64(len(a.stale)), Unit: "reads"},
			scenarios.Metric{Name: "stale_reads_w1r1", Value: float64(len(b.stale)), Unit: "reads"},
			scenarios.Metric{Name: "reads_w2r2", Value: float64(a.reads), Unit: "reads"},
		)
		switch {
		case len(a.stale) > 0:
			s := a.stale[0]
			r.Err = fmt.Errorf("W=2, R=2 returned a stale read: %s read %s at %s and got %q, missing the acknowledged %q",
				s.read.client, s.read.key, sim.FormatTime(s.read.call), s.read.value, s.missed.value)
		case a.downOps == 0 || ratio(a.downOK, a.downOps) < 0.95:
			r.Err = fmt.Errorf("with n3 down only %s of operations were answered", pct(a.downOK, a.downOps))
		case len(b.stale) == 0:
			r.Err = fmt.Errorf("W=1, R=1 showed no stale read in %d reads", b.reads)
		}
		return r
	}
	return &scenarios.Run{World: w, Net: strict.net, Finish: finish}, nil
}
