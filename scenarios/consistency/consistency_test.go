package consistency

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/scenariotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var metric = scenariotest.Metric

func run(t *testing.T, name string, seed uint64) scenarios.Result {
	t.Helper()
	res := scenariotest.Run(t, name, scenarios.Options{Seed: seed})
	require.NoError(t, res.Err, "%s seed %d", name, seed)
	return res
}

var names = []string{"pacelc"}

// Same seed, same trace; another seed, another trace.
func TestDeterministic(t *testing.T) {
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			s, err := scenarios.Lookup(n)
			require.NoError(t, err)
			assert.Equal(t, "consistency", s.Chapter)
			assert.NotEmpty(t, s.LookFor)
			scenariotest.CheckDeterministic(t, s)
		})
	}
}

// PACELC's Else: quorum costs a WAN round trip and is never stale; local
// costs a millisecond and often is.
func TestPACELC(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "pacelc", seed)
		assert.Less(t, metric(t, res, "local_read_p50"), 0.005)
		assert.Greater(t, metric(t, res, "local_stale_share"), 0.2)
		assert.InDelta(t, 0.09, metric(t, res, "quorum_read_p50"), 0.01, "the round trip Frankfurt–Virginia")
		assert.Zero(t, metric(t, res, "quorum_stale_share"))
		assert.Zero(t, metric(t, res, "write_back_stale_share"))
	}
	res := scenariotest.Run(t, "pacelc", scenarios.Options{Seed: 1, Knobs: scenarios.Knobs{"wan": "150ms"}})
	require.NoError(t, res.Err)
	assert.InDelta(t, 0.18, metric(t, res, "quorum_read_p50"), 0.02, "twice the WAN, twice the latency")
}
