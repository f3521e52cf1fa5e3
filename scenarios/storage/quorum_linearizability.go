package storage

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/quorum"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "quorum-linearizability",
		Summary: "W+R>N is not linearizable: a read sees a write in progress, a later read does not; ABD write-back fixes it",
		Doc: `Three quorum-store servers, N=3, W=2, R=2, so W+R > N. Client cw writes
x=0, then x=1 through n1; ca and cb read x through n2 and n3. A scripted
network makes the write of x=1 slow to spread: when it starts, n1's links
to n2 and n3 are cut, so only n1 stores it and the write waits for a
second replica (it gets one when its retry reaches n2, later).

At 30ms ca reads through n2: n3's answer cannot reach n2, so it hears n2
(x=0) and n1 (x=1), and returns x=1, the newer version. At 45ms, after
ca's read has returned, cb reads through n3: n1's answer cannot reach n3,
so it hears n3 and n2, both x=0,
and returns x=0. Each read met a read quorum; each overlaps every write
quorum; and still a read returned the new value and a later read the old
one. No order of the operations explains that: the history is not
linearizable, and porcupine says so (with --artifacts DIR, open the HTML
timeline: the two reads are the operations it cannot place).

A shadow world replays the same schedule with reads that write back (ABD):
before answering, ca writes x=1 to two replicas, so every later read quorum
meets it, and cb returns x=1. That history is linearizable. Read repair is
off in both worlds: it is the same write-back, but done after answering,
so it narrows the window without closing it.`,
		LookFor: `ca's read returns x=1 and cb's later read returns x=0, although each met
a read quorum that overlaps every write quorum: W+R>N does not make a
quorum store linearizable, and porcupine says so. The ABD world's reads
write back before answering, and its history is linearizable.`,
		Chapter: "consistency",
		For:     500 * time.Millisecond,
		Setup:   setupQuorumLinearizability,
	})
}

// linStage is one world of the scripted run; reads() gives the two reads'
// answers from its history.
type linStage struct {
	*quorumStage
}

func newLinStage(o scenarios.Options, writeBack bool, tracer sim.Tracer) (*linStage, error) {
	store := quorum.DefaultConfig()
	store.SloppyQuorum, store.ReadRepair, store.WriteBackReads = false, false, writeBack
	st, err := newQuorumStage(quorumStageConfig{
		Seed:    o.Seed,
		Tracer:  tracer,
		Link:    network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 3 * time.Millisecond}},
		Store:   store,
		Servers: 3,
		Clients: 0,
	})
	if err != nil {
		return nil, err
	}
	ls := &linStage{quorumStage: st}
	w := st.w
	for _, c := range []struct{ id, coord sim.NodeID }{{"cw", "n1"}, {"ca", "n2"}, {"cb", "n3"}} {
		cl, err := quorum.NewClient(quorum.ClientConfig{History: st.history, Clock: w.Now, N: store.N, VNodes: store.VNodes, Coordinator: c.coord, Attempts: 5})
		if err != nil {
			return nil, err
		}
		st.clients = append(st.clients, cl)
		w.AddClient(c.id, func() sim.Node { return cl })
	}
	do := func(at time.Duration, client sim.NodeID, op quorum.Op) {
		w.At(at, func() {
			err := w.Exec(client, func(n sim.Node, env sim.Env) {
				if err := n.(*quorum.Client).Do(env, op); err != nil {
					w.Logf("%v", err)
				}
			})
			if err != nil {
				w.Logf("%v", err)
			}
		})
	}
	do(1*time.Millisecond, "cw", quorum.Op{Kind: check.KVPut, Key: "x", Value: "0"})
	// The first put is answered by 13ms at the latest (four hops of at
	// most 3ms after it starts at 1ms); cw has one operation at a time.
	w.At(14*time.Millisecond, func() {
		_ = st.net.Cut("n1", "n2")
		_ = st.net.Cut("n1", "n3")
	})
	do(15*time.Millisecond, "cw", quorum.Op{Kind: check.KVPut, Key: "x", Value: "1"})
	w.At(20*time.Millisecond, func() {
		st.net.Heal()
		_ = st.net.Cut("n1", "n3") // cb's read through n3 must not hear n1
		_ = st.net.Cut("n3", "n2") // ca's read through n2 must hear n1, not n3
	})
	do(30*time.Millisecond, "ca", quorum.Op{Kind: check.KVGet, Key: "x"})
	// ca is answered by 42ms at the latest (four hops of at most 3ms).
	w.At(44*time.Millisecond, func() {
		st.net.Heal()
		_ = st.net.Cut("n1", "n3")
	})
	do(45*time.Millisecond, "cb", quorum.Op{Kind: check.KVGet, Key: "x"})
	w.At(200*time.Millisecond, st.net.Heal)
	return ls, nil
}

// reads returns what ca and cb read, "" if they got no answer.
func (ls *linStage) reads() (a, b string) {
	for _, op := range ls.history.Operations() {
		if in := op.Input.(check.KVInput); in.Op == check.KVGet && op.Returned {
			switch op.Client {
			case "ca":
				a = op.Output.(check.KVOutput).Value
			case "cb":
				b = op.Output.(check.KVOutput).Value
			}
		}
	}
	return a, b
}

func (ls *linStage) check() (check.Result, error) {
	ls.history.Annotate(check.FaultAnnotations(ls.faults.records)...)
	return check.CheckKV(ls.history, 10*time.Second)
}

func setupQuorumLinearizability(o scenarios.Options) (*scenarios.Run, error) {
	plain, err := newLinStage(o, false, o.Tracer)
	if err != nil {
		return nil, err
	}
	abd, err := newLinStage(o, true, nil)
	if err != nil {
		return nil, err
	}
	w := plain.w
	lockstep(w, abd.w, 5*time.Millisecond)
	w.At(0, func() {
		w.Logf("N=3, W=2, R=2: every read quorum overlaps every write quorum. Watch whether that makes reads linearizable.")
	})
	w.At(14*time.Millisecond, func() {
		w.Logf("cutting n1->n2 and n1->n3: the write of x=1 through n1 will reach only n1 for now")
	})
	w.At(20*time.Millisecond, func() {
		w.Logf("n1->n2 restored; n1->n3 and n3->n2 cut: ca (through n2) will hear n1 and not n3")
	})
	w.At(44*time.Millisecond, func() {
		a, _ := plain.reads()
		w.Logf("ca read x=%q: it met n1, the one replica with the write in progress", a)
		w.Logf("n3->n2 restored, n1->n3 still cut: cb (through n3) will hear n2 and not n1")
	})
	w.At(60*time.Millisecond, func() {
		_, b := plain.reads()
		w.Logf("cb, starting after ca returned, read x=%q: its quorum {n2,n3} has not seen the write yet", b)
	})
	finish := func() scenarios.Result {
		catchUp(w, abd.w)
		var r scenarios.Result
		fail := func(err error) {
			if r.Err == nil {
				r.Err = err
			}
		}
		pa, pb := plain.reads()
		aa, ab := abd.reads()
		resPlain, err := plain.check()
		if err != nil {
			fail(err)
			return r
		}
		resABD, err := abd.check()
		if err != nil {
			fail(err)
			return r
		}
		r.Summary = append(r.Summary,
			"cw writes x=1 through n1 from 15ms (acknowledged only later); ca reads at 30ms, cb at 45ms, after ca returned:",
			fmt.Sprintf("%-24s %10s %10s  %s", "", "ca read", "cb read", "porcupine"),
			fmt.Sprintf("%-24s %10q %10q  %s", "W+R>N quorum reads", pa, pb, resPlain.Verdict),
			fmt.Sprintf("%-24s %10q %10q  %s", "ABD reads (write back)", aa, ab, resABD.Verdict),
			"overlapping quorums guarantee a read meets the latest *completed* write; a write still in progress can be seen by one read and missed by the next",
			"ABD: a read writes what it returns to W replicas before answering, so every later read quorum meets it")
		writeTimeline(o, "quorum-linearizability", resPlain, &r)
		writeTimeline(o, "quorum-linearizability-abd", resABD, &r)
		flag := func(b bool) float64 {
			if b {
				return 1
			}
			return 0
		}
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: "linearizable_quorum", Value: flag(resPlain.Verdict == check.Linearizable), Unit: "bool"},
			scenarios.Metric{Name: "linearizable_abd", Value: flag(resABD.Verdict == check.Linearizable), Unit: "bool"},
		)
		switch {
		case pa != "1" || pb != "0":
			fail(fmt.Errorf("the schedule did not play out: quorum reads returned %q then %q, want \"1\" then \"0\"", pa, pb))
		case resPlain.Verdict != check.NotLinearizable:
			fail(fmt.Errorf("porcupine found the plain quorum history %s", resPlain.Verdict))
		case aa != "1" || ab != "1":
			fail(fmt.Errorf("ABD reads returned %q then %q, want \"1\" twice", aa, ab))
		case resABD.Verdict != check.Linearizable:
			fail(fmt.Errorf("porcupine found the ABD history %s", resABD.Verdict))
		}
		return r
	}
	return &scenarios.Run{World: w, Net: plain.net, Finish: finish}, nil
}
