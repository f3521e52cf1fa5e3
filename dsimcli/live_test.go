package dsimcli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cluster file that can never work is a usage error (exit 2) naming the
// field, whichever command reads it, before anything starts.
func TestLiveCommandsRefuseABadClusterFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"cluster":"lab","members":[{"id":"n1","addr":"127.0.0.1:99999"}]}`), 0o644))
	want := `members[0].addr "127.0.0.1:99999": port 99999 is out of range: want 1 to 65535`
	for _, args := range [][]string{
		{"node", "--cluster", path, "--id", "n1", "--data", filepath.Join(dir, "n1"), "--insecure"},
		{"kv", "--cluster", path, "get", "x"},
		{"status", "--cluster", path},
		{"fault", "--cluster", path, "heal"},
	} {
		status, _, stderr := dsim(args...)
		assert.Equal(t, exitUsage, status, "%v: %s", args, stderr)
		assert.Contains(t, stderr, want, "%v", args)
	}
	_, err := os.Stat(filepath.Join(dir, "n1"))
	assert.ErrorIs(t, err, os.ErrNotExist, "dsim node opened nothing")
}

func TestClusterLocalRefusesBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--base-port", "80000"}, "--base-port 80000: want a port from 1 to 65533 (3 nodes)"},
		{[]string{"--n", "0"}, "--n 0: want 1 to 99 nodes"},
	} {
		status, _, stderr := dsim(append([]string{"cluster", "local", "--dir", t.TempDir()}, c.args...)...)
		assert.Equal(t, exitUsage, status, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
}
