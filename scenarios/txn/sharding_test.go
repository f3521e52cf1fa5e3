package txn

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sequential keys: a hot spot under range sharding, an even spread with
// hashing; range scans are cheap only under range sharding.
func TestShardingHotSpot(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "sharding", seed)
		require.NoError(t, res.Err, "seed %d", seed)
		assert.Equal(t, 4.0, metric(t, res, "range_max_over_mean"), "all on the last shard (seed %d)", seed)
		assert.Less(t, metric(t, res, "hash_max_over_mean"), 1.1, "seed %d", seed)
		assert.Equal(t, 1.0, metric(t, res, "directory_max_over_mean"), "least-loaded placement (seed %d)", seed)
		assert.Equal(t, 1.0, metric(t, res, "range_scan_shards"))
		assert.Equal(t, 4.0, metric(t, res, "hash_scan_shards"))
		assert.Regexp(t, `range +0 +0 +0 +2000`, strings.Join(res.Summary, "\n"))
	}
}
