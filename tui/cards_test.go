package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/dsimlab/dsim/scenarios/catalog" // every family's scenarios
)

// cardText is every card of the session at now, as "id role | line | ...".
func cardText(s *Session) map[string]string {
	out := map[string]string{}
	for _, c := range cardsOf(s) {
		out[string(c.id)] = c.role + " | " + strings.Join(c.lines, " | ")
	}
	return out
}

// Each family's card shows the state its lesson turns on.
func TestCardsShowTheLessonsState(t *testing.T) {
	cases := []struct {
		scenario string
		at       time.Duration
		node     string
		want     []string
	}{
		// n3 crashed at 1s: the coordinators' failure detectors suspect it.
		{"quorum-kv", 1300 * time.Millisecond, "n1", []string{"suspects n3"}},
		// reco slowed at 2s: the guarded shop's breaker opens at about 4s.
		{"breaker-cascade", 4500 * time.Millisecond, "guarded-front", []string{"breaker reco open"}},
		{"breaker-cascade", 3 * time.Second, "plain-front", []string{"busy 32/32"}},
		// Lamport and vector clocks.
		{"lamport", time.Second, "A", []string{"lamport ", "vector [A:"}},
		// 2PC: a participant's locks.
		{"2pc-coordinator-crash", 600 * time.Millisecond, "p1", []string{"lock x T1"}},
	}
	for _, tc := range cases {
		m := newModel(t, Options{Scenario: tc.scenario, Seed: 1})
		require.NoError(t, m.s.RunTo(tc.at), tc.scenario)
		card := cardText(m.s)[tc.node]
		for _, w := range tc.want {
			assert.Contains(t, card, w, "%s at %v, card %s", tc.scenario, tc.at, tc.node)
		}
	}
}

// In the compact table, names, roles and timers line up whatever the
// node names' lengths, and a node without a timer does not shift its
// fields; the breaker, the lesson, is on screen at 80 columns.
func TestCompactRowsAlign(t *testing.T) {
	m := newModel(t, Options{Scenario: "breaker-cascade", Seed: 1, Width: 80, Height: 14})
	require.NoError(t, m.s.RunTo(4500*time.Millisecond))
	lines := strings.Split(screen(m), "\n")[1:9]
	col := -1
	for _, l := range lines {
		i := strings.IndexAny(l, "bd") // busy, done, breaker: the first field
		for !strings.HasPrefix(l[i:], "busy") && !strings.HasPrefix(l[i:], "done") && !strings.HasPrefix(l[i:], "breaker") {
			i += strings.IndexAny(l[i+1:], "bd") + 1
		}
		c := ansi.StringWidth(l[:i])
		if col < 0 {
			col = c
		}
		assert.Equal(t, col, c, "first field of %q", l)
	}
	assert.Contains(t, strings.Join(lines, "\n"), "breaker reco open")
}
