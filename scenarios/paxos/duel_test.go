package paxos_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPaxosBasic(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		r := execute(t, "paxos-basic", seed)
		require.NoError(t, r.Err, "seed %d", seed)
		assert.Equal(t, 1.0, metric(t, r, "rounds"))
		// Four one-way trips of 2-5ms: Prepare, Promise, Accept, Accepted.
		assert.InDelta(t, 0.014, metric(t, r, "time_to_choose"), 0.0061, "seed %d", seed)
	}
}

func TestPaxosDuel(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		r := execute(t, "paxos-duel", seed)
		require.NoError(t, r.Err, "seed %d", seed)
		assert.Equal(t, 0.0, metric(t, r, "chosen_no_backoff"), "seed %d: without backoff nothing is chosen", seed)
		assert.Greater(t, metric(t, r, "rounds_no_backoff"), 500.0, "seed %d: the proposers keep pre-empting each other", seed)
		assert.Equal(t, 1.0, metric(t, r, "chosen_backoff"), "seed %d: with backoff a value is chosen", seed)
		assert.Less(t, metric(t, r, "time_to_choose_backoff"), 0.2, "seed %d", seed)
	}
}
