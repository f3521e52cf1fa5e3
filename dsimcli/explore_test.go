package dsimcli

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExploreCorrectPaxosFindsNoViolation(t *testing.T) {
	status, out, stderr := dsim("explore", "paxos-basic", "--deviations", "2", "--out", filepath.Join(t.TempDir(), "x.cex"))
	require.Equal(t, exitOK, status, stderr)
	m := regexp.MustCompile(`no violation in (\d+) distinct states up to depth (\d+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	states, _ := strconv.Atoi(m[1])
	assert.GreaterOrEqual(t, states, 1000, out)
}

// The promise: the explorer finds the broken Paxos, writes the
// counterexample, and dsim run on it fails the same way.
func TestExploreBrokenPaxosWritesACounterexampleThatRunReplays(t *testing.T) {
	cex := filepath.Join(t.TempDir(), "cex.schedule")
	status, out, stderr := dsim("explore", "paxos-basic", "--broken", "forgets-promise", "--out", cex)
	require.Equal(t, exitFailed, status, stderr)
	assert.NotContains(t, stderr, "\r", "off a terminal, progress is whole lines")
	assert.NotContains(t, stderr, "\x1b[K")
	m := regexp.MustCompile(`VIOLATION after \d+ steps \(.*\): (.*)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	violation := m[1]
	assert.Contains(t, out, "dsim run paxos-basic --seed 1 --schedule "+cex)

	status, out, stderr = dsim("run", "paxos-basic", "--broken", "forgets-promise", "--schedule", cex, "--quiet")
	require.Equal(t, exitFailed, status, stderr)
	assert.Contains(t, out, "FAILED: paxos: "+violation)

	// The file carries the variant: without --broken the run is the same
	// (only the replay line differs, as it need not name the variant).
	status, out2, _ := dsim("run", "paxos-basic", "--schedule", cex, "--quiet")
	require.Equal(t, exitFailed, status)
	before := func(s string) string { // the run's story, without the wall time and the replay line
		s = s[strings.Index(s, "messages:"):]
		return s[:strings.Index(s, "replay:")]
	}
	assert.Equal(t, before(out), before(out2))

	// A --broken that contradicts the file is refused.
	status, _, stderr = dsim("run", "paxos-basic", "--broken", "ignores-accepted-values", "--schedule", cex)
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "the file says broken forgets-promise")
}

func TestExploreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explore"}, "exactly one scenario"},
		{[]string{"explore", "paxos-basik"}, "unknown scenario"},
		{[]string{"explore", "raft-kv"}, "cannot be explored"},
		{[]string{"explore", "paxos-basic", "--broken", "nope"}, "its variants are: forgets-promise, ignores-accepted-values"},
		{[]string{"explore", "paxos-basic", "--set", "proposers=9"}, "proposers"},
		{[]string{"explore", "paxos-basic", "--depth", "-3"}, "bound"},
		{[]string{"explore", "paxos-basic", "--bfs", "--dfs"}, "not both"},
		{[]string{"run", "paxos-basic", "--broken", "nope"}, "unknown broken variant"},
	} {
		status, _, stderr := dsim(tc.args...)
		assert.Equal(t, exitUsage, status, strings.Join(tc.args, " "))
		assert.Contains(t, stderr, tc.want, strings.Join(tc.args, " "))
	}
}

// Bounds left to the scenario show no made-up default in the help.
func TestExploreHelpShowsNoFakeDefaults(t *testing.T) {
	status, out, stderr := dsim("explore", "--help")
	require.Equal(t, exitOK, status)
	help := out + stderr
	assert.Contains(t, help, "-deviations N")
	assert.NotContains(t, help, "(default -1)")
}
