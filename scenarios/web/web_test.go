package web

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/scenariotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The catalog checks every scenario for determinism; these run the stories.

var (
	fiveSeeds = scenariotest.Seeds
	metric    = scenariotest.Metric
)

func run(t *testing.T, name string, seed uint64) scenarios.Result {
	t.Helper()
	return scenariotest.Run(t, name, scenarios.Options{Seed: seed})
}

// Without a breaker the slow dependency's latency spreads to every request
// of its caller; with a breaker and a bulkhead it is contained.
func TestBreakerCascade(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "breaker-cascade", seed)
		require.NoError(t, res.Err, "seed %d", seed)
		assert.Less(t, metric(t, res, "guarded_p99"), 0.25, "seed %d", seed)
		assert.Greater(t, metric(t, res, "plain_p99"), 1.0, "seed %d", seed)
		assert.Less(t, metric(t, res, "guarded_checkout_error_rate"), 0.5, "checkout is untouched (seed %d)", seed)
		assert.Equal(t, 32.0, metric(t, res, "plain_front_max_busy"), "every plain worker stuck (seed %d)", seed)
		assert.Less(t, metric(t, res, "guarded_front_max_busy"), 32.0, "the bulkhead keeps workers free (seed %d)", seed)
		assert.Greater(t, metric(t, res, "guarded_fast_failures"), 100.0, "the breaker fails home fast (seed %d)", seed)
	}
}

// Retries multiply the load on a recovering service and keep it down; a
// retry budget caps them and it recovers at once.
func TestRetryStorm(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "retry-storm", seed)
		require.NoError(t, res.Err, "seed %d", seed)
		assert.Less(t, metric(t, res, "no_jitter_ok_last_second"), 25.0, "still down at the end (seed %d)", seed)
		assert.Less(t, metric(t, res, "jitter_ok_last_second"), 25.0, "jitter alone does not cut the load (seed %d)", seed)
		assert.Greater(t, metric(t, res, "jitter_budget_ok_last_second"), 170.0, "serving the offered 200/s (seed %d)", seed)
		assert.LessOrEqual(t, metric(t, res, "jitter_budget_recovery"), 1.0, "seed %d", seed)
		assert.Less(t, metric(t, res, "jitter_budget_retries"), metric(t, res, "jitter_retries")/5, "the budget cuts the retries (seed %d)", seed)
	}
}

// A hot key expires: every miss becomes a database query without
// coalescing; with it the database sees one.
func TestThunderingHerd(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "thundering-herd", seed)
		require.NoError(t, res.Err, "seed %d", seed)
		plain := metric(t, res, "plain_db_queries_hot")
		assert.Equal(t, 1.0, metric(t, res, "coalescing_db_queries_hot"), "seed %d", seed)
		assert.Greater(t, plain, 20.0, "seed %d", seed)
		assert.Equal(t, plain, metric(t, res, "plain_misses_hot"), "each miss is a query (seed %d)", seed)
		assert.Greater(t, metric(t, res, "coalescing_misses_hot"), 20.0, "coalescing does not prevent the misses (seed %d)", seed)
		assert.Less(t, metric(t, res, "coalescing_p99_around_expiry"), metric(t, res, "plain_p99_around_expiry"), "seed %d", seed)
	}
}

// Bigger edges hit more often and spare the origin; under Zipf each tenfold
// size adds a similar share.
func TestCDNHitRatioRisesWithCacheSize(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "cdn", seed)
		require.NoError(t, res.Err, "seed %d", seed)
		h10, h100, h1000 := metric(t, res, "size10_hit_ratio"), metric(t, res, "size100_hit_ratio"), metric(t, res, "size1000_hit_ratio")
		assert.Less(t, h10, h100, "seed %d", seed)
		assert.Less(t, h100, h1000, "seed %d", seed)
		assert.Greater(t, h1000-h10, 0.3, "a hundredfold cache hits far more (seed %d)", seed)
		assert.Less(t, metric(t, res, "size1000_origin_load"), metric(t, res, "size10_origin_load")*0.6, "seed %d", seed)
		assert.Less(t, metric(t, res, "size1000_p50"), 0.01, "the median request is a hit at the edge (seed %d)", seed)
		assert.Greater(t, metric(t, res, "size10_p50"), 0.03, "the median request goes to the origin (seed %d)", seed)
	}
}

// A token bucket passes bursts, a leaky bucket smooths them at the price
// of delay; a shedder keeps critical work and drops sheddable work first.
func TestRateLimitAndShedding(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "rate-limit", seed)
		require.NoError(t, res.Err, "seed %d", seed)
		assert.Equal(t, 20.0, metric(t, res, "token_peak_per_10ms"), "a full bucket's 20 tokens pass at once (seed %d)", seed)
		assert.LessOrEqual(t, metric(t, res, "leaky_peak_per_10ms"), 2.0, "seed %d", seed)
		assert.Zero(t, metric(t, res, "token_max_delay"), "a token bucket never delays")
		assert.InDelta(t, 0.19, metric(t, res, "leaky_max_delay"), 0.011, "a full bucket of 20 at 10ms each (seed %d)", seed)
		assert.InDelta(t, metric(t, res, "token_admitted"), metric(t, res, "leaky_admitted"), 25, "the same rate over time (seed %d)", seed)
		assert.GreaterOrEqual(t, metric(t, res, "shedding_ok_critical"), 0.99, "seed %d", seed)
		assert.Less(t, metric(t, res, "shedding_ok_sheddable"), 0.05, "seed %d", seed)
		fifo := metric(t, res, "fifo_ok_critical")
		assert.InDelta(t, fifo, metric(t, res, "fifo_ok_sheddable"), 0.1, "FIFO does not care about priority (seed %d)", seed)
	}
}

// Sessions: a lookup per request, revoked at once. Tokens: no lookup,
// revoked at the next deny list or at expiry. Forged tokens are refused;
// an expired one passes only where the clock is behind.
func TestAuthSessionsAgainstTokens(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "auth", seed)
		require.NoError(t, res.Err, "seed %d", seed)
		assert.Equal(t, 1.0, metric(t, res, "session_lookups_per_request"))
		assert.Zero(t, metric(t, res, "token_denylist_lookups_per_request"))
		assert.Less(t, metric(t, res, "session_revocation_delay"), 0.01, "seed %d", seed)
		deny := metric(t, res, "token_denylist_revocation_delay")
		assert.InDelta(t, 0.3, deny, 0.03, "the next push is at 1.5s (seed %d)", seed)
		assert.InDelta(t, 0.8, metric(t, res, "token_revocation_delay"), 0.03, "the token expires at 2s (seed %d)", seed)
		assert.Equal(t, 2.0, metric(t, res, "forged_accepted"), "only her own valid token and the expired one at the slow clock (seed %d)", seed)
	}
}

// Throughput doubles with app servers while they are the bottleneck and
// flattens once the database saturates; health checks route around a dead
// app server.
func TestWebScale(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "web-scale", seed)
		require.NoError(t, res.Err, "seed %d", seed)
		t1, t2, t4, t8 := metric(t, res, "apps1_throughput"), metric(t, res, "apps2_throughput"), metric(t, res, "apps4_throughput"), metric(t, res, "apps8_throughput")
		assert.Greater(t, t2, 1.8*t1, "seed %d", seed)
		assert.Greater(t, t4, 1.6*t2, "seed %d", seed)
		assert.Greater(t, t8, t4, "more servers still help a little (seed %d)", seed)
		assert.Less(t, (t8-t4)/4, 0.7*(t2-t1), "diminishing returns at the database (seed %d)", seed)
		assert.Zero(t, metric(t, res, "apps2_db_rejected"), "seed %d", seed)
		assert.Greater(t, metric(t, res, "apps8_db_rejected"), 10.0, "the database is saturated (seed %d)", seed)
		for _, lb := range []string{"rr", "lc"} {
			assert.Zero(t, metric(t, res, lb+"_errors_after_detection"), "%s (seed %d)", lb, seed)
			assert.Equal(t, metric(t, res, lb+"_sent_to_dead"), metric(t, res, lb+"_errors_before_detection"), "%s: every request sent to the dead server is lost, and only those (seed %d)", lb, seed)
		}
		assert.LessOrEqual(t, metric(t, res, "rr_sent_to_dead"), 8.0, "about a quarter of 150/s for 100-150ms (seed %d)", seed)
	}
}
