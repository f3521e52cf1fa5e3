package scenarios

import (
	"errors"
	"fmt"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

func init() {
	Register(Scenario{
		Name:    "raft-partition",
		Summary: "a Raft leader cut off in a minority cannot commit; the majority elects another; after healing the logs converge",
		Doc: `Five Raft servers, two clients. At 1s the network splits: the leader, one
follower and client c1 on one side; the other three servers and client c2
on the other.`,
		LookFor: `the old leader keeps accepting c1's requests into its log but can
never commit them: it cannot reach a majority. With CheckQuorum on (the
default) it notices within an election timeout and steps down. The majority
side times out, elects a leader in a higher term, and serves c2. At 4s the
partition heals: the old leader's uncommitted entries are overwritten by the
new leader's log, every log converges, and c1's requests, retried, finally
complete. The clients stop at 6s; by 7s every log holds the same entries.
The history stays linearizable throughout.`,
		Chapter: "consensus",
		Knobs:   raftKnobs(5, 2, true, true)[2:], // the split needs five servers and two clients
		For:     7 * time.Second,
		Setup:   setupRaftPartition,
	})
}

func setupRaftPartition(o Options) (*Run, error) {
	c, err := newRaftKV("raft-partition", o, raftKVConfig{
		Servers:  5,
		Raft:     func(sim.NodeID) raft.Config { return raftConfig(o.Knobs) },
		Link:     network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}},
		Clients:  2,
		Workload: kv.WorkloadConfig{Ops: 100000, Keys: 5, Get: 1, Append: 2, ReadBack: true, KeyLife: 1000},
		// The clients stop at 6s, so the logs can be compared at rest.
		StopClientsAt: 6 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	w := c.w
	var old, buddy sim.NodeID
	var oldTerm, commitAtCut, oldMaxCommit uint64
	var oldLastIndexAtHeal uint64
	var majorityLeader sim.NodeID
	var majorityTerm uint64
	var opsDuringCut [2]int
	var c1AtCut, c2AtCut int
	partitioned := false

	w.At(time.Second, func() {
		old = c.leader()
		if old == "" {
			w.Logf("no leader at 1s: nothing to cut off")
			return
		}
		for _, id := range c.servers {
			if id != old {
				buddy = id
				break
			}
		}
		var majority []sim.NodeID
		for _, id := range c.servers {
			if id != old && id != buddy {
				majority = append(majority, id)
			}
		}
		st, _ := c.status(old)
		oldTerm, commitAtCut, oldMaxCommit = st.Term, st.CommitIndex, st.CommitIndex
		c1AtCut, c2AtCut = c.clients[0].Completed(), c.clients[1].Completed()
		w.Logf("cutting the leader %s off with %s and c1, away from %v and c2", old, buddy, majority)
		_ = c.net.Partition([]sim.NodeID{old, buddy, "c1"}, append(majority, "c2"))
		partitioned = true
	})
	w.AfterStep(func() {
		if !partitioned {
			return
		}
		if st, ok := c.status(old); ok && st.CommitIndex > oldMaxCommit {
			oldMaxCommit = st.CommitIndex
		}
		if majorityLeader == "" {
			for _, id := range c.servers {
				if st, ok := c.status(id); ok && id != old && id != buddy && st.Role == raft.Leader {
					majorityLeader, majorityTerm = id, st.Term
					w.Logf("the majority side elected %s in term %d", id, st.Term)
				}
			}
		}
	})
	w.At(4*time.Second, func() {
		if !partitioned {
			return
		}
		partitioned = false
		opsDuringCut = [2]int{c.clients[0].Completed() - c1AtCut, c.clients[1].Completed() - c2AtCut}
		if st, ok := c.status(old); ok {
			oldLastIndexAtHeal = st.SnapshotIndex + uint64(len(st.Log))
		}
		w.Logf("healing the partition")
		c.net.Heal()
	})

	finish := func() Result {
		var r Result
		fail := func(err error) {
			if r.Err == nil {
				r.Err = err
			}
		}
		// The lesson's checks hold when the run followed the script; a
		// learner's schedule may make them impossible. Safety (c.verdict)
		// is checked whatever the faults.
		lesson := fail
		if !o.Scripted() {
			lesson = func(error) {}
		}
		if old == "" {
			lesson(errors.New("no leader had been elected by 1s"))
			r.Summary = append(r.Summary, o.Printer.T("no leader had been elected by 1s: the partition cut off no leader"))
			c.verdict(&r)
			return r
		}
		r.Summary = append(r.Summary, o.Printer.T("at 1s the leader %s (term %d, commit index %d) was cut off with %s and client c1", old, oldTerm, commitAtCut, buddy))
		if oldMaxCommit > commitAtCut {
			// Entries the old leader had already sent before the cut may
			// still commit; anything proposed after it cannot.
			r.Summary = append(r.Summary, o.Printer.T("its commit index moved only from %d to %d while cut off: entries already replicated before the cut", commitAtCut, oldMaxCommit))
		} else {
			r.Summary = append(r.Summary, o.Printer.T("while cut off it committed nothing: commit index stayed at %d, and c1 completed %d operations", commitAtCut, opsDuringCut[0]))
		}
		if opsDuringCut[0] > 1 {
			lesson(fmt.Errorf("c1, on the minority side, completed %d operations during the partition", opsDuringCut[0]))
		}
		if majorityLeader == "" {
			lesson(errors.New("the majority side never elected a leader"))
		} else {
			r.Summary = append(r.Summary, o.Printer.T("the majority elected %s in term %d and served c2: %d operations during the partition", majorityLeader, majorityTerm, opsDuringCut[1]))
			if majorityTerm <= oldTerm {
				lesson(fmt.Errorf("the new leader's term %d is not above the old %d", majorityTerm, oldTerm))
			}
			if opsDuringCut[1] == 0 {
				lesson(errors.New("c2 completed nothing on the majority side"))
			}
		}
		// After healing every log converges on the committed prefix.
		var ref raft.Status
		converged := true
		for i, id := range c.servers {
			st, ok := c.status(id)
			if !ok {
				continue
			}
			if i == 0 {
				ref = st
				continue
			}
			if !sameLog(st, ref) {
				converged = false
			}
		}
		if st, ok := c.status(old); ok && st.Role == raft.Leader && st.Term == oldTerm {
			lesson(fmt.Errorf("%s still leads the old term %d after healing", old, oldTerm))
		}
		if !converged {
			lesson(errors.New("the servers' logs did not converge after the partition healed"))
		} else {
			r.Summary = append(r.Summary, o.Printer.T("after healing at 4s every log converged on the same %d committed entries", ref.CommitIndex))
			if extra := int64(oldLastIndexAtHeal) - int64(oldMaxCommit); extra > 0 {
				r.Summary = append(r.Summary, o.Printer.T("the old leader's %d uncommitted entries (c1's requests from its minority side) were overwritten by the new leader's log", extra))
			}
		}
		c1Late := c.clients[0].Completed() - c1AtCut - opsDuringCut[0]
		r.Summary = append(r.Summary, o.Printer.T("c1's requests went through again after the heal: %d more operations", c1Late))
		c.verdict(&r)
		r.Metrics = []Metric{
			{"minority_ops_during_partition", float64(opsDuringCut[0]), "ops"},
			{"majority_ops_during_partition", float64(opsDuringCut[1]), "ops"},
			{"old_leader_commits_during_partition", float64(oldMaxCommit - commitAtCut), "entries"},
			{"c1_ops_after_heal", float64(c1Late), "ops"},
		}
		return r
	}
	if !o.Scripted() {
		scripted := finish
		finish = func() Result {
			r := scripted()
			r.Summary = append(r.Summary, Unscripted(o.Printer, o)...)
			return r
		}
	}
	return &Run{World: w, Net: c.net, Finish: finish}, nil
}

// sameLog reports whether two servers have committed everything in their
// logs and hold the same entries.
func sameLog(a, b raft.Status) bool {
	last := func(s raft.Status) uint64 { return s.SnapshotIndex + uint64(len(s.Log)) }
	if a.CommitIndex != b.CommitIndex || last(a) != a.CommitIndex || last(b) != b.CommitIndex {
		return false
	}
	for i := max(a.SnapshotIndex, b.SnapshotIndex) + 1; i <= a.CommitIndex; i++ {
		ea, eb := a.Log[i-a.SnapshotIndex-1], b.Log[i-b.SnapshotIndex-1]
		if ea.Term != eb.Term || string(ea.Command) != string(eb.Command) {
			return false
		}
	}
	return true
}
