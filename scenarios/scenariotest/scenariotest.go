// Package scenariotest holds what scenario tests share, as net/http/httptest
// does for handlers: run a scenario by name, read a metric, hash a trace,
// check that a scenario is deterministic.
package scenariotest

import (
	"strings"
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Seeds are the seeds a story test runs a scenario on.
var Seeds = []uint64{1, 2, 3, 4, 5}

// Run executes the named scenario and logs its summary, so `go test -v`
// reads as the story. It fails t if the scenario cannot run at all; a
// failed check is in Result.Err, for the test to assert.
func Run(t testing.TB, name string, o scenarios.Options) scenarios.Result {
	t.Helper()
	s, err := scenarios.Lookup(name)
	require.NoError(t, err)
	res, err := scenarios.Execute(s, o)
	require.NoError(t, err)
	t.Logf("%s seed %d:\n%s", name, o.Seed, strings.Join(res.Summary, "\n"))
	return res
}

// Metric returns the named metric of a result, failing t if there is none.
func Metric(t testing.TB, r scenarios.Result, name string) float64 {
	t.Helper()
	v, ok := r.Metric(name)
	require.True(t, ok, "the run reported no metric %q", name)
	return v
}

// TraceHash runs a scenario and returns the SHA-256 of its trace.
func TraceHash(t testing.TB, s scenarios.Scenario, seed uint64) string {
	t.Helper()
	h := sim.NewHasher()
	_, err := scenarios.Execute(s, scenarios.Options{Seed: seed, Tracer: h})
	require.NoError(t, err)
	require.Positive(t, h.Records(), "the run traced nothing")
	return h.Sum()
}

// CheckDeterministic runs s twice with seed 7 and once with seed 8: the
// first two traces must be byte-identical, the third different (else the
// seed is not used).
func CheckDeterministic(t testing.TB, s scenarios.Scenario) {
	t.Helper()
	a := TraceHash(t, s, 7)
	assert.Equal(t, a, TraceHash(t, s, 7), "seed 7 twice gave two different traces")
	assert.NotEqual(t, a, TraceHash(t, s, 8), "seeds 7 and 8 gave the same trace: is the seed used?")
}
