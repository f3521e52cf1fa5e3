package failures

import (
	"path/filepath"
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

var names = []string{
	"fallacy-reliable-network", "fallacy-zero-latency", "fallacy-infinite-bandwidth", "fallacy-secure-network",
	"fallacy-fixed-topology", "fallacy-one-administrator", "fallacy-zero-transport-cost", "fallacy-homogeneous-network",
	"gray-failure",
}

// Same seed, same trace; another seed, another trace.
func TestDeterministic(t *testing.T) {
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			s, err := scenarios.Lookup(n)
			require.NoError(t, err)
			assert.Equal(t, "failures", s.Chapter)
			assert.NotEmpty(t, s.LookFor)
			scenariotest.CheckDeterministic(t, s)
		})
	}
}

// Fallacy 1: trusting the network loses deposits, retrying alone applies
// some twice, idempotency keys give the exact balance.
func TestReliableNetwork(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "fallacy-reliable-network", seed)
		assert.Positive(t, metric(t, res, "fire_and_forget_lost"))
		assert.Greater(t, metric(t, res, "fire_and_forget_unacked"), metric(t, res, "fire_and_forget_lost"), "lost acks too")
		assert.Zero(t, metric(t, res, "retry_unacked"))
		assert.Greater(t, metric(t, res, "retry_balance"), 200.0)
		assert.Equal(t, 200.0, metric(t, res, "retry_idempotent_balance"))
	}
}

// Fallacy 2: sequential round trips cost 20× the latency each.
func TestZeroLatency(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "fallacy-zero-latency", seed)
		assert.Less(t, metric(t, res, "lan_chatty_page_p50"), 0.03)
		assert.InDelta(t, 1.6, metric(t, res, "wan_chatty_page_p50"), 0.1)
		assert.InDelta(t, 0.082, metric(t, res, "wan_batched_page_p50"), 0.01)
	}
	res := scenariotest.Run(t, "fallacy-zero-latency", scenarios.Options{Seed: 1, Knobs: scenarios.Knobs{"wan": "100ms"}})
	require.NoError(t, res.Err)
	assert.InDelta(t, 4.0, metric(t, res, "wan_chatty_page_p50"), 0.25, "20 round trips of 200ms")
}

// Fallacy 3: snapshots swamp the link, deltas fit.
func TestInfiniteBandwidth(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "fallacy-infinite-bandwidth", seed)
		assert.Greater(t, metric(t, res, "snapshot_offered_bytes_per_s"), 4e6)
		assert.Less(t, metric(t, res, "snapshot_delivered"), 100.0, "not all snapshots arrive within the run")
		assert.Greater(t, metric(t, res, "snapshot_max_age"), 3.0)
		assert.Positive(t, metric(t, res, "snapshot_false_suspicions"))
		assert.Equal(t, 100.0, metric(t, res, "delta_delivered"))
		assert.Zero(t, metric(t, res, "delta_false_suspicions"))
	}
}

// Fallacy 4: the tampering router robs the plaintext bank; HMAC refuses
// exactly the tampered orders.
func TestSecureNetwork(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "fallacy-secure-network", seed)
		assert.Positive(t, metric(t, res, "plaintext_paid_to_mallory"))
		assert.Zero(t, metric(t, res, "plaintext_refused"))
		assert.Zero(t, metric(t, res, "hmac_paid_to_mallory"))
		assert.Equal(t, metric(t, res, "hmac_tampered"), metric(t, res, "hmac_refused"))
	}
}

// Fallacy 5: a join moves ~3/4 of the keys under mod-N, ~1/4 on a ring,
// and a fixed list never uses the new server.
func TestFixedTopology(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "fallacy-fixed-topology", seed)
		assert.Zero(t, metric(t, res, "fixed_list_new_server_share"))
		assert.InDelta(t, 0.75, metric(t, res, "mod_n_moved"), 0.1)
		assert.InDelta(t, 0.25, metric(t, res, "ring_moved"), 0.1)
		assert.Equal(t, metric(t, res, "ring_moved"), metric(t, res, "ring_new_server_share"), "every moved key went to the new server")
	}
}

// Fallacy 6: last write wins loses one team's change per round.
func TestOneAdministrator(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "fallacy-one-administrator", seed)
		assert.Equal(t, 10.0, metric(t, res, "last_write_wins_lost_changes"))
		assert.Zero(t, metric(t, res, "compare_and_set_lost_changes"))
		assert.Equal(t, 10.0, metric(t, res, "compare_and_set_conflicts"))
	}
}

// Fallacy 7: JSON costs several times the bytes and, on a thin link, the
// latency.
func TestZeroTransportCost(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "fallacy-zero-transport-cost", seed)
		assert.Greater(t, metric(t, res, "json_bytes_per_order"), 4*metric(t, res, "binary_bytes_per_order"))
		assert.Greater(t, metric(t, res, "json_p99"), 0.5)
		assert.Less(t, metric(t, res, "binary_p99"), 0.02)
	}
}

// Fallacy 8: round robin overloads the Pi; weighting by capacity does not.
func TestHomogeneousNetwork(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "fallacy-homogeneous-network", seed)
		assert.InDelta(t, 0.25, metric(t, res, "round_robin_pi_share"), 0.01)
		assert.Greater(t, metric(t, res, "round_robin_pi_max_queue"), 100.0)
		assert.Greater(t, metric(t, res, "round_robin_p99"), 1.0)
		assert.InDelta(t, 1.0/13, metric(t, res, "weighted_pi_share"), 0.01)
		assert.Less(t, metric(t, res, "weighted_p99"), 0.06)
	}
}

// Gray failure: a short timeout flaps and accuses the jittery remote, a long
// one never fires, phi suspects the gray node at once and no healthy one;
// hedging cuts the p99.
func TestGrayFailure(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "gray-failure", seed)
		assert.GreaterOrEqual(t, metric(t, res, "timeout_100ms_s3_suspicions"), 5.0, "flaps")
		assert.Positive(t, metric(t, res, "timeout_100ms_healthy_suspicions"), "false suspicions of the remote node")
		assert.Zero(t, metric(t, res, "timeout_1s_s3_suspicions"))
		assert.Positive(t, metric(t, res, "phi_8_s3_suspicions"))
		assert.Zero(t, metric(t, res, "phi_8_healthy_suspicions"))
		assert.Less(t, metric(t, res, "max_phi_remote"), 8.0)
		assert.Greater(t, metric(t, res, "plain_p99_gray"), 0.5)
		assert.Less(t, metric(t, res, "hedged_p99_gray"), 0.02)
		assert.Less(t, metric(t, res, "hedged_extra_copies"), 0.25, "hedging costs a few extra copies")
	}
	// hedging later: a longer tail (the hedge delay plus a healthy answer)
	late := scenariotest.Run(t, "gray-failure", scenarios.Options{Seed: 1, Knobs: scenarios.Knobs{"hedge-after": "50ms"}})
	require.NoError(t, late.Err)
	assert.InDelta(t, 0.055, metric(t, late, "hedged_p99_gray"), 0.01, "the hedge delay plus a healthy answer")
}

// With an artifact directory, gray-failure draws both clients' latencies.
func TestGrayFailurePlots(t *testing.T) {
	dir := t.TempDir()
	res := scenariotest.Run(t, "gray-failure", scenarios.Options{Seed: 1, ArtifactDir: dir})
	require.NoError(t, res.Err)
	for _, name := range []string{"plain", "hedged"} {
		assert.FileExists(t, filepath.Join(dir, "gray-failure-seed-1-"+name+".svg"))
	}
}
