package storage

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/i18n"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
	"github.com/dsimlab/dsim/storage/quorum"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "cap",
		Summary: "one partition, two stores: Raft (CP) refuses on the minority side; the sloppy-quorum store (AP) answers everywhere, stale",
		Doc: `The course's exercise 1, CAP under a partition. Two stores of five servers
each, side by side in two worlds: the Raft KV (consistency first) and the
quorum store with N=3, W=2, R=2 and a sloppy quorum (availability first).
Each has two clients reading and writing three keys. From 1s to 4s the
network splits both the same way: n1, n2 and client c1 on the minority
side; n3, n4, n5 and client c2 on the majority side. A client gives up on
an operation after about half a second.`,
		LookFor: `on the minority side Raft answers nothing. Its servers cannot
reach a majority, so nothing commits; a leader caught there steps down
(CheckQuorum), and c1's requests time out. Every answer Raft gives, on
either side, is up to date. The quorum store answers on both sides: a
coordinator that cannot reach a key's replicas writes to and reads from
stand-ins on its own side (sloppy quorum), so c1 goes on reading and
writing, but it cannot see what c2 writes on the other side, and vice
versa: its reads are stale. After the heal, hinted handoff and read repair
bring the replicas together, and keys written on both sides come back as
siblings for the clients to merge. The summary gives availability
(operations answered) and staleness (answered reads that missed a write
acknowledged before they began) for each side and each store.`,
		Chapter: "consistency",
		For:     5 * time.Second,
		Setup:   setupCAP,
	})
}

const (
	capCut  = time.Second
	capHeal = 4 * time.Second
)

var (
	capMinority = []sim.NodeID{"n1", "n2", "c1"}
	capMajority = []sim.NodeID{"n3", "n4", "n5", "c2"}
)

func capWorkload(client int) quorum.WorkloadConfig {
	return quorum.WorkloadConfig{Client: fmt.Sprintf("c%d", client), Ops: 1_000_000, Keys: 3}
}

func setupCAP(o scenarios.Options) (*scenarios.Run, error) {
	link := network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}
	store := quorum.DefaultConfig()
	ap, err := newQuorumStage(quorumStageConfig{
		Seed: o.Seed, Tracer: o.Tracer, Link: link, Store: store, Servers: 5, Clients: 2,
		Workload: &quorum.WorkloadConfig{Ops: 1_000_000, Keys: 3}, // the same as capWorkload
		// A coordinator may wait two timeouts (replicas, then stand-ins).
		Client: quorum.ClientConfig{RetryTimeout: 150 * time.Millisecond, Attempts: 4, Pause: 10 * time.Millisecond, AnyReplica: true},
	})
	if err != nil {
		return nil, err
	}
	cpNet, err := network.New(network.Config{Link: link})
	if err != nil {
		return nil, err
	}
	cp := sim.NewWorld(sim.Config{Seed: o.Seed, Network: cpNet})
	rc := raft.DefaultConfig()
	if err := rc.Validate(); err != nil {
		return nil, err
	}
	for i := 1; i <= 5; i++ {
		cp.AddNode(sim.NodeID(fmt.Sprintf("n%d", i)), func() sim.Node {
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return raft.New(rc, app) }, kv.New())
		})
	}
	var cpClients []*raftClient
	for i := 1; i <= 2; i++ {
		wl, err := quorum.NewWorkload(rand.New(rand.NewPCG(o.Seed, uint64(i))), capWorkload(i))
		if err != nil {
			return nil, err
		}
		cl := &raftClient{workload: wl, clock: cp.Now, giveUp: 450 * time.Millisecond, retry: 150 * time.Millisecond}
		cpClients = append(cpClients, cl)
		cp.AddClient(sim.NodeID(fmt.Sprintf("c%d", i)), func() sim.Node { return cl })
	}

	w := ap.w
	lockstep(w, cp, 10*time.Millisecond)
	w.At(0, func() {
		w.Logf("AP: the quorum store (N=3, W=2, R=2, sloppy quorum); CP: the Raft KV in a shadow world; both on five servers")
	})
	w.At(capCut, func() {
		w.Logf("partition in both worlds: %v | %v", capMinority, capMajority)
		_ = ap.net.Partition(capMinority, capMajority)
	})
	// The shadow world plays the same faults at the same virtual times.
	cp.At(capCut, func() { _ = cpNet.Partition(capMinority, capMajority) })
	cp.At(capHeal, cpNet.Heal)
	w.At(capHeal, func() {
		w.Logf("healing both networks: hinted handoff and read repair reconcile the quorum store; Raft's minority catches up from the leader")
		ap.net.Heal()
	})

	finish := func() scenarios.Result {
		catchUp(w, cp)
		var r scenarios.Result
		apAcc := ap.accesses()
		var cpAcc []access
		for _, cl := range cpClients {
			cpAcc = append(cpAcc, cl.records...)
		}
		apStats := capSides(apAcc)
		cpStats := capSides(cpAcc)
		siblingReads := 0
		for _, a := range apAcc {
			if !a.put && a.ok && a.call >= capHeal && len(a.siblings) > 1 {
				siblingReads++
			}
		}
		p := o.Printer
		row := func(label, x, y string) string {
			return i18n.Pad(label, 26) + " " + i18n.PadLeft(x, 14) + " " + i18n.PadLeft(y, 14)
		}
		r.Summary = append(r.Summary,
			p.T("partition from %s to %s: minority {n1,n2,c1}, majority {n3,n4,n5,c2}", sim.FormatTime(capCut), sim.FormatTime(capHeal)),
			row(p.T("during the partition"), p.T("minority (c1)"), p.T("majority (c2)")),
			row(p.T("CP (Raft) availability"), cpStats[0].availability(), cpStats[1].availability()),
			row(p.T("CP (Raft) stale reads"), cpStats[0].staleness(), cpStats[1].staleness()),
			row(p.T("AP (quorum) availability"), apStats[0].availability(), apStats[1].availability()),
			row(p.T("AP (quorum) stale reads"), apStats[0].staleness(), apStats[1].staleness()),
			p.T("after the heal, %d reads of the quorum store returned siblings (concurrent writes, those of the two sides among them), which the clients merged by writing over them", siblingReads),
			p.T("CP: the minority cannot form a majority, so it answers nothing rather than something old; AP: every side answers, and pays in staleness and conflicts"),
		)
		for i, side := range []string{"minority", "majority"} {
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: "cp_availability_" + side, Value: ratio(cpStats[i].ok, cpStats[i].ops), Unit: "fraction"},
				scenarios.Metric{Name: "cp_staleness_" + side, Value: ratio(cpStats[i].stale, cpStats[i].reads), Unit: "fraction"},
				scenarios.Metric{Name: "ap_availability_" + side, Value: ratio(apStats[i].ok, apStats[i].ops), Unit: "fraction"},
				scenarios.Metric{Name: "ap_staleness_" + side, Value: ratio(apStats[i].stale, apStats[i].reads), Unit: "fraction"},
			)
		}
		r.Metrics = append(r.Metrics, scenarios.Metric{Name: "ap_sibling_reads_after_heal", Value: float64(siblingReads), Unit: "reads"})
		switch {
		case cpStats[0].stale+cpStats[1].stale > 0:
			r.Err = fmt.Errorf("the Raft store (CP) returned a stale read")
		case !o.Scripted():
			r.Summary = append(r.Summary, scenarios.Unscripted(o.Printer, o)...)
		case cpStats[0].ops == 0 || cpStats[1].ops == 0 || apStats[0].ops == 0 || apStats[1].ops == 0:
			r.Err = fmt.Errorf("a client issued nothing during the partition")
		case cpStats[0].ok > 0:
			r.Err = fmt.Errorf("the Raft store answered %s of the minority's operations", cpStats[0].availability())
		case ratio(cpStats[1].ok, cpStats[1].ops) < 0.5:
			r.Err = fmt.Errorf("the Raft store answered only %s of the majority's operations", cpStats[1].availability())
		case ratio(apStats[0].ok, apStats[0].ops) < 0.8 || ratio(apStats[1].ok, apStats[1].ops) < 0.8:
			r.Err = fmt.Errorf("the sloppy-quorum store answered only %s and %s", apStats[0].availability(), apStats[1].availability())
		case apStats[0].stale+apStats[1].stale == 0:
			r.Err = fmt.Errorf("the sloppy-quorum store showed no stale read during the partition")
		}
		return r
	}
	return &scenarios.Run{World: w, Net: ap.net, Finish: finish}, nil
}

// capSide is what one client saw during the partition.
type capSide struct{ ops, ok, reads, stale int }

func (s capSide) availability() string {
	return fmt.Sprintf("%s (%d/%d)", pct(s.ok, s.ops), s.ok, s.ops)
}
func (s capSide) staleness() string {
	return fmt.Sprintf("%s (%d/%d)", pct(s.stale, s.reads), s.stale, s.reads)
}

// capSides measures c1 (minority) and c2 (majority) over the operations
// invoked during the partition. An operation counts as answered only if
// the answer came before the heal: one that waited out the partition and
// succeeded after it was not available during it.
func capSides(acc []access) [2]capSide {
	var out [2]capSide
	during := func(a access) bool { return a.call >= capCut && a.call < capHeal }
	answered := func(a access) bool { return a.ok && a.ret < capHeal }
	side := func(a access) int {
		if a.client == "c1" {
			return 0
		}
		return 1
	}
	for _, a := range acc {
		if !during(a) {
			continue
		}
		s := &out[side(a)]
		s.ops++
		if answered(a) {
			s.ok++
			if !a.put {
				s.reads++
			}
		}
	}
	stale, _ := staleReads(acc)
	for _, st := range stale {
		if during(st.read) && answered(st.read) {
			out[side(st.read)].stale++
		}
	}
	return out
}
