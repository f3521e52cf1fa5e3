package raft_test

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/sim"
)

// printer is the smallest state machine: it prints what it applies.
type printer struct{ id sim.NodeID }

func (p printer) Apply(env sim.Env, index uint64, cmd []byte) {
	if p.id == "n1" {
		fmt.Printf("applied %q at index %d\n", cmd, index)
	}
}
func (printer) Snapshot() []byte       { return nil }
func (printer) Restore(uint64, []byte) {}

// Three nodes elect a leader; a command proposed to it is committed and
// applied everywhere.
func Example() {
	w := sim.NewWorld(sim.Config{Seed: 1})
	for _, id := range []sim.NodeID{"n1", "n2", "n3"} {
		w.AddNode(id, func() sim.Node { return raft.New(raft.DefaultConfig(), printer{id}) })
	}
	leader := func() sim.NodeID {
		for _, id := range w.Members() {
			if n, ok := w.Node(id).(*raft.Node); ok && n.Status().Role == raft.Leader {
				return id
			}
		}
		return ""
	}
	w.RunUntil(func() bool { return leader() != "" }, time.Second)
	id := leader()
	_ = w.Exec(id, func(n sim.Node, env sim.Env) {
		n.(*raft.Node).Propose(env, []byte("x=1"))
	})
	w.RunFor(100 * time.Millisecond)
	s := w.Node(id).(*raft.Node).Status()
	fmt.Println("leader's term:", s.Term, "commit:", s.CommitIndex)
	// Output:
	// applied "x=1" at index 2
	// leader's term: 1 commit: 2
}

// The first election of a three-node cluster, as the trace tells it: who
// timed out, the pre-vote, the vote, and the new leader's no-op entry.
func Example_election() {
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Seed: 3, Tracer: rec})
	for _, id := range []sim.NodeID{"n1", "n2", "n3"} {
		w.AddNode(id, func() sim.Node { return raft.New(raft.DefaultConfig(), nil) })
	}
	w.RunFor(160 * time.Millisecond)
	for _, line := range rec.LinesExcept(sim.KindStart, sim.KindSend, sim.KindTimerSet, sim.KindTimerCancel) {
		fmt.Println(line)
	}
	// Output:
	// 0.000ms n1: became follower in term 0
	// 0.000ms n2: became follower in term 0
	// 0.000ms n3: became follower in term 0
	// 153.823ms n3 timer electionTimeout{Epoch:1}
	// 153.823ms n3: became pre-candidate in term 0 (asking for term 1)
	// 154.823ms n3->n1 PreVote{Term:1 Last:0/0}
	// 154.823ms n3->n2 PreVote{Term:1 Last:0/0}
	// 155.823ms n1->n3 PreVoteReply{Term:1 Granted:true}
	// 155.823ms n3: became candidate in term 1
	// 155.823ms n2->n3 PreVoteReply{Term:1 Granted:true}
	// 156.823ms n3->n1 RequestVote{Term:1 Last:0/0}
	// 156.823ms n1: became follower in term 1
	// 156.823ms n3->n2 RequestVote{Term:1 Last:0/0}
	// 156.823ms n2: became follower in term 1
	// 157.823ms n1->n3 RequestVoteReply{Term:1 Granted:true}
	// 157.823ms n3: became leader in term 1
	// 157.823ms n2->n3 RequestVoteReply{Term:1 Granted:true}
	// 158.823ms n3->n1 AppendEntries{Term:1 Prev:0/0 Entries:1[1..1] Commit:0}
	// 158.823ms n3->n2 AppendEntries{Term:1 Prev:0/0 Entries:1[1..1] Commit:0}
	// 159.823ms n1->n3 AppendEntriesReply{Term:1 Success Match:1}
	// 159.823ms n2->n3 AppendEntriesReply{Term:1 Success Match:1}
}
