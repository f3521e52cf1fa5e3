package dsimcli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dsim runs the command line in-process and returns its exit status and
// what it wrote.
func dsim(args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = runEnv(args, &out, &errOut, func(string) string { return "" }) // English, whatever the machine's LANG
	return status, out.String(), errOut.String()
}

func TestSameSeedWritesTheSameTraceFile(t *testing.T) {
	dir := t.TempDir()
	trace := func(name string, seed string) []byte {
		path := filepath.Join(dir, name)
		status, _, stderr := dsim("run", "broadcast", "--seed", seed, "--quiet", "--trace", path)
		require.Equal(t, exitOK, status, stderr)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NotEmpty(t, b)
		return b
	}
	a, b, c := trace("A", "7"), trace("B", "7"), trace("C", "8")
	assert.True(t, bytes.Equal(a, b), "seed 7 twice must give byte-identical traces")
	assert.False(t, bytes.Equal(a, c), "seed 8 must give a different trace")
}

func TestRunNarratesAndSummarises(t *testing.T) {
	status, out, _ := dsim("run", "broadcast", "--seed", "3")
	require.Equal(t, exitOK, status)
	assert.Contains(t, out, "# broadcast, seed 3:")
	assert.Regexp(t, `(?m)^\d+\.\d{3}ms n\d->n\d Value\{V:\d+\}$`, out, "deliveries read like 12.003ms n1->n2 Value{V:11}")
	assert.Contains(t, out, "converged: every node has all 10 values")
	assert.True(t, strings.HasSuffix(out, "OK\n"))
}

func TestBadInputExitsTwoWithAClearMessage(t *testing.T) {
	dir := t.TempDir()
	badSched := filepath.Join(dir, "bad.txt")
	require.NoError(t, os.WriteFile(badSched, []byte("# faults\n1s partition n1 | n2\n2s explode n3\n"), 0o644))

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown scenario", []string{"run", "brodcast"}, `unknown scenario "brodcast" (did you mean "broadcast"?)`},
		{"no scenario", []string{"run"}, "needs exactly one scenario name"},
		{"bad flag", []string{"run", "broadcast", "--sed", "3"}, "flag provided but not defined: -sed"},
		{"bad flag value", []string{"run", "broadcast", "--seed", "seven"}, `invalid value "seven" for flag -seed: a seed is a whole number from 0 to 18446744073709551615`},
		{"negative seed", []string{"explore", "2pc", "--seed", "-1"}, `a seed is a whole number from 0`},
		{"unknown scenario, no guess", []string{"run", "nope"}, `unknown scenario "nope"; the scenarios are: `},
		{"unknown broken variant", []string{"run", "paxos-basic", "--broken", "nope", "--trace", filepath.Join(dir, "never.jsonl")}, `unknown broken variant "nope" for paxos-basic; its variants are: forgets-promise, ignores-accepted-values`},
		{"bad duration", []string{"run", "broadcast", "--for", "-3s"}, "--for must be positive"},
		{"missing schedule", []string{"run", "broadcast", "--schedule", filepath.Join(dir, "nope")}, "cannot read the fault schedule"},
		{"malformed schedule", []string{"run", "broadcast", "--schedule", badSched}, "line 3"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"window without svg", []string{"run", "broadcast", "--svg-from", "1s"}, "give --svg too"},
		{"backwards window", []string{"run", "broadcast", "--svg", filepath.Join(dir, "x.svg"), "--svg-from", "2s", "--svg-to", "1s"}, "is empty or backwards"},
		{"no command", nil, "Usage:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, stderr := dsim(tc.args...)
			assert.Equal(t, exitUsage, status)
			assert.Contains(t, stderr, tc.want)
			assert.NotContains(t, out, "# ", "a usage error prints no run header")
		})
	}
	_, err := os.Stat(filepath.Join(dir, "never.jsonl"))
	assert.ErrorIs(t, err, os.ErrNotExist, "a usage error writes no trace file")
}

func TestEveryCommandHasHelp(t *testing.T) {
	for name := range commands {
		status, out, _ := dsim(name, "--help")
		assert.Equal(t, exitOK, status, name)
		assert.Contains(t, out, "Usage: dsim "+name, name)
		assert.NotContains(t, out, " \n", "%s --help: a line ends in a space", name)
	}
	status, out, _ := dsim("help")
	assert.Equal(t, exitOK, status)
	assert.Contains(t, out, "dsim list")
	// The overview names every command once, in a column of its own.
	for name, c := range commands {
		re := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + `  +` + regexp.QuoteMeta(c.summary) + `$`)
		assert.Len(t, re.FindAllString(out, -1), 1, "%s in dsim help:\n%s", name, out)
	}
}

func TestListShowsEveryScenario(t *testing.T) {
	status, out, _ := dsim("list")
	require.Equal(t, exitOK, status)
	assert.Regexp(t, `(?m)^  broadcast\s+10s  gossip broadcast`, out)
}
