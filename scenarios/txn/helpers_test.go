package txn

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/scenariotest"
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
