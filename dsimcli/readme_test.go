package dsimcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README is the front door: its scenario table lists every scenario
// dsim has, so a new one cannot land unannounced.
func TestREADMEListsEveryScenario(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	for _, s := range scenarios.All() {
		if strings.HasPrefix(s.Name, "test-") {
			continue // registered by tests
		}
		assert.Contains(t, string(readme), "| `"+s.Name+"` |", "README's scenario table lacks %s", s.Name)
	}
}

// The README's example fault schedule parses and raft-kv passes under it.
func TestREADMEFaultScheduleRuns(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	text := string(readme)
	start := strings.Index(text, "```\n# dsim fault schedule")
	require.GreaterOrEqual(t, start, 0, "README has no fault schedule example")
	start += len("```\n")
	end := strings.Index(text[start:], "```")
	path := filepath.Join(t.TempDir(), "faults.txt")
	require.NoError(t, os.WriteFile(path, []byte(text[start:start+end]), 0o644))
	status, out, stderr := dsim("run", "raft-kv", "--schedule", path, "--quiet")
	require.Equal(t, exitOK, status, "%s%s", out, stderr)
	assert.Contains(t, out, "the history of")
}

// The README's trace example reads like what it does: LinesExcept leaves
// the kinds out (the old name, Lines, read like a filter that keeps them).
func TestREADMEUsesLinesExcept(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	assert.NotContains(t, string(readme), "rec.Lines(")
	assert.Contains(t, string(readme), "rec.LinesExcept(sim.KindSend, sim.KindTimerSet)")
}

// The quickstart's output is what `dsim run raft-election --seed 7` prints:
// every line the README shows (but "..." and the wall time, which varies)
// is in the real output, the trace hash included, so a change to the
// trace or the narration cannot leave the front page behind.
func TestREADMEQuickstartOutputIsTrue(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	text := string(readme)
	start := strings.Index(text, "```\n# raft-election, seed 7:")
	require.GreaterOrEqual(t, start, 0, "README has no quickstart output")
	start += len("```\n")
	end := strings.Index(text[start:], "```")
	status, out, stderr := dsim("run", "raft-election", "--seed", "7")
	require.Equal(t, exitOK, status, stderr)
	lines := 0
	for _, line := range strings.Split(strings.TrimSpace(text[start:start+end]), "\n") {
		if line == "..." || strings.Contains(line, "of wall time") {
			continue
		}
		if strings.HasSuffix(line, "...") { // the header, cut short
			line = strings.TrimSuffix(line, "...")
		}
		assert.Contains(t, out, line)
		lines++
	}
	assert.Greater(t, lines, 20)
}
