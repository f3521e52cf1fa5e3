package storage

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

var fiveSeeds = []uint64{1, 2, 3, 4, 5}

func run(t *testing.T, name string, o scenarios.Options) scenarios.Result {
	t.Helper()
	s, err := scenarios.Lookup(name)
	require.NoError(t, err)
	res, err := scenarios.Execute(s, o)
	require.NoError(t, err)
	return res
}

func metric(t *testing.T, r scenarios.Result, name string) float64 {
	t.Helper()
	v, ok := r.Metric(name)
	require.True(t, ok, "no metric %s", name)
	return v
}

func traceHash(t *testing.T, name string, seed uint64) string {
	t.Helper()
	h := sim.NewHasher()
	run(t, name, scenarios.Options{Seed: seed, Tracer: h})
	require.Positive(t, h.Records())
	return h.Sum()
}

func TestScenariosAreDeterministic(t *testing.T) {
	for _, name := range []string{"consistent-hashing", "quorum-kv", "quorum-linearizability", "cap"} {
		t.Run(name, func(t *testing.T) {
			a := traceHash(t, name, 7)
			require.Equal(t, a, traceHash(t, name, 7), "same seed, same trace")
			require.NotEqual(t, a, traceHash(t, name, 8), "another seed, another trace")
		})
	}
}
