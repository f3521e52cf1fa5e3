package dsimcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/network/tcp"
)

// A value too large for one request is refused at once, as a usage error:
// it was never sent (nothing listens at the cluster's addresses, so had it
// been tried, the command would have waited for --timeout and exited 1).
func TestKVRefusesAValueTooLargeToSend(t *testing.T) {
	dir := t.TempDir()
	clusterFile := filepath.Join(dir, "cluster.json")
	c := tcp.Cluster{Name: "c", Members: []tcp.Member{{ID: "n1", Addr: "127.0.0.1:1"}}}
	require.NoError(t, c.WriteFile(clusterFile))
	valueFile := filepath.Join(dir, "value")
	require.NoError(t, os.WriteFile(valueFile, []byte(strings.Repeat("v", tcp.MaxFrameSize)), 0o644))

	status, stdout, stderr := dsim("kv", "--cluster", clusterFile, "--timeout", "30s", "--value-file", valueFile, "put", "big")
	assert.Equal(t, exitUsage, status, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, `put "big" (and a 16777216-byte value)`)
	assert.Contains(t, stderr, "request too large")
	assert.Contains(t, stderr, "it was not applied")
	assert.NotContains(t, stderr, "may or may not")
	assert.Less(t, len(stderr), 1000, "the value was printed")

	status, _, stderr = dsim("kv", "--cluster", clusterFile, "--value-file", valueFile, "get", "big")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "with --value-file, give put KEY or append KEY")
}
