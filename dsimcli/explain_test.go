package dsimcli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/text/language"

	"github.com/dsimlab/dsim/i18n"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/stretchr/testify/require"
)

func TestExplainTellsTheStoryKnobsAndWhatToTry(t *testing.T) {
	status, out, stderr := dsim("explain", "quorum-kv")
	require.Equal(t, exitOK, status, stderr)
	for _, want := range []string{
		"quorum-kv: three replicas",
		"The story", "five clients",
		"What to look for",
		"Nodes (8): n1 n2 n3 c1 c2 c3 c4 c5",
		"Default length: 5s",
		"Knobs (change them with --set NAME=VALUE):",
		"default 3", "default 2", "1..5", "timeout", "50ms",
		"dsim tui quorum-kv", "dsim sweep quorum-kv --seeds 1-100", "dsim plot quorum-kv --seed 1",
	} {
		assert.Contains(t, out, want)
	}
	for _, knob := range []string{"\n  N ", "\n  W ", "\n  R "} {
		assert.Contains(t, out, knob, "explain lists knob %q", strings.TrimSpace(knob))
	}
}

// explore's --help sends a learner to explain for the broken variants:
// explain lists them, and suggests the explorer where it applies; the
// variants it names are the ones run accepts.
func TestExplainNamesBrokenVariantsAndTheExplorer(t *testing.T) {
	status, out, stderr := dsim("explain", "paxos-basic")
	require.Equal(t, exitOK, status, stderr)
	assert.Contains(t, out, "Deliberately broken implementations (--broken VARIANT on run, tui and explore):\n  forgets-promise, ignores-accepted-values\n")
	assert.Contains(t, out, "  dsim explore paxos-basic\n")
	assert.Contains(t, out, "  dsim explore paxos-basic --broken forgets-promise\n")
	status, _, stderr = dsim("run", "paxos-basic", "--broken", "ignores-accepted-values", "--quiet")
	assert.NotEqual(t, exitUsage, status, stderr)

	status, out, _ = dsim("explain", "quorum-kv")
	require.Equal(t, exitOK, status)
	assert.NotContains(t, out, "broken")
	assert.NotContains(t, out, "dsim explore")
}

func TestListGroupsByChapterWithLengths(t *testing.T) {
	status, out, _ := dsim("list")
	require.Equal(t, exitOK, status)
	consensus := strings.Index(out, "Consensus: Raft and Paxos:")
	basics := strings.Index(out, "The simulator: messages, time and order:")
	require.True(t, basics >= 0 && consensus > basics, "chapters in the course's order:\n%s", out)
	assert.Regexp(t, `(?m)^  raft-election\s+4s  five Raft nodes`, out)
	assert.Less(t, consensus, strings.Index(out, "raft-election"), "raft-election is listed under consensus")
}

func TestRunPointsToExplain(t *testing.T) {
	status, out, _ := dsim("run", "lamport", "--quiet")
	require.Equal(t, exitOK, status)
	assert.Contains(t, out, "dsim explain lamport")
}

func TestSetChangesAKnob(t *testing.T) {
	status, out, stderr := dsim("run", "quorum-kv", "--quiet", "--set", "W=1", "--set", "R=1")
	require.Equal(t, exitOK, status, stderr)
	assert.Contains(t, out, "# quorum-kv, seed 1 --set R=1 --set W=1:")
	assert.Regexp(t, `stale reads\s+[1-9]\d*/\d+`, out, "W=1, R=1 shows stale reads in the first column")
	status, out, _ = dsim("run", "quorum-kv", "--quiet")
	require.Equal(t, exitOK, status)
	assert.Regexp(t, `stale reads\s+0/\d+`, out, "the default W=2, R=2 shows none")

	status, out, _ = dsim("run", "broadcast", "--quiet", "--set", "nodes=3")
	require.Equal(t, exitOK, status)
	assert.Contains(t, out, "every node has all 6 values")
}

func TestBadKnobsExitTwoAndListTheValidOnes(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"run", "quorum-kv", "--set", "X=1"}, []string{`no knob "X"`, "N (1..5, default 3)", "W (1..5, default 2)", "R (1..5, default 2)"}},
		{[]string{"run", "quorum-kv", "--set", "W=9"}, []string{`W="9": out of range (takes 1..5)`}},
		{[]string{"run", "quorum-kv", "--set", "W=two"}, []string{"not a whole number"}},
		{[]string{"run", "quorum-kv", "--set", "W"}, []string{"write KEY=VALUE"}},
		{[]string{"run", "quorum-kv", "--set", "W=1", "--set", "W=2"}, []string{"given twice"}},
		{[]string{"run", "quorum-kv", "--set", "N=2", "--set", "W=3"}, []string{"must be at most N=2"}},
		{[]string{"run", "raft-election", "--set", "prevote=maybe"}, []string{"not true or false"}},
		{[]string{"sweep", "quorum-kv", "--seeds", "1", "--set", "W=1,x"}, []string{"not a whole number"}},
		{[]string{"plot", "quorum-kv", "--set", "Q=1"}, []string{`no knob "Q"`}},
		{[]string{"tui", "quorum-kv", "--set", "Q=1"}, []string{`no knob "Q"`}},
	}
	for _, tc := range cases {
		status, _, stderr := dsim(tc.args...)
		assert.Equal(t, exitUsage, status, "%v", tc.args)
		for _, w := range tc.want {
			assert.Contains(t, stderr, w, "%v", tc.args)
		}
	}
}

func TestSweepPrintsOneTablePerKnobValue(t *testing.T) {
	status, out, stderr := dsim("sweep", "broadcast", "--seeds", "1-2", "-p", "1", "--set", "nodes=3,4")
	require.Equal(t, exitOK, status, stderr)
	a, b := strings.Index(out, "# broadcast, nodes=3 over 2 seeds"), strings.Index(out, "# broadcast, nodes=4 over 2 seeds")
	require.True(t, a >= 0 && b > a, out)
	assert.Equal(t, 2, strings.Count(out, "converge_time"), "one table each")
}

func TestTUIWithoutATerminalSaysSo(t *testing.T) {
	status, _, stderr := dsim("tui", "raft-election")
	assert.Equal(t, exitUsage, status)
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	assert.Contains(t, stderr, "needs a terminal")
}

func TestOutputWriteErrorsAreReported(t *testing.T) {
	var errOut bytes.Buffer
	status := runEnv([]string{"list"}, failingWriter{}, &errOut, func(string) string { return "" })
	assert.Equal(t, exitFailed, status)
	assert.Contains(t, errOut.String(), "writing the output")
	errOut.Reset()
	status = runEnv([]string{"explain", "lamport"}, failingWriter{}, &errOut, func(string) string { return "" })
	assert.Equal(t, exitFailed, status)
	status = runEnv([]string{"run", "lamport", "--quiet"}, failingWriter{}, &errOut, func(string) string { return "" })
	assert.Equal(t, exitFailed, status)
	status = runEnv([]string{"version"}, failingWriter{}, &errOut, func(string) string { return "" })
	assert.Equal(t, exitFailed, status)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errNoSpace }

var errNoSpace = &writeError{"no space left on device"}

type writeError struct{ s string }

func (e *writeError) Error() string { return e.s }

// The example: the learner cuts n1 off at 150ms and heals at 500ms.
// The run tells what happened and exits 0.
func TestRunWithALearnersScheduleTellsATrueStory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.txt")
	require.NoError(t, os.WriteFile(path, []byte("150ms isolate n1\n500ms heal\n"), 0o644))
	status, out, stderr := dsim("run", "raft-election", "--seed", "1", "--quiet", "--schedule", path)
	require.Equal(t, exitOK, status, stderr+out)
	assert.Contains(t, out, "n1 could not reach a majority, yet went on believing it led term 3")
	assert.NotContains(t, out, "no new leader was elected while n1 was cut off")
	assert.NotContains(t, out, "at 1s n1 lost its network; it kept believing it was the leader")
}

// The main commands' summaries and help read in Japanese and Chinese, and
// so do the other commands' summaries. Commands added after the
// translations were written are listed in the log, to be added to
// i18n/commands.go; the ones below must have theirs.
func TestCommandTextsAreTranslated(t *testing.T) {
	main := map[string]bool{"list": true, "explain": true, "run": true, "tui": true, "sweep": true, "plot": true, "version": true}
	translated := map[string]bool{"node": true, "cluster": true, "kv": true, "status": true, "fault": true}
	var later []string
	for name, c := range commands {
		if strings.HasPrefix(name, "test-") {
			continue
		}
		for _, tag := range []language.Tag{i18n.Japanese, i18n.TraditionalChinese} {
			required := main[name] || translated[name]
			if !i18n.Has(tag, c.summary) {
				msg := fmt.Sprintf("%s: the summary of dsim %s has no translation in i18n/commands.go", i18n.Code(tag), name)
				if required {
					t.Error(msg)
				} else {
					later = append(later, msg)
				}
			}
			if main[name] && !i18n.Has(tag, strings.TrimSpace(c.help)) {
				t.Errorf("%s: the help of dsim %s has no translation in i18n/commands.go", i18n.Code(tag), name)
			}
		}
	}
	if len(later) > 0 {
		sort.Strings(later)
		t.Logf("commands added after the translations, to translate:\n  %s", strings.Join(later, "\n  "))
	}
}

// The must-shows: explain in three languages, a Japanese summary
// from LANG.
func TestExplainAndRunSpeakTheLearnersLanguage(t *testing.T) {
	_, en, _ := dsim("explain", "raft-election")
	_, ja, _ := dsim("explain", "raft-election", "--lang", "ja")
	_, zh, _ := dsim("--lang=zh-Hant", "explain", "raft-election")
	assert.Contains(t, en, "What to look for")
	for _, want := range []string{"注目すべき点", "筋書き", "リーダー", "任期", "過半数", "ノブ（--set 名前=値 で変更できます）", "既定値 200ms", "dsim tui raft-election"} {
		assert.Contains(t, ja, want)
	}
	for _, want := range []string{"觀察重點", "故事", "領導者", "任期", "多數", "旋鈕", "dsim tui raft-election"} {
		assert.Contains(t, zh, want)
	}

	var out, errOut bytes.Buffer
	jaJP := func(k string) string {
		if k == "LANG" {
			return "ja_JP.UTF-8"
		}
		return ""
	}
	status := runEnv([]string{"run", "raft-election", "--seed", "1", "--quiet"}, &out, &errOut, jaJP)
	require.Equal(t, exitOK, status, errOut.String())
	for _, want := range []string{"シード 1", "任期 3 のリーダーになった", "過半数", "フォロワーに降格した", "最後に:", "メッセージ: 送信"} {
		assert.Contains(t, out.String(), want)
	}
	assert.Regexp(t, `(?m)^\s*\d+\.\d+ms  障害（シナリオ）: isolate n1$`, out.String(), "trace words (isolate n1) stay as they are")

	status, _, stderr := dsim("list", "--lang", "fr")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "dsim speaks en, ja and zh-Hant")
}

// A node's log line names the node once: "n1: read repair ...", not
// "n1: n1: read repair ...".
func TestLogLinesNameTheNodeOnce(t *testing.T) {
	status, out, _ := dsim("run", "quorum-kv", "--for", "2s")
	require.Equal(t, exitOK, status)
	require.Contains(t, out, ": read repair of ")
	for _, n := range []string{"n1", "n2", "n3"} {
		assert.NotContains(t, out, n+": "+n+": ")
	}
}

// Papercuts of dsim run, each a clear message and the right exit status.
func TestRunPapercuts(t *testing.T) {
	dir := t.TempDir()
	late := filepath.Join(dir, "late.txt")
	require.NoError(t, os.WriteFile(late, []byte("1s crash n2\n5s restart n2\n6s heal\n"), 0o644))
	status, out, _ := dsim("run", "raft-kv", "--quiet", "--for", "3s", "--schedule", late)
	assert.Equal(t, exitOK, status)
	assert.Contains(t, out, "2 schedule events after the run's end (3000.000ms) were not played")

	status, _, stderr := dsim("run", "lamport", "--for", "5")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "durations need a unit: write 5s, 150ms or 1m30s")
	status, _, stderr = dsim("run", "lamport", "--for", "0s")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "--for must be positive")

	status, _, stderr = dsim("run", "raft")
	assert.Equal(t, exitUsage, status)
	// Every raft-* scenario is suggested, not auth (the closest by edit
	// distance). Other tests in this package register scenarios of their
	// own (a course's), which may be suggested too.
	hint := stderr[:strings.Index(stderr, "the scenarios are")]
	for _, name := range []string{"raft-election", "raft-failover", "raft-kv", "raft-partition"} {
		assert.Contains(t, hint, `"`+name+`"`)
	}
	assert.NotContains(t, hint, `"auth"`)

	c1 := filepath.Join(dir, "c1.txt")
	require.NoError(t, os.WriteFile(c1, []byte("1s crash c1\n"), 0o644))
	status, _, stderr = dsim("run", "raft-election", "--schedule", c1)
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, `no such node: "c1"; the nodes are n1, n2, n3, n4, n5`)

	// A diagram with nothing to draw: a message, exit 1, no empty file.
	svg := filepath.Join(dir, "empty.svg")
	status, _, stderr = dsim("run", "consistent-hashing", "--quiet", "--svg", svg)
	assert.Equal(t, exitFailed, status)
	assert.Contains(t, stderr, "nothing to draw")
	assert.NoFileExists(t, svg)
	status, _, stderr = dsim("run", "lamport", "--quiet", "--svg", svg, "--svg-from", "5s")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "--svg-from 5s is at or after the run's end (1s)")
	assert.NoFileExists(t, svg)

	status, _, stderr = dsim("run", "lamport", "--quiet", "--artifacts", filepath.Join(dir, "no", "such"))
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "does not exist; create it first")
	assert.NoDirExists(t, filepath.Join(dir, "no"))

	file := filepath.Join(dir, "afile")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	status, _, stderr = dsim("plot", "lamport", "--out", file)
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "--out names the directory")
}

func TestVersion(t *testing.T) {
	status, out, _ := dsim("version")
	require.Equal(t, exitOK, status)
	assert.Regexp(t, `(?m)^dsim \S+`, out)
	assert.Regexp(t, `(?m)^go: go1\.\d+`, out)
	assert.Contains(t, out, "commit: ")
	v := readVersion(func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.3.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}, true
	})
	assert.Equal(t, versionInfo{module: "v0.3.0", commit: "abc123 (modified)", goVersion: "go1.26.0"}, v)
}

// The default diagram of raft-election covers the story, through n1's
// step-down after 3s; lamport's carries the vector clocks.
func TestDefaultDiagramsTellTheStory(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "re.svg")
	status, _, stderr := dsim("run", "raft-election", "--quiet", "--svg", svg)
	require.Equal(t, exitOK, status, stderr)
	b, err := os.ReadFile(svg)
	require.NoError(t, err)
	assert.Contains(t, string(b), ">leader t4</text>", "the new leader's election is drawn")
	assert.Contains(t, string(b), ">follower t4</text>", "and n1's step-down at the end")

	svg = filepath.Join(dir, "la.svg")
	status, _, _ = dsim("run", "lamport", "--quiet", "--svg", svg)
	require.Equal(t, exitOK, status)
	b, err = os.ReadFile(svg)
	require.NoError(t, err)
	assert.Regexp(t, `class="stamp"[^>]*>\[\d+,\d+,\d+\]</text>`, string(b))

	status, _, stderr = dsim("run", "lamport", "--quiet", "--svg", svg, "--svg-stamps", "wall")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "--svg-stamps must be none, lamport or vector")
}

// Usage errors about scenarios and knobs speak the learner's language.
func TestUsageErrorsAreTranslated(t *testing.T) {
	status, _, stderr := dsim("run", "raft", "--lang", "ja")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, `"raft" というシナリオはありません（"raft-election", "raft-failover", `)
	assert.Contains(t, stderr, `"raft-partition" のことですか？）`)
	status, _, stderr = dsim("run", "quorum-kv", "--set", "W=9", "--lang", "zh-Hant")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, `W="9"：超出範圍（可接受：1..5）`)
	status, _, stderr = dsim("run", "quorum-kv", "--set", "X=1", "--lang", "ja")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, `quorum-kv にノブ "X" はありません。ノブは: N（1..5、既定値 3）`)
	_, err := lookup("brodcast", i18n.NewPrinter(i18n.Japanese))
	assert.ErrorIs(t, err, scenarios.ErrUnknown)
}

// The live commands' usage errors exit 2 and say what to do (issue 15's
// list): a node not in the cluster, a link from a node to itself, negative
// delays and shares, an operation dsim kv does not have.
func TestLiveUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cluster := filepath.Join(dir, "cluster.json")
	require.NoError(t, os.WriteFile(cluster, []byte(`{"cluster": "lab", "protocol": "raft-kv", "members": [
		{"id": "n1", "addr": "127.0.0.1:1"}, {"id": "n2", "addr": "127.0.0.1:2"}, {"id": "n3", "addr": "127.0.0.1:3"}]}`), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"node", "--cluster", cluster, "--id", "n9", "--data", filepath.Join(dir, "d"), "--insecure"}, `n9 is not a member`},
		{[]string{"fault", "--cluster", cluster, "block", "n1", "n1"}, "a link joins two different nodes"},
		{[]string{"fault", "--cluster", cluster, "delay", "n1", "n2", "-5ms"}, "-5ms is a negative number, not a flag"},
		{[]string{"fault", "--cluster", cluster, "--", "delay", "n1", "n2", "-5ms"}, "a delay cannot be negative"},
		{[]string{"fault", "--cluster", cluster, "drop", "-1"}, "-1 is a negative number, not a flag"},
		{[]string{"fault", "--cluster", cluster, "--", "drop", "-1"}, "want a share between 0 and 1"},
		{[]string{"kv", "--cluster", cluster, "del", "x"}, "usage: dsim kv"},
		{[]string{"node", "--protocol", "nope", "--cluster", cluster, "--id", "n1", "--data", filepath.Join(dir, "d")}, `unknown protocol "nope"`},
	} {
		status, _, stderr := dsim(tc.args...)
		assert.Equal(t, exitUsage, status, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, "%v", tc.args)
	}
}
