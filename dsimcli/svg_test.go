package dsimcli

// Tests of the commands that draw and sweep: run --svg, sweep, plot.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A scenario only this test binary has (the registry is global).
func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "test-cmd-fails-on-odd-seeds",
		Summary: "a test scenario whose check fails exactly on odd seeds",
		For:     time.Second,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			w := sim.NewWorld(sim.Config{Seed: o.Seed, Tracer: o.Tracer})
			return &scenarios.Run{World: w, Finish: func() scenarios.Result {
				r := scenarios.Result{Metrics: []scenarios.Metric{{Name: "seed", Value: float64(o.Seed), Unit: "seed"}}}
				if o.Seed%2 == 1 {
					r.Err = fmt.Errorf("seed %d is odd", o.Seed)
				}
				return r
			}}, nil
		},
	})
}

func TestRunSVGDrawsTheSpaceTimeDiagram(t *testing.T) {
	dir := t.TempDir()
	draw := func(name, seed string) []byte {
		path := filepath.Join(dir, name)
		status, _, stderr := dsim("run", "broadcast", "--seed", seed, "--quiet", "--svg", path)
		require.Equal(t, exitOK, status, stderr)
		return readFile(t, path)
	}
	a, b, c := draw("a.svg", "3"), draw("b.svg", "3"), draw("c.svg", "4")
	assertWellFormedXML(t, a)
	s := string(a)
	assert.True(t, strings.HasPrefix(s, "<svg"))
	assert.Contains(t, s, "broadcast, seed 3", "the diagram is titled with the run")
	assert.Contains(t, s, ">n1<", "a line per node, labelled")
	assert.True(t, bytes.Equal(a, b), "the same seed draws the same diagram, byte for byte")
	assert.False(t, bytes.Equal(a, c), "another seed draws another run")

	status, out, _ := dsim("run", "--help")
	assert.Equal(t, exitOK, status)
	assert.Contains(t, out, "--svg")
	assert.Contains(t, out, "space-time diagram")

	status, _, stderr := dsim("run", "broadcast", "--svg", filepath.Join(dir, "no", "such", "dir.svg"))
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "cannot write the diagram")
}

func TestSweepAggregatesAndListsFailingSeeds(t *testing.T) {
	status, out, stderr := dsim("sweep", "test-cmd-fails-on-odd-seeds", "--seeds", "2-5,8", "-p", "2")
	assert.Equal(t, exitFailed, status, "a failing seed fails the sweep")
	assert.Contains(t, out, "# test-cmd-fails-on-odd-seeds over 5 seeds (2-5,8)")
	assert.Regexp(t, `(?m)^seed\s+5\s+2 seed\s+4 seed\s+8 seed\s+8 seed$`, out, "min, median, p99, max of the seeds themselves")
	assert.Contains(t, out, ""+
		"2 of 5 seeds failed:\n"+
		"  seed 3: seed 3 is odd\n"+
		"    dsim run test-cmd-fails-on-odd-seeds --seed 3\n"+
		"  seed 5: seed 5 is odd\n"+
		"    dsim run test-cmd-fails-on-odd-seeds --seed 5\n")
	assert.Contains(t, stderr, "5/5 seeds (100%), 2 failed")

	status, out, _ = dsim("sweep", "test-cmd-fails-on-odd-seeds", "--seeds", "2,4", "--for", "2s")
	assert.Equal(t, exitOK, status)
	assert.Contains(t, out, "all 2 seeds passed")
}

// Off a terminal (a log, CI), progress is a line every 5%: a long sweep
// shows it is alive without flooding the log.
func TestSweepProgressOffATerminal(t *testing.T) {
	_, _, stderr := dsim("sweep", "test-cmd-fails-on-odd-seeds", "--seeds", "1-200", "-p", "2")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	assert.Len(t, lines, 20)
	assert.Regexp(t, `^test-cmd-fails-on-odd-seeds: 10/200 seeds \(5%\), \d+ failed, \S+ elapsed, ETA \S+$`, lines[0], "which runs finished first varies with -p")
	assert.Regexp(t, `^test-cmd-fails-on-odd-seeds: 200/200 seeds \(100%\), 100 failed, \S+ elapsed$`, lines[19])
}

func TestSweepTableIsTheSameForAnyParallelism(t *testing.T) {
	_, one, _ := dsim("sweep", "raft-election", "--seeds", "1-24", "-p", "1")
	_, four, _ := dsim("sweep", "raft-election", "--seeds", "1-24", "-p", "4")
	assert.Contains(t, one, "election_time")
	assert.Equal(t, one, four)
}

func TestSweepAndPlotUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no seeds", []string{"sweep", "broadcast"}, "needs --seeds"},
		{"open range", []string{"sweep", "broadcast", "--seeds", "1-"}, `range "1-" needs a seed on both sides of the dash`},
		{"not numbers", []string{"sweep", "broadcast", "--seeds", "a-b"}, `"a" is not a seed`},
		{"reversed", []string{"sweep", "broadcast", "--seeds", "9-3"}, "range 9-3 is reversed; did you mean 3-9?"},
		{"zero parallel", []string{"sweep", "broadcast", "--seeds", "1-3", "-p", "0"}, "-p must be at least 1"},
		{"negative for", []string{"sweep", "broadcast", "--seeds", "1-3", "--for", "-1s"}, "--for must be positive"},
		{"no scenario", []string{"sweep", "--seeds", "1-3"}, "needs exactly one scenario name"},
		{"unknown scenario", []string{"sweep", "raft-elektion", "--seeds", "1"}, `did you mean "raft-election"?`},
		{"missing schedule", []string{"sweep", "broadcast", "--seeds", "1", "--schedule", "/no/such/file"}, "cannot read the fault schedule"},
		{"seed and seeds", []string{"plot", "broadcast", "--seed", "3", "--seeds", "1-3"}, "not both"},
		{"bad format", []string{"plot", "broadcast", "--format", "gif"}, "--format must be png or svg"},
		{"bad plot seeds", []string{"plot", "broadcast", "--seeds", "1,,2"}, "an empty item"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, stderr := dsim(tc.args...)
			assert.Equal(t, exitUsage, status)
			assert.Contains(t, stderr, tc.want)
		})
	}
}

func TestPlotWritesARunsPlotsAndASweepsDistributions(t *testing.T) {
	dir := t.TempDir()
	status, out, stderr := dsim("plot", "raft-election", "--seed", "3", "--out", dir, "--format", "svg")
	require.Equal(t, exitOK, status, stderr)
	want := []string{"latency.svg", "nodes.svg", "types.svg", "activity.svg", "spacetime.svg"}
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		assert.Equal(t, filepath.ToSlash(filepath.Join(dir, "raft-election-seed3-"+want[i])), line)
		assertWellFormedXML(t, readFile(t, line))
	}

	status, out, stderr = dsim("plot", "raft-election", "--seeds", "1-20", "--out", dir)
	require.Equal(t, exitOK, status, stderr)
	election := filepath.Join(dir, "raft-election-sweep-election_time.png")
	assert.Contains(t, out, filepath.ToSlash(election))
	first := readFile(t, election)
	assert.True(t, bytes.HasPrefix(first, []byte("\x89PNG")))

	// Same input, same bytes: a golden test can hold the file.
	status, _, _ = dsim("plot", "raft-election", "--seeds", "1-20", "--out", dir, "-p", "1")
	require.Equal(t, exitOK, status)
	assert.True(t, bytes.Equal(first, readFile(t, election)), "the same sweep plots the same PNG")

	status, out, _ = dsim("plot", "test-cmd-fails-on-odd-seeds", "--seeds", "1-4", "--out", dir)
	assert.Equal(t, exitFailed, status, "plots are written, but the failing seeds still fail the command")
	assert.Contains(t, out, "test-cmd-fails-on-odd-seeds-sweep-seed.png")
	assert.Contains(t, out, "dsim run test-cmd-fails-on-odd-seeds --seed 3")
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func assertWellFormedXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if !assert.NoError(t, err) {
			return
		}
	}
}

// --svg-from and --svg-to zoom the diagram in on a stretch of the run: the
// election after n1 is cut off, here.
func TestSVGWindowZoomsIn(t *testing.T) {
	dir := t.TempDir()
	whole, window := filepath.Join(dir, "whole.svg"), filepath.Join(dir, "window.svg")
	status, _, stderr := dsim("run", "raft-election", "--seed", "3", "--quiet", "--svg", whole)
	require.Equal(t, exitOK, status, stderr)
	status, _, stderr = dsim("run", "raft-election", "--seed", "3", "--quiet", "--svg", window, "--svg-from", "1s", "--svg-to", "1.4s")
	require.Equal(t, exitOK, status, stderr)
	w := readFile(t, window)
	assertWellFormedXML(t, w)
	assert.True(t, strings.Contains(string(w), "virtual time 1000.000ms to 1400.000ms"), "the window's header names its span")
	assert.True(t, strings.Contains(string(w), "RequestVote{Term:4"), "the election after n1 is cut off is in the window")
	assert.False(t, strings.Contains(string(w), "RequestVote{Term:3"), "the first election, at ~150ms, is not")
	assert.True(t, strings.Contains(string(readFile(t, whole)), "virtual time 0.000ms to"), "without a window the diagram starts at 0")
}
