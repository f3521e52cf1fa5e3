package catalog

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/scenariotest"
	"github.com/stretchr/testify/require"
)

// Same seed, same bytes: the promise every scenario keeps, checked for
// every registered scenario.
func TestEveryScenarioIsDeterministic(t *testing.T) {
	all := scenarios.All()
	require.NotEmpty(t, all)
	for _, s := range all {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			scenariotest.CheckDeterministic(t, s)
		})
	}
}
