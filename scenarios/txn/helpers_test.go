package txn

import (
	"strings"
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fiveSeeds = []uint64{1, 2, 3, 4, 5}

// run executes a scenario and logs its summary, so `go test -v` reads as
// the story.
func run(t *testing.T, name string, seed uint64) scenarios.Result {
	t.Helper()
	s, err := scenarios.Lookup(name)
	require.NoError(t, err)
	res, err := scenarios.Execute(s, scenarios.Options{Seed: seed})
	require.NoError(t, err)
	t.Logf("%s seed %d:\n%s", name, seed, strings.Join(res.Summary, "\n"))
	return res
}

func metric(t *testing.T, res scenarios.Result, name string) float64 {
	t.Helper()
	v, ok := res.Metric(name)
	require.True(t, ok, "metric %s", name)
	return v
}

func traceHash(t *testing.T, name string, seed uint64) string {
	t.Helper()
	s, err := scenarios.Lookup(name)
	require.NoError(t, err)
	h := sim.NewHasher()
	_, err = scenarios.Execute(s, scenarios.Options{Seed: seed, Tracer: h})
	require.NoError(t, err)
	require.Positive(t, h.Records())
	return h.Sum()
}

// Same seed, same trace; another seed, another trace.
func TestScenariosAreDeterministic(t *testing.T) {
	for _, name := range []string{"2pc", "2pc-coordinator-crash", "2pc-participant-crash", "2pc-timeout", "replication", "saga", "sharding"} {
		t.Run(name, func(t *testing.T) {
			a := traceHash(t, name, 7)
			assert.Equal(t, a, traceHash(t, name, 7))
			assert.NotEqual(t, a, traceHash(t, name, 8))
		})
	}
}
