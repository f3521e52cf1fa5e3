package storage

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/i18n"
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
three (N=3); five clients read and write five keys as fast as they are
answered. The store runs with W=2, R=2: a write is acknowledged once two
replicas stored it, a read answers once two replicas replied. At 1s n3
crashes; at 3s it comes back, with only what it had stored before. A
coordinator waits "timeout" for its replicas before it gives up on the
silent ones (its failure detector) and the client tries another.

Change N, W and R with --set (dsim run quorum-kv --set W=1 --set R=1) and
compare: the second column always runs W=1, R=1 on the same workload.`,
		LookFor: `reads and writes go on while n3 is down (availability stays near
100%; requests that first went to n3 are retried elsewhere after a
timeout). No read is stale: W+R = 4 > N = 3, so any two replicas that
stored a write and any two that answer a read share at least one node, and
that node has the write. The same run, side by side in a second world, with
W=1, R=1 is faster and just as available, but 1+1 is not more than 3: a
read can ask only a replica the write has not reached yet (n3, just back,
or any replica a moment before the write arrives), and it returns an old
value. The summary counts those stale reads: reads that returned only
values overwritten before the read began.`,
		Chapter: "storage",
		Knobs: []scenarios.Knob{
			{Name: "N", Kind: scenarios.KnobInt, Default: "3", Min: 1, Max: 5, Doc: "replicas per key (servers: N, at least 3)"},
			{Name: "W", Kind: scenarios.KnobInt, Default: "2", Min: 1, Max: 5, Doc: "replicas that must store a write before it is acknowledged (at most N)"},
			{Name: "R", Kind: scenarios.KnobInt, Default: "2", Min: 1, Max: 5, Doc: "replicas that must answer a read (at most N)"},
			{Name: "timeout", Kind: scenarios.KnobDuration, Default: "50ms", Min: float64(time.Millisecond), Max: float64(2 * time.Second), Doc: "how long a coordinator waits for replicas before it treats the silent ones as failed"},
		},
		For:   5 * time.Second,
		Setup: setupQuorumKV,
	})
}

func quorumKVStage(o scenarios.Options, n, w, r int, tracer sim.Tracer) (*quorumStage, error) {
	store := quorum.DefaultConfig()
	store.N, store.W, store.R = n, w, r
	store.Timeout = o.Knobs.Duration("timeout")
	store.SloppyQuorum = false // three nodes hold every key: there is nobody to stand in
	return newQuorumStage(quorumStageConfig{
		Seed:     o.Seed,
		Tracer:   tracer,
		Link:     network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 10 * time.Millisecond}},
		Store:    store,
		Servers:  max(n, 3),
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
	n, wq, rq := o.Knobs.Int("N"), o.Knobs.Int("W"), o.Knobs.Int("R")
	if wq > n || rq > n {
		return nil, fmt.Errorf("quorums W=%d and R=%d must be at most N=%d: a quorum cannot be larger than the replicas", wq, rq, n)
	}
	cfg := fmt.Sprintf("W=%d, R=%d", wq, rq)
	overlap := wq+rq > n
	// With n3 down, a key it replicates has N-1 replicas left: a strict
	// quorum of W (or R) is reachable only if it is at most N-1.
	survives := wq <= n-1 && rq <= n-1
	tuned, err := quorumKVStage(o, n, wq, rq, o.Tracer)
	if err != nil {
		return nil, err
	}
	loose, err := quorumKVStage(o, n, 1, 1, nil)
	if err != nil {
		return nil, err
	}
	w := tuned.w
	lockstep(w, loose.w, 10*time.Millisecond)
	const crashAt, restartAt = time.Second, 3 * time.Second
	w.At(0, func() {
		if overlap {
			w.Logf("N=%d replicas, %s: W+R=%d > N=%d, so every read quorum shares a replica with every write quorum", n, cfg, wq+rq, n)
		} else {
			w.Logf("N=%d replicas, %s: W+R=%d <= N=%d, so a read quorum can miss every replica of a write quorum", n, cfg, wq+rq, n)
		}
		w.Logf("(a shadow world runs the same workload with W=1, R=1: 1+1 <= %d, quorums need not overlap)", n)
	})
	w.At(crashAt, func() {
		w.Logf("crashing n3: keys it replicates have %d replicas left", n-1)
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
		a := measureQuorumKV(tuned, crashAt, restartAt)
		b := measureQuorumKV(loose, crashAt, restartAt)
		p := o.Printer
		row := func(label, x, y string) string {
			return fmt.Sprintf("%s %12s %12s", i18n.Pad(label, 28), x, y)
		}
		r.Summary = append(r.Summary,
			p.T("N=%d, %d servers, n3 down from 1s to 3s; the same workload under two quorum settings:", n, max(n, 3)),
			row("", cfg, "W=1, R=1"),
			row(p.T("operations completed"), fmt.Sprint(a.ok), fmt.Sprint(b.ok)),
			row(p.T("availability, n3 down"), pct(a.downOK, a.downOps), pct(b.downOK, b.downOps)),
			row(p.T("availability, whole run"), pct(a.ok, a.ops), pct(b.ok, b.ops)),
			row(p.T("stale reads"), fmt.Sprintf("%d/%d", len(a.stale), a.reads), fmt.Sprintf("%d/%d", len(b.stale), b.reads)),
		)
		first := func(label string, st []staleRead) {
			if len(st) == 0 {
				return
			}
			s := st[0]
			r.Summary = append(r.Summary, p.T("first stale read with %s: %s read %s at %s and got %q, missing %q, acknowledged to %s at %s",
				label, s.read.client, s.read.key, sim.FormatTime(s.read.call), s.read.value, s.missed.value, s.missed.client, sim.FormatTime(s.missed.ret)))
		}
		first(cfg, a.stale)
		if cfg != "W=1, R=1" {
			first("W=1, R=1", b.stale)
		}
		if overlap {
			r.Summary = append(r.Summary, p.T("W+R > N (%d > %d): a read's R replicas and the latest write's W replicas cannot be disjoint among N, so some replica the read asks has the write", wq+rq, n))
		} else {
			r.Summary = append(r.Summary, p.T("W+R <= N (%d <= %d): a read's R replicas can all miss the latest write's W replicas; %d of %d reads were stale", wq+rq, n, len(a.stale), a.reads))
		}
		if !survives {
			r.Summary = append(r.Summary, p.T("with n3 down, keys it replicates have %d replicas left, fewer than W=%d or R=%d: those operations cannot complete", n-1, wq, rq))
		}
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: "availability_down", Value: ratio(a.downOK, a.downOps), Unit: "fraction"},
			scenarios.Metric{Name: "availability_down_w1r1", Value: ratio(b.downOK, b.downOps), Unit: "fraction"},
			scenarios.Metric{Name: "ops", Value: float64(a.ok), Unit: "ops"},
			scenarios.Metric{Name: "ops_w1r1", Value: float64(b.ok), Unit: "ops"},
			scenarios.Metric{Name: "stale_reads", Value: float64(len(a.stale)), Unit: "reads"},
			scenarios.Metric{Name: "stale_reads_w1r1", Value: float64(len(b.stale)), Unit: "reads"},
			scenarios.Metric{Name: "reads", Value: float64(a.reads), Unit: "reads"},
		)
		// The promise of overlapping quorums holds for any knobs; the
		// lessons about availability and about W=1, R=1 only for the
		// settings that can show them.
		switch {
		case overlap && len(a.stale) > 0:
			s := a.stale[0]
			r.Err = fmt.Errorf("%s (W+R > N) returned a stale read: %s read %s at %s and got %q, missing the acknowledged %q",
				cfg, s.read.client, s.read.key, sim.FormatTime(s.read.call), s.read.value, s.missed.value)
		case !o.Scripted():
			r.Summary = append(r.Summary, scenarios.Unscripted(o.Printer, o)...)
		case survives && (a.downOps == 0 || ratio(a.downOK, a.downOps) < 0.95):
			r.Err = fmt.Errorf("with n3 down only %s of operations were answered", pct(a.downOK, a.downOps))
		case n == 3 && len(b.stale) == 0:
			r.Err = fmt.Errorf("W=1, R=1 showed no stale read in %d reads", b.reads)
		}
		return r
	}
	return &scenarios.Run{World: w, Net: tuned.net, Finish: finish}, nil
}
