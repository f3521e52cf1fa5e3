package dsimcli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDsimProcess is a helper, not a test: with DSIM_TEST_AS_DSIM=1 the
// test binary behaves as the dsim command (the arguments after "--"), so
// other tests can run dsim as separate processes without building it.
func TestDsimProcess(t *testing.T) {
	if os.Getenv("DSIM_TEST_AS_DSIM") != "1" {
		t.Skip("a helper: runs only as a child process of another test")
	}
	i := slices.Index(os.Args, "--")
	os.Exit(Main(os.Args[i+1:]))
}

// dsimOnPath puts an executable named dsim into a new directory and
// returns the directory: it runs this test binary as dsim.
func dsimOnPath(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nDSIM_TEST_AS_DSIM=1 exec %q -test.run='^TestDsimProcess$' -- \"$@\"\n", self)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dsim"), []byte(script), 0o755))
	return dir
}

// pathWith is the environment with dir first on PATH, plus extra.
func pathWith(dir string, extra ...string) []string {
	return append(append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH")), extra...)
}

// Shards run as separate processes, each on its slice of the seeds; merged,
// their files print the very bytes the whole sweep prints: the table, the
// failing seeds with their replay commands, and the exit status.
func TestShardedSweepMergesToTheWholeSweep(t *testing.T) {
	bin := dsimOnPath(t)
	cases := []struct {
		name   string
		args   []string
		shards int
		status int
	}{
		{"the issue's sweep, two shards", []string{"sweep", "raft-election", "--seeds", "1-200"}, 2, exitOK},
		{"failing seeds, three shards", []string{"sweep", "raft-election", "--seeds", "1-30,41", "--for", "1200ms"}, 3, exitFailed},
		{"a knob set, failing seeds replayed with it", []string{"sweep", "raft-election", "--seeds", "1-12", "--for", "1200ms", "--set", "nodes=3"}, 2, exitFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, whole, stderr := dsim(tc.args...)
			require.Equal(t, tc.status, status, stderr)

			dir := t.TempDir()
			var files []string
			var procs []*exec.Cmd
			for k := 1; k <= tc.shards; k++ {
				file := filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", k))
				files = append(files, file)
				args := append(slices.Clone(tc.args[1:]), "--shard", fmt.Sprintf("%d/%d", k, tc.shards), "--out", file, "-p", "1")
				cmd := exec.Command(filepath.Join(bin, "dsim"), append([]string{"sweep"}, args...)...)
				cmd.Env = pathWith(bin)
				require.NoError(t, cmd.Start())
				procs = append(procs, cmd)
			}
			for _, p := range procs {
				require.NoError(t, p.Wait(), "a shard exits 0 once its file is written, failing seeds or not")
			}
			slices.Reverse(files) // the order of the files does not matter
			status, merged, stderr := dsim(append([]string{"sweep", "merge"}, files...)...)
			assert.Equal(t, tc.status, status, stderr)
			assert.Equal(t, whole, merged)
		})
	}
}

func TestShardAndMergeRefuseBadInput(t *testing.T) {
	dir := t.TempDir()
	shard := func(spec string) string {
		file := filepath.Join(dir, "s"+spec[:1]+".jsonl")
		status, _, stderr := dsim("sweep", "raft-election", "--seeds", "1-4", "--shard", spec, "--out", file)
		require.Equal(t, exitOK, status, stderr)
		return file
	}
	s1, s2 := shard("1/2"), shard("2/2")
	other := filepath.Join(dir, "other.jsonl")
	status, _, stderr := dsim("sweep", "raft-election", "--seeds", "1-5", "--shard", "2/2", "--out", other)
	require.Equal(t, exitOK, status, stderr)
	knobbed := filepath.Join(dir, "knobbed.jsonl")
	status, _, stderr = dsim("sweep", "raft-election", "--seeds", "1-4", "--set", "nodes=3", "--shard", "2/2", "--out", knobbed)
	require.Equal(t, exitOK, status, stderr)
	junk := filepath.Join(dir, "junk.jsonl")
	require.NoError(t, os.WriteFile(junk, []byte("hello\n"), 0o644))

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"shard counted from zero", []string{"sweep", "raft-election", "--seeds", "1-4", "--shard", "0/2", "--out", junk}, "K counts shards from 1 to 2"},
		{"shard past N", []string{"sweep", "raft-election", "--seeds", "1-4", "--shard", "3/2", "--out", junk}, "K counts shards from 1 to 2"},
		{"not K/N", []string{"sweep", "raft-election", "--seeds", "1-4", "--shard", "half", "--out", junk}, "write K/N"},
		{"shard without a file", []string{"sweep", "raft-election", "--seeds", "1-4", "--shard", "1/2"}, "--shard needs --out FILE"},
		{"merge without files", []string{"sweep", "merge"}, "needs the shards' files"},
		{"a shard missing", []string{"sweep", "merge", s1}, "shard 2/2 missing"},
		{"a shard twice", []string{"sweep", "merge", s1, s1, s2}, "shard 1/2 is given twice"},
		{"shards of two sweeps", []string{"sweep", "merge", s1, other}, "is of another sweep"},
		{"shards with other knobs", []string{"sweep", "merge", s1, knobbed}, "is of another sweep"},
		{"not a shard file", []string{"sweep", "merge", junk}, "is not a shard header"},
		{"no such file", []string{"sweep", "merge", filepath.Join(dir, "nope.jsonl")}, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, stderr := dsim(tc.args...)
			assert.Equal(t, exitUsage, status)
			assert.Contains(t, stderr, tc.want)
		})
	}
	status, out, _ := dsim("sweep", "merge", s2, s1)
	assert.Equal(t, exitOK, status)
	assert.Contains(t, out, "all 4 seeds passed")
}
