package paxos_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	_ "github.com/dsimlab/dsim/scenarios" // registers raft-kv
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMultiPaxosKVFailover(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		r := execute(t, "multipaxos-kv", seed)
		require.NoError(t, r.Err, "seed %d", seed)
		assert.Less(t, metric(t, r, "failover_time"), 1.0, "seed %d: a new leader within a second", seed)
		assert.Greater(t, metric(t, r, "ops_completed"), 1000.0, "seed %d", seed)
		assert.Greater(t, metric(t, r, "ops_last_second"), 100.0, "seed %d: served again after the restart", seed)
	}
}

// KV histories are linearizable on both Raft and Multi-Paxos under the
// same fault schedules: partitions, cuts, loss, crashes of a minority,
// clock skew, drawn from fixed seeds over n1..n5.
func TestKVLinearizableOnRaftAndMultiPaxosUnderSameFaults(t *testing.T) {
	nodes := []sim.NodeID{"n1", "n2", "n3", "n4", "n5"}
	for draw := uint64(1); draw <= 4; draw++ {
		sched := network.RandomSchedule(rand.New(rand.NewPCG(draw, 99)), nodes, 4*time.Second, network.RandomOptions{})
		for _, name := range []string{"raft-kv", "multipaxos-kv"} {
			s, err := scenarios.Lookup(name)
			require.NoError(t, err)
			r, err := scenarios.Execute(s, scenarios.Options{Seed: draw, Schedule: sched, For: 6 * time.Second})
			require.NoError(t, err)
			require.NoError(t, r.Err, "%s under schedule %d:\n%s", name, draw, sched)
			ops, _ := r.Metric("ops_completed")
			last, _ := r.Metric("ops_last_second")
			assert.Greater(t, last, 0.0, "%s, schedule %d: served again once the faults end", name, draw)
			t.Logf("schedule %d, %s: %.0f ops, %.0f in the last second", draw, name, ops, last)
		}
	}
}
