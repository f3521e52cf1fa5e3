package dsimcli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/livecatalog"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/replay"
	"github.com/dsimlab/dsim/sim"
)

// recording writes a short recording of n1 of a three-node raft-kv
// cluster, run in the simulator, and returns its path.
func recording(t *testing.T) string {
	t.Helper()
	cluster := tcp.Cluster{Name: "lab", Protocol: "raft-kv", Members: []tcp.Member{{ID: "n1", Addr: "a:1"}, {ID: "n2", Addr: "a:2"}, {ID: "n3", Addr: "a:3"}}}
	p, err := livecatalog.Lookup("raft-kv")
	require.NoError(t, err)
	var buf bytes.Buffer
	var rec *replay.Recorder
	w := sim.NewWorld(sim.Config{Seed: 3})
	for _, m := range cluster.Members {
		w.AddNode(m.ID, func() sim.Node {
			reg, err := p.NewRegistry()
			require.NoError(t, err)
			n, err := p.New(tcp.NodeConfig{ID: m.ID, Cluster: cluster})
			require.NoError(t, err)
			if m.ID == "n1" {
				rec = replay.Record(n, &buf, reg, "raft-kv", cluster, 42)
				return rec
			}
			return n
		})
	}
	w.RunFor(500 * time.Millisecond)
	require.NoError(t, rec.Err())
	path := filepath.Join(t.TempDir(), "n1.record")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

// dsim replay checks a recording; --tui without a terminal, and --run
// without --tui, are usage errors that say what to do instead.
func TestReplayCommand(t *testing.T) {
	path := recording(t)
	status, out, stderr := dsim("replay", path)
	require.Equal(t, exitOK, status, stderr)
	assert.Contains(t, out, "n1 of raft-kv: 1 run(s)")
	assert.Contains(t, out, "every output matches")

	status, _, stderr = dsim("replay", path, "--tui")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "dsim replay --tui needs a terminal")
	assert.Contains(t, stderr, "'dsim replay "+path+"' checks the recording without one")

	status, _, stderr = dsim("replay", path, "--run", "2")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "--run chooses the run --tui shows")
}
