package i18n

import "golang.org/x/text/language"

// ScenarioText is a scenario's text in one language: the fields of
// scenarios.Scenario a learner reads, and each knob's doc by knob name.
type ScenarioText struct {
	Summary, Doc, LookFor string
	Knobs                 map[string]string
}

// scenarioTexts holds the translations, by language and scenario name.
var scenarioTexts = map[language.Tag]map[string]ScenarioText{}

func addScenarios(t language.Tag, m map[string]ScenarioText) {
	if scenarioTexts[t] == nil {
		scenarioTexts[t] = map[string]ScenarioText{}
	}
	for k, v := range m {
		scenarioTexts[t][k] = v
	}
}

// Scenario is the named scenario's text in language t, if translated.
func Scenario(t language.Tag, name string) (ScenarioText, bool) {
	s, ok := scenarioTexts[t][name]
	return s, ok
}
