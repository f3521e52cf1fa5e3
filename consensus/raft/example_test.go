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
