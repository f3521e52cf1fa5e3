package paxos_test

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	_ "github.com/dsimlab/dsim/scenarios/paxos"
	"github.com/dsimlab/dsim/scenarios/scenariotest"
)

// The catalog checks every scenario for determinism; these run the stories.

var metric = scenariotest.Metric

func execute(t *testing.T, name string, seed uint64) scenarios.Result {
	t.Helper()
	return scenariotest.Run(t, name, scenarios.Options{Seed: seed})
}
