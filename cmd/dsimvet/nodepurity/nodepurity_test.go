package nodepurity_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/dsimlab/dsim/cmd/dsimvet/nodepurity"
)

// TestNodeCode checks each kind of finding, and that the right way of
// doing the same thing (sorted keys, a sum over a map, a script outside
// node code) is left alone: every line without a `want` must stay silent.
func TestNodeCode(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), nodepurity.Analyzer, "node", "clean")
}
