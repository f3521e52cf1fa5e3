package paxos_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPaxosAcceptorCrash(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		r := execute(t, "paxos-acceptor-crash", seed)
		require.NoError(t, r.Err, "seed %d", seed)
		assert.Equal(t, 0.0, metric(t, r, "chosen_majority_down"), "seed %d", seed)
		assert.GreaterOrEqual(t, metric(t, r, "rounds_majority_down"), 4.0, "seed %d: n1 keeps trying", seed)
		assert.Equal(t, 1.0, metric(t, r, "chosen_minority_down"), "seed %d", seed)
		// The next round after the restart succeeds: at most one backoff
		// (capped at 200ms) plus a retry timeout (100ms) away.
		assert.Less(t, metric(t, r, "time_to_choose_after_restart"), 0.35, "seed %d", seed)
	}
}
