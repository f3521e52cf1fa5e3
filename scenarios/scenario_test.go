package scenarios

import (
	"testing"

	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// run executes a scenario and fails the test if it could not run.
func run(t *testing.T, name string, o Options) Result {
	t.Helper()
	s, err := Lookup(name)
	require.NoError(t, err)
	res, err := Execute(s, o)
	require.NoError(t, err)
	return res
}

// traceHash runs a scenario and returns the hash of its trace.
func traceHash(t *testing.T, s Scenario, seed uint64) string {
	t.Helper()
	h := sim.NewHasher()
	_, err := Execute(s, Options{Seed: seed, Tracer: h})
	require.NoError(t, err)
	require.Positive(t, h.Records())
	return h.Sum()
}

// Same seed, same bytes: the promise every scenario keeps.
func TestEveryScenarioIsDeterministic(t *testing.T) {
	for _, s := range All() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			a := traceHash(t, s, 7)
			assert.Equal(t, a, traceHash(t, s, 7), "seed 7 twice gave two different traces")
			assert.NotEqual(t, a, traceHash(t, s, 8), "seeds 7 and 8 gave the same trace: is the seed used?")
		})
	}
}

func TestLookupSuggestsTheClosestName(t *testing.T) {
	_, err := Lookup("brodcast")
	require.ErrorIs(t, err, ErrUnknown)
	assert.Contains(t, err.Error(), `did you mean "broadcast"?`)
	assert.Contains(t, err.Error(), "the scenarios are: ")
}
