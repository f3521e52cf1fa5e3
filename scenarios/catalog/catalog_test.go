package catalog

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// traceHash runs a scenario and returns the hash of its trace.
func traceHash(t *testing.T, s scenarios.Scenario, seed uint64) string {
	t.Helper()
	h := sim.NewHasher()
	_, err := scenarios.Execute(s, scenarios.Options{Seed: seed, Tracer: h})
	require.NoError(t, err)
	require.Positive(t, h.Records())
	return h.Sum()
}

// Same seed, same bytes: the promise every scenario keeps, checked for
// every registered scenario.
func TestEveryScenarioIsDeterministic(t *testing.T) {
	all := scenarios.All()
	require.NotEmpty(t, all)
	for _, s := range all {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			a := traceHash(t, s, 7)
			assert.Equal(t, a, traceHash(t, s, 7), "seed 7 twice gave two different traces")
			assert.NotEqual(t, a, traceHash(t, s, 8), "seeds 7 and 8 gave the same trace: is the seed used?")
		})
	}
}
