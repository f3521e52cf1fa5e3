package livecatalog

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
)

// dsimExit runs the dsim binary and returns its output and exit status.
func dsimExit(t *testing.T, exe string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(exe, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	require.NoError(t, err)
	return out.String(), 0
}

// A raft-kv cluster records its run (dsim cluster local --record), takes
// five puts, loses n3 to SIGKILL and gets it back, and stops. dsim replay feeds each node's recorded inputs to a
// fresh node in the simulator and every output matches; a recording with one
// message altered diverges, and dsim replay names where.
func TestLiveRecordingReplaysInTheSimulator(t *testing.T) {
	t.Parallel()
	l := startLive(t, "raft-kv", 3, "", func(o *tcp.LocalOptions) { o.Record = true })
	for i := range 5 {
		require.Equal(t, "OK\n", l.must(t, 5*time.Second, "kv", "put", "k"+strconv.Itoa(i), "v"))
	}
	// n3 is killed and comes back: its recording holds two runs, the
	// second starting from the disk the first left.
	require.NoError(t, l.Kill("n3"))
	require.NoError(t, l.Start("n3"))
	l.waitStatus(t, 5*time.Second, "n3 back", func(st map[sim.NodeID]map[string]string) bool { return st["n3"]["error"] == "" })
	require.Equal(t, "OK\n", l.must(t, 5*time.Second, "kv", "put", "after", "v"))
	l.Stop()
	for _, id := range l.Cluster.IDs() {
		runs := "1 run"
		if id == "n3" {
			runs = "2 run"
		}
		out, exit := dsimExit(t, l.exe, "replay", filepath.Join(l.Dir, string(id)+".record"))
		require.Equal(t, 0, exit, out)
		assert.Regexp(t, string(id)+`.record: `+string(id)+` of raft-kv: `+runs+`\(s\), \d+ events, \d+ outputs replayed; every output matches`, out)
	}
	path := filepath.Join(l.Dir, "n1.record")

	// Tamper: the first Raft message n1 received now carries a term far
	// ahead. The node would persist it and answer with it.
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(string(data), "\n")
	tampered := false
	for i, line := range lines {
		var l struct {
			Kind string
			Msg  struct {
				Type string
				Body map[string]any
			}
		}
		if json.Unmarshal([]byte(line), &l) != nil || l.Kind != "msg" || !strings.HasPrefix(l.Msg.Type, "raft.") {
			continue
		}
		lines[i] = strings.Replace(line, `"Term":`, `"Term":1000`, 1)
		tampered = lines[i] != line
		t.Logf("tampered line %d: %s", i+1, lines[i])
		break
	}
	require.True(t, tampered, "n1 received a Raft message")
	bad := filepath.Join(t.TempDir(), "tampered.record")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644))
	out, exit := dsimExit(t, l.exe, "replay", bad)
	assert.Equal(t, 1, exit, out)
	assert.Regexp(t, `DIVERGED: run 1, line \d+ \(raft\.\w+ from n\d at [\d:.]+\): output \d+ differs: the live node did .*; the replay did `, out)
	t.Log(out)
}
