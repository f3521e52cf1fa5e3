package txn

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Async loses acknowledged writes at a failover, semi-sync and sync do
// not; sync is the slowest to answer.
func TestReplicationModesAtFailover(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "replication", seed)
		require.NoError(t, res.Err, "seed %d", seed)
		assert.Positive(t, metric(t, res, "async_lost"), "seed %d", seed)
		assert.Zero(t, metric(t, res, "semisync_lost"), "seed %d", seed)
		assert.Zero(t, metric(t, res, "sync_lost"), "seed %d", seed)
		async, semi, sync := metric(t, res, "async_latency_mean"), metric(t, res, "semisync_latency_mean"), metric(t, res, "sync_latency_mean")
		assert.Less(t, async, semi, "seed %d", seed)
		assert.Less(t, semi, sync, "seed %d", seed)
		assert.Greater(t, metric(t, res, "async_acked"), metric(t, res, "sync_acked"), "faster answers, more writes (seed %d)", seed)
		// Lag: at least a one-way trip, at most a shipping interval plus
		// the slow follower's extra delay and some.
		for _, m := range []string{"async", "semisync", "sync"} {
			assert.Greater(t, metric(t, res, m+"_lag_mean"), 1.0, "%s seed %d", m, seed)
			assert.Less(t, metric(t, res, m+"_lag_max"), 60.0, "%s seed %d", m, seed)
		}
	}
}
