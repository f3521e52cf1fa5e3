package scenarios

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/check/explore"
)

// Without the explorer, delays of 1–5ms never make Figure 8 happen: n1
// commits its term-2 entry only together with its own, broken or not.
func TestRaftFigure8PlainRunsAreSafe(t *testing.T) {
	for _, broken := range []string{"", "commits-earlier-term-by-counting"} {
		for _, seed := range fiveSeeds {
			res := run(t, "raft-figure8", Options{Seed: seed, Broken: broken})
			require.NoError(t, res.Err, "seed %d %s", seed, broken)
			summary := strings.Join(res.Summary, "\n")
			assert.Regexp(t, `n\d became leader of term \d`, summary)
			assert.Contains(t, summary, "safety held after every event")
		}
	}
}

// exploreFigure8 explores raft-figure8 at the scenario's own bounds.
func exploreFigure8(t *testing.T, broken string) (Scenario, Options, explore.Result) {
	t.Helper()
	s, err := Lookup("raft-figure8")
	require.NoError(t, err)
	o := Options{Seed: 1, Broken: broken}
	m, err := ExploreModel(s, o)
	require.NoError(t, err)
	r, err := explore.Explore(explore.Config{Model: m, Bounds: s.Explore.BoundsOr(DefaultExploreBounds)})
	require.NoError(t, err)
	t.Logf("raft-figure8 %q: %d states, %d transitions, depth %d, complete %v, %v", broken, r.States, r.Edges, r.Depth, r.Complete, r.Elapsed)
	return s, o, r
}

// The explorer finds Figure 8 in the broken Raft: the leader of term 4
// commits the term-2 entry by counting, crashes with its own entry lost on
// the way, and n2 wins and overwrites index 1. dsim run, given the
// counterexample, fails the same way.
func TestExplorerFindsFigure8AndTheReplayFailsTheSameWay(t *testing.T) {
	s, o, r := exploreFigure8(t, "commits-earlier-term-by-counting")
	require.Error(t, r.Violation)
	require.True(t, errors.Is(r.Violation, check.ErrStateMachineSafety), "violation %v", r.Violation)
	assert.Contains(t, r.Violation.Error(), `n1 applied "term 2: no-op" at index 1 but n2 applied "term 3: no-op" there`)
	var kinds []string
	for _, st := range r.Path {
		if st.Kind == explore.Crash || st.Kind == explore.Drop {
			kinds = append(kinds, st.Kind.String()+" "+string(st.From)+string(st.Node))
		}
	}
	assert.Equal(t, []string{"drop n1", "crash n1"}, kinds, "the leader's own entry is lost on its way to n3, and the leader crashes")

	var file bytes.Buffer
	require.NoError(t, Counterexample(&file, s, o, r))
	rf, err := ParseRunFile(&file)
	require.NoError(t, err, file.String())
	assert.Equal(t, "commits-earlier-term-by-counting", rf.Broken)
	res, err := Execute(s, Options{Seed: o.Seed, Schedule: rf.Schedule, Knobs: rf.Knobs, Broken: rf.Broken})
	require.NoError(t, err)
	require.Error(t, res.Err)
	assert.Equal(t, r.Violation.Error(), res.Err.Error(), "the replay fails with the explorer's violation")
}

// Correct Raft, at the same bounds: every state seen, no violation.
func TestExplorerFindsNoFigure8InCorrectRaft(t *testing.T) {
	_, _, r := exploreFigure8(t, "")
	require.NoError(t, r.Violation, "%v", r.Path)
	assert.True(t, r.Complete, "every state within the bounds was seen")
	assert.Greater(t, r.States, 10_000)
}
