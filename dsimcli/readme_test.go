package dsimcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsimlab/dsim/livecatalog"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README is the front door: its scenario table lists every scenario
// dsim has, with the Summary dsim list prints, so a new one cannot land
// unannounced and the two cannot drift apart.
func TestREADMEListsEveryScenario(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	for _, s := range scenarios.All() {
		if strings.HasPrefix(s.Name, "test-") {
			continue // registered by tests
		}
		assert.Contains(t, string(readme), "| `"+s.Name+"` | "+s.Summary+" |", "README's scenario table lacks %s, or says it differently from its Summary", s.Name)
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
		line = strings.TrimSuffix(line, "...") // the header, cut short
		assert.Contains(t, out, line)
		lines++
	}
	assert.Greater(t, lines, 20)
}

// The README's list of knobs is the scenarios' own: a line "- `NAME`:"
// for every scenario that has knobs, naming exactly its knobs, in order.
func TestREADMEListsEveryKnob(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	text := string(readme)
	start := strings.Index(text, "Knobs today")
	require.GreaterOrEqual(t, start, 0, "README has no list of knobs")
	end := start + strings.Index(text[start:], "\n\nWhen knobs")
	require.Greater(t, end, start, "README's list of knobs ends with a paragraph \"When knobs ...\"")
	listed := map[string]string{}
	for _, line := range strings.Split(text[start:end], "\n") {
		if name, knobs, ok := strings.Cut(line, "`: `"); ok && strings.HasPrefix(name, "- `") {
			listed[strings.TrimPrefix(name, "- `")] = "`" + knobs
		}
	}
	for _, s := range scenarios.All() {
		if len(s.Knobs) == 0 || strings.HasPrefix(s.Name, "test-") {
			assert.NotContains(t, listed, s.Name, "README lists knobs for %s, which has none", s.Name)
			continue
		}
		var want []string
		for _, k := range s.Knobs {
			want = append(want, "`"+k.Name+"`")
		}
		assert.Equal(t, strings.Join(want, ", "), listed[s.Name], "README's knobs of %s", s.Name)
	}
}

// Every protocol that runs live has a row in the README's live table (the
// one whose first column is --protocol), and every row there runs.
func TestREADMEListsEveryLiveProtocol(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	text := string(readme)
	start := strings.Index(text, "| `--protocol` |")
	require.GreaterOrEqual(t, start, 0, "README has no table of live protocols")
	end := start + strings.Index(text[start:], "\n\n")
	table := text[start:end]
	rows := 0
	for _, line := range strings.Split(table, "\n")[2:] {
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
		_, err := livecatalog.Lookup(name)
		assert.NoError(t, err, "README's live table has a row for %q", name)
		rows++
	}
	for _, name := range livecatalog.Names() {
		assert.Contains(t, table, "| `"+name+"` |", "README's live table lacks %s", name)
	}
	assert.Equal(t, len(livecatalog.Names()), rows)
}

// The README's table of packages names every package directory, or one
// above it (`scenarios` covers scenarios/data): a new package cannot land
// unannounced. internal/ and homework/ are not the library.
func TestREADMEListsEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	text := string(readme)
	start := strings.Index(text, "| floor | package | what it holds |")
	require.GreaterOrEqual(t, start, 0, "README has no table of packages")
	table := text[start : start+strings.Index(text[start:], "\n\n")]
	dirs := map[string]bool{}
	err = filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("..", path)
		if d.IsDir() {
			if n := d.Name(); rel != "." && (strings.HasPrefix(n, ".") || n == "testdata" || n == "internal" || n == "homework") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.ToSlash(filepath.Dir(rel))] = true
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for dir := range dirs {
		covered := false
		for d := dir; d != "." && !covered; d = filepath.ToSlash(filepath.Dir(d)) {
			covered = strings.Contains(table, "`"+d+"`")
		}
		assert.True(t, covered, "README's table of packages lacks %s", dir)
	}
}
