package raft

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
)

type nopApplier struct{}

func (nopApplier) Apply(sim.Env, uint64, []byte) {}
func (nopApplier) Snapshot() []byte              { return nil }
func (nopApplier) Restore(uint64, []byte)        {}

func benchWorld(b *testing.B, cfg Config) (*sim.World, sim.NodeID) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	for _, id := range []sim.NodeID{"n1", "n2", "n3", "n4", "n5"} {
		w.AddNode(id, func() sim.Node { return New(cfg, nopApplier{}) })
	}
	var leader sim.NodeID
	w.RunUntil(func() bool {
		for _, id := range w.Members() {
			if w.Node(id).(*Node).role == Leader {
				leader = id
				return true
			}
		}
		return false
	}, 10*time.Second)
	if leader == "" {
		b.Fatal("no leader")
	}
	return w, leader
}

// BenchmarkHeartbeats measures a quiet five-node cluster: one op is one
// heartbeat round (four AppendEntries and four replies).
func BenchmarkHeartbeats(b *testing.B) {
	cfg := DefaultConfig()
	w, _ := benchWorld(b, cfg)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.RunFor(cfg.HeartbeatInterval)
	}
}

// BenchmarkPropose measures commands through a five-node cluster: one op is
// one command proposed, replicated, committed and applied everywhere, with
// snapshots every 1024 entries.
func BenchmarkPropose(b *testing.B) {
	w, leader := benchWorld(b, DefaultConfig())
	cmd := []byte("set x 1")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		_ = w.Exec(leader, func(n sim.Node, env sim.Env) { n.(*Node).Propose(env, cmd) })
		if i%16 == 15 {
			w.RunFor(2 * time.Millisecond)
		}
	}
	w.RunFor(10 * time.Millisecond)
	if w.Node(leader).(*Node).commitIndex < uint64(b.N) {
		b.Fatal("not all commands committed")
	}
}
