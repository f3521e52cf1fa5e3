package catalog

import (
	"strings"
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/scenariotest"
	"github.com/stretchr/testify/assert"
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

// Every scenario carries what explain, list and the TUI show: a chapter of
// the course, a story and what to look for. Scenarios added later must set
// them too.
func TestEveryScenarioHasChapterStoryAndLookFor(t *testing.T) {
	require.NotEmpty(t, scenarios.All())
	for _, s := range scenarios.All() {
		assert.NotEmpty(t, s.Chapter, "%s: no Chapter", s.Name)
		assert.NotEmpty(t, strings.TrimSpace(s.Doc), "%s: no Doc (the story)", s.Name)
		assert.NotEmpty(t, strings.TrimSpace(s.LookFor), "%s: no LookFor", s.Name)
		assert.NotContains(t, s.Doc, "Look for:", "%s: the Doc still has a Look for: paragraph; move it to LookFor", s.Name)
		for _, k := range s.Knobs {
			assert.NotEmpty(t, k.Doc, "%s: knob %s has no Doc", s.Name, k.Name)
		}
	}
}
