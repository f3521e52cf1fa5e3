package suite

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reference stands for one of dsim's own implementations.
type reference struct{ state int }

type studentNode struct {
	votes map[string]int
	log   []entry
}

type entry struct{ term int }

type lazyWrapper struct {
	inner *reference // nil until used: still refused by its type
}

type hidden struct {
	parts []any
}

func TestRefuse(t *testing.T) {
	const ref = "github.com/dsimlab/dsim/scenarios/suite.reference"
	cases := []struct {
		name    string
		v       any
		refused bool
	}{
		{"the student's own node", &studentNode{votes: map[string]int{"n1": 2}, log: []entry{{1}}}, false},
		{"the reference itself", &reference{state: 1}, true},
		{"a wrapper holding a nil pointer to it", &lazyWrapper{inner: nil}, true},
		{"the reference hidden in a slice of interfaces", &hidden{parts: []any{1, "x", &reference{}}}, true},
		{"a cycle", func() any { h := &hidden{}; h.parts = []any{h}; return h }(), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Refuse(tc.v, ref)
			if !tc.refused {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrReference)
			assert.Contains(t, err.Error(), "suite.reference")
		})
	}
	require.Error(t, Refuse(&reference{}, "github.com/dsimlab/dsim/scenarios/suite."), "a package path refuses all its types")
}

func TestAutograderFiles(t *testing.T) {
	a := Assignment{Name: "demo", Parts: []Part{{Name: "A", Title: "first", Points: 10}, {Name: "B", Title: "second", Points: 5}}}
	outs := []Outcome{
		{Part: "A", Name: "One", Passed: true, Score: 5, Max: 5, Output: "passed"},
		{Part: "A", Name: "Two", Passed: false, Score: 0, Max: 5, Output: "FAILED Two at seed 1: no leader\nmore"},
		{Part: "B", Name: "Three", Passed: true, Score: 5, Max: 5, Output: "passed"},
	}
	dir := t.TempDir()
	gs := filepath.Join(dir, "results.json")
	require.NoError(t, WriteGradescope(gs, a, outs))
	b, err := os.ReadFile(gs)
	require.NoError(t, err)
	var r struct {
		Score float64 `json:"score"`
		Tests []struct {
			Name       string  `json:"name"`
			Score      float64 `json:"score"`
			MaxScore   float64 `json:"max_score"`
			Output     string  `json:"output"`
			Visibility string  `json:"visibility"`
		} `json:"tests"`
	}
	require.NoError(t, json.Unmarshal(b, &r))
	assert.InDelta(t, 10, r.Score, 1e-9)
	require.Len(t, r.Tests, 3)
	assert.Equal(t, "part A: Two", r.Tests[1].Name)
	assert.InDelta(t, 5, r.Tests[1].MaxScore, 1e-9)
	assert.Equal(t, "visible", r.Tests[1].Visibility)

	ju := filepath.Join(dir, "junit.xml")
	require.NoError(t, WriteJUnit(ju, a, outs))
	b, err = os.ReadFile(ju)
	require.NoError(t, err)
	var doc junitSuites
	require.NoError(t, xml.Unmarshal(b, &doc))
	require.Len(t, doc.Suites, 2)
	assert.Equal(t, 1, doc.Suites[0].Failures)
	assert.Equal(t, "FAILED Two at seed 1: no leader", doc.Suites[0].Cases[1].Failure.Message)
}
