package i18n

import (
	"sort"
	"testing"
)

// A scenario's text is given once per language: a second addScenarios for
// the same name would replace the first depending on the files' init order.
func TestEachScenarioTextIsGivenOnce(t *testing.T) {
	dups := append([]string(nil), duplicateTexts...)
	sort.Strings(dups)
	if len(dups) > 0 {
		t.Errorf("scenario texts given twice (keep one, in the family's scenarios_<family>_ja.go / _zh.go): %v", dups)
	}
}
