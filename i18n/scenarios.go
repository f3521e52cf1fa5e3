package i18n

import (
	"sort"

	"golang.org/x/text/language"
)

// ScenarioText is a scenario's text in one language: the fields of
// scenarios.Scenario a learner reads, and each knob's doc by knob name.
type ScenarioText struct {
	Summary, Doc, LookFor string
	Knobs                 map[string]string
}

// scenarioTexts holds the translations, by language and scenario name.
var scenarioTexts = map[language.Tag]map[string]ScenarioText{}

// duplicateTexts lists each scenario given a text twice in one language
// ("ja outbox"): the second would silently replace the first, whichever
// file's init ran last. The package's tests require it empty.
var duplicateTexts []string

func addScenarios(t language.Tag, m map[string]ScenarioText) {
	if scenarioTexts[t] == nil {
		scenarioTexts[t] = map[string]ScenarioText{}
	}
	for k, v := range m {
		if _, dup := scenarioTexts[t][k]; dup {
			duplicateTexts = append(duplicateTexts, Code(t)+" "+k)
		}
		scenarioTexts[t][k] = v
	}
}

// Scenario is the named scenario's text in language t, if translated.
func Scenario(t language.Tag, name string) (ScenarioText, bool) {
	s, ok := scenarioTexts[t][name]
	return s, ok
}

// ScenarioNames are the names of the scenarios translated into language t,
// sorted.
func ScenarioNames(t language.Tag) []string {
	names := make([]string, 0, len(scenarioTexts[t]))
	for n := range scenarioTexts[t] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// without is a copy of the knob docs m without the given knobs (for a
// scenario that shares a family's docs but not all of its knobs).
func without(m map[string]string, knobs ...string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	for _, k := range knobs {
		delete(c, k)
	}
	return c
}
