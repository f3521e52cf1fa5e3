package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/dsimlab/dsim/i18n"
	"github.com/dsimlab/dsim/sim"
)

// g goes to a typed time, f to the next fault, e to the end; the run they
// reach is the one stepping would reach.
func TestKeysGoToATimeTheNextFaultAndTheEnd(t *testing.T) {
	m := newModel(t, Options{Scenario: "raft-election", Seed: 1})
	drive(m, "g", "1", ".", "5", "s")
	assert.Contains(t, screen(m), "go to time: 1.5s")
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	now := m.s.World().Now()
	assert.LessOrEqual(t, now, 1500*time.Millisecond)
	assert.Greater(t, now, 1400*time.Millisecond, "every event due by 1.5s has run")
	next, ok := m.s.World().NextAt()
	require.True(t, ok)
	assert.Greater(t, next, 1500*time.Millisecond)
	assert.Contains(t, screen(m), "at "+sim.FormatTime(now))

	// Back in time too: re-executed from the seed.
	drive(m, "g", "2", "0", "0", "m", "s")
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	assert.LessOrEqual(t, m.s.World().Now(), 200*time.Millisecond)

	// The next fault is the scenario's own cut at 1s; then its heal at 3s.
	drive(m, "f")
	assert.Equal(t, time.Second, m.s.World().Now())
	assert.Contains(t, m.msg, "FAULT isolate n1")
	drive(m, "f")
	assert.Equal(t, 3*time.Second, m.s.World().Now())
	drive(m, "f")
	assert.Contains(t, m.msg, "no fault before the end of the run")

	drive(m, "e")
	assert.True(t, m.s.Done())

	// A bad time is a message, not a jump; esc cancels.
	drive(m, "g", "5")
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	assert.Contains(t, m.msg, `not a time: "5"`)
	drive(m, "g", "1")
	m.Update(tea.KeyPressMsg{Code: tea.KeyEscape})
	assert.Nil(t, m.prompt)
}

// The help screen and the footer speak the learner's language.
func TestHelpSpeaksTheLearnersLanguage(t *testing.T) {
	m := newModel(t, Options{Scenario: "raft-election", Seed: 1, Printer: i18n.NewPrinter(i18n.Japanese), Width: 100, Height: 60})
	drive(m, "?")
	s := screen(m)
	assert.Contains(t, s, "キー")
	assert.Contains(t, s, "1 イベント進む")
	assert.Contains(t, s, "注目すべき点", "the scenario's explanation, in Japanese")
}

// Every key's help has its Japanese and Chinese text.
func TestKeyHelpIsTranslated(t *testing.T) {
	for _, k := range keyHelp {
		for _, tag := range []language.Tag{i18n.Japanese, i18n.TraditionalChinese} {
			assert.True(t, i18n.Has(tag, k[1]), "%s: key %s: %q", i18n.Code(tag), k[0], k[1])
		}
	}
}

// At 80 columns the replay command of a saved schedule is shown whole.
func TestSavedScheduleCommandShownWhole(t *testing.T) {
	m := newModel(t, Options{Scenario: "raft-election", Seed: 1, Width: 80, Height: 24})
	drive(m, "space", "space", "i", "w")
	require.Contains(t, m.msg, "dsim run raft-election --seed 1 --schedule ")
	cmd := m.msg[strings.Index(m.msg, "dsim run"):]
	squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
	assert.Contains(t, squeeze(screen(m)), squeeze(cmd), "the whole command is on the screen, over up to three lines")
	for _, l := range strings.Split(screen(m), "\n") {
		assert.LessOrEqual(t, ansi.StringWidth(l), 80)
	}
}
