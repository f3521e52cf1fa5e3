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

var names = []string{"pacelc", "cap-exercise", "consistency-models"}

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

// Exercise 1: CP refuses the minority and is never wrong; AP answers
// everyone and overdraws, miscounts, double-books and double-locks, and is
// merely late with comments.
func TestCAPExercise(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "cap-exercise", seed)
		for _, sys := range []string{"bank", "followers", "seat", "comments", "lock"} {
			assert.Positive(t, metric(t, res, "cp_"+sys+"_unavailable"), sys)
			assert.Zero(t, metric(t, res, "cp_"+sys+"_wrong"), sys)
			assert.Zero(t, metric(t, res, "ap_"+sys+"_unavailable"), sys)
		}
		assert.Equal(t, 80.0, metric(t, res, "cp_bank_paid"))
		assert.Equal(t, 160.0, metric(t, res, "ap_bank_paid"), "two withdrawals of 80 from 100")
		assert.Zero(t, metric(t, res, "cp_followers_off_by"))
		assert.Positive(t, metric(t, res, "ap_followers_off_by"))
		assert.Equal(t, 1.0, metric(t, res, "cp_seat_holders"))
		assert.Equal(t, 2.0, metric(t, res, "ap_seat_holders"))
		assert.Equal(t, 2.0, metric(t, res, "ap_lock_holders"))
		assert.Equal(t, 2.0, metric(t, res, "ap_comments_visible"), "late, not lost")
		assert.Zero(t, metric(t, res, "ap_comments_wrong"))
	}
}

// The ladder: each store is admitted by its own model and every weaker
// one, refused by every stronger one; weaker is faster.
func TestConsistencyModels(t *testing.T) {
	want := map[string][4]float64{
		"linearizable": {8, 8, 8, 8},
		"sequential":   {0, 8, 8, 8},
		"causal":       {0, 0, 8, 8},
		"eventual":     {0, 0, 0, 8},
	}
	for _, seed := range scenariotest.Seeds {
		res := run(t, "consistency-models", seed)
		for store, w := range want {
			for i, model := range []string{"linearizable", "sequential", "causal", "converged"} {
				assert.Equal(t, w[i], metric(t, res, store+"_"+model), "%s store, %s rounds (seed %d)", store, model, seed)
			}
		}
		assert.Greater(t, metric(t, res, "linearizable_read_p50"), 20*metric(t, res, "sequential_read_p50"), "reads at the primary cost a WAN trip")
	}
}
