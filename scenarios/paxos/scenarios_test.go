package paxosscenarios_test

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	_ "github.com/dsimlab/dsim/scenarios/paxos"
	"github.com/stretchr/testify/require"
)

func execute(t *testing.T, name string, seed uint64) scenarios.Result {
	t.Helper()
	s, err := scenarios.Lookup(name)
	require.NoError(t, err)
	res, err := scenarios.Execute(s, scenarios.Options{Seed: seed})
	require.NoError(t, err)
	for _, l := range res.Summary {
		t.Log(l)
	}
	return res
}

func metric(t *testing.T, r scenarios.Result, name string) float64 {
	t.Helper()
	v, ok := r.Metric(name)
	require.True(t, ok, "metric %s", name)
	return v
}
