package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tmuxTerm is a real terminal the test drives from outside: dsim tui runs
// inside a detached tmux session of a fixed size, the test types with
// send-keys and reads the screen with capture-pane.
type tmuxTerm struct {
	t      *testing.T
	socket string
}

func (tm *tmuxTerm) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	return string(out), err
}

func (tm *tmuxTerm) send(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		out, err := tm.tmux("send-keys", "-t", "dsim", k)
		require.NoError(tm.t, err, out)
	}
}

func (tm *tmuxTerm) capture() string {
	tm.t.Helper()
	out, err := tm.tmux("capture-pane", "-p", "-t", "dsim")
	require.NoError(tm.t, err, out)
	return out
}

// waitFor polls the screen until cond holds and the screen is the same
// twice in a row (the program has finished drawing), and returns it. A
// real terminal runs on the wall clock, so this test, unlike the model
// tests, has to wait; it gives up after 10s.
func (tm *tmuxTerm) waitFor(what string, cond func(screen string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	prev := ""
	for time.Now().Before(deadline) {
		s := tm.capture()
		if cond(s) && s == prev {
			return s
		}
		prev = s
		time.Sleep(20 * time.Millisecond)
	}
	tm.t.Fatalf("waiting for %s; the screen is:\n%s", what, prev)
	return ""
}

var eventRE = regexp.MustCompile(`│ event (\d+) │`)

func eventOf(screen string) int {
	m := eventRE.FindStringSubmatch(screen)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// leaderCard finds "leader" in a card and the term on the card's next line.
var leaderTermRE = regexp.MustCompile(`term (\d+) vote`)

// leaderTerms returns the terms shown on the cards of leaders.
func leaderTerms(screen string) []int {
	lines := strings.Split(screen, "\n")
	var terms []int
	for i, l := range lines {
		for _, cell := range strings.FieldsFunc(l, func(r rune) bool { return r == '│' || r == '║' }) {
			if strings.TrimSpace(cell) != "leader" || i+1 >= len(lines) {
				continue
			}
			// The term is on the next line, in the same columns.
			col := strings.Index(l, cell)
			next := lines[i+1]
			if col < len(next) {
				if m := leaderTermRE.FindStringSubmatch(next[col:]); m != nil {
					n, _ := strconv.Atoi(m[1])
					terms = append(terms, n)
				}
			}
		}
	}
	return terms
}

func TestDsimTUIInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed: .ci/run installs it before the tests, so on CI this test must run")
		}
		t.Skip("tmux is not installed, so the end-to-end test cannot run a terminal (apt-get install tmux; .ci/tui does)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "dsim")
	build := exec.Command("go", "build", "-o", bin, "github.com/dsimlab/dsim/cmd/dsim")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building dsim: %s", out)
	t.Run("election", func(t *testing.T) { electionInTmux(t, bin, dir) })
	t.Run("NO_COLOR", func(t *testing.T) { noColorInTmux(t, bin, dir) })
}

// startTmux runs dsim with args in a fresh tmux server of its own, 100x30.
func startTmux(t *testing.T, name, env, bin string, args string) *tmuxTerm {
	tm := &tmuxTerm{t: t, socket: fmt.Sprintf("dsim-tui-test-%d-%s", os.Getpid(), name)}
	cmd := fmt.Sprintf("%s %s %s; echo dsim exited with status $?; read x", env, bin, args)
	out, err := tm.tmux("new-session", "-d", "-s", "dsim", "-x", "100", "-y", "30", cmd)
	require.NoError(t, err, out)
	t.Cleanup(func() { _, _ = tm.tmux("kill-server") })
	return tm
}

func electionInTmux(t *testing.T, bin, dir string) {
	tm := startTmux(t, "election", "", bin, "tui raft-election --seed 1 --save-dir "+dir)

	s := tm.waitFor("the opening screen", func(s string) bool { return eventOf(s) == 0 })
	assert.Contains(t, s, "dsim tui raft-election seed 1")
	assert.Empty(t, leaderTerms(s), "no leader before anything happened")

	// Step until a leader appears.
	tm.send("l")
	s = tm.waitFor("a leader", func(s string) bool { return len(leaderTerms(s)) > 0 })
	assert.Equal(t, []int{3}, leaderTerms(s), "n1 wins term 3")
	assert.Contains(t, s, "n1: became leader in term 3")

	// Crash the leader (n1, selected from the start) and step on.
	tm.send("c")
	s = tm.waitFor("the crash", func(s string) bool { return strings.Contains(s, "CRASHED") })
	crashLine := ""
	for _, l := range strings.Split(s, "\n") {
		if strings.HasSuffix(strings.TrimSpace(l), "n1 CRASHES") {
			crashLine = strings.TrimSpace(l)
		}
	}
	require.NotEmpty(t, crashLine, "the log shows the crash:\n%s", s)
	assert.Empty(t, leaderTerms(s), "the only leader crashed")
	tm.send("l")
	s = tm.waitFor("a new leader", func(s string) bool { return len(leaderTerms(s)) > 0 })
	terms := leaderTerms(s)
	require.Len(t, terms, 1)
	assert.Greater(t, terms[0], 3, "the new leader's term is higher")
	assert.Contains(t, s, "CRASHED", "n1 is still down")

	// Step back returns the previous screen exactly.
	k := eventOf(s)
	tm.send("Space")
	before := tm.waitFor("one step", func(s string) bool { return eventOf(s) == k+1 })
	tm.send("Space")
	tm.waitFor("another step", func(s string) bool { return eventOf(s) == k+2 })
	tm.send("b")
	after := tm.waitFor("a step back", func(s string) bool { return eventOf(s) == k+1 })
	assert.Equal(t, before, after, "stepping back shows the earlier screen exactly")

	// Save the session; dsim run replays it, crash and all, at the same instant.
	tm.send("w")
	tm.waitFor("the save", func(s string) bool { return strings.Contains(s, "saved 1 fault") })
	file := filepath.Join(dir, "raft-election-seed1.schedule")
	replay, _ := exec.Command(bin, "run", "raft-election", "--seed", "1", "--schedule", file).CombinedOutput()
	assert.Contains(t, string(replay), "\n"+crashLine+"\n", "dsim run --schedule crashes n1 when the TUI did")

	tm.send("q")
	s = tm.waitFor("the exit", func(s string) bool { return strings.Contains(s, "dsim exited with status") })
	assert.Contains(t, s, "dsim exited with status 0")
}

func noColorInTmux(t *testing.T, bin, dir string) {
	colourSGR := regexp.MustCompile(`\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)m`)
	for _, tc := range []struct {
		env    string
		colour bool
	}{{"", true}, {"NO_COLOR=1", false}} {
		tm := startTmux(t, "colour"+strconv.FormatBool(tc.colour), tc.env, bin, "tui raft-election --seed 1 --save-dir "+dir)
		tm.waitFor("the opening screen", func(s string) bool { return eventOf(s) == 0 })
		tm.send("l")
		tm.waitFor("a leader", func(s string) bool { return len(leaderTerms(s)) > 0 })
		out, err := tm.tmux("capture-pane", "-e", "-p", "-t", "dsim")
		require.NoError(t, err)
		assert.Equal(t, tc.colour, colourSGR.MatchString(out), "%q: colour escapes on screen", tc.env)

		// r runs on the wall clock; r again pauses.
		tm.send("r")
		tm.waitFor("running", func(s string) bool { return strings.Contains(s, "running 10/s") && eventOf(s) > 21 })
		tm.send("r")
		tm.waitFor("paused", func(s string) bool { return strings.Contains(s, "paused") })
		tm.send("q")
		tm.waitFor("the exit", func(s string) bool { return strings.Contains(s, "dsim exited with status 0") })
	}
}
