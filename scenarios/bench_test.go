package scenarios

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// BenchmarkRaftKV measures how fast the simulator runs a 5-node Raft KV
// cluster under steady load from 3 closed-loop clients: one b.N is one
// simulated second. It reports simulated seconds per wall second and
// committed client operations per wall second.
//
// "steady" reads, puts and compare-and-sets over 5 keys, so the state
// stays the same size; "appends" is the scenarios' append-heavy workload,
// whose values grow all run long (every Get returns a longer string), so
// its speed falls the longer it runs. "checked" adds the safety checks the
// scenarios run after every event.
//
//	go test ./scenarios -run XXX -bench RaftKV -benchtime 50x
func BenchmarkRaftKV(b *testing.B) {
	steady := kv.WorkloadConfig{Ops: 1 << 30, Keys: 5, Get: 1, Put: 1, CAS: 1}
	appends := kv.WorkloadConfig{Ops: 1 << 30, Keys: 5, Get: 1, Append: 2}
	for _, tc := range []struct {
		name     string
		workload kv.WorkloadConfig
		checked  bool
	}{
		{"steady", steady, false},
		{"steady-checked", steady, true},
		{"appends", appends, false},
	} {
		workload, checked := tc.workload, tc.checked
		b.Run(tc.name, func(b *testing.B) {
			c, err := newRaftKV("bench", Options{Seed: 1}, raftKVConfig{
				Servers:   5,
				Raft:      func(sim.NodeID) raft.Config { return raft.DefaultConfig() },
				Link:      network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}},
				Clients:   3,
				Workload:  workload,
				Unchecked: !checked,
			})
			if err != nil {
				b.Fatal(err)
			}
			c.w.RunFor(time.Second) // elect a leader, warm up
			before := c.clientOps()
			b.ReportAllocs()
			b.ResetTimer()
			c.w.RunFor(time.Duration(b.N) * time.Second)
			b.StopTimer()
			wall := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/wall, "sim-s/s")
			b.ReportMetric(float64(c.clientOps()-before)/wall, "ops/s")
			b.ReportMetric(float64(c.clientOps()-before)/float64(b.N), "ops/sim-s")
		})
	}
}
