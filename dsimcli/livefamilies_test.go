package dsimcli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A wrong per-family option, from --opt or from the cluster file, is a
// usage error that names the field, found before any node starts.
func TestLiveOptionsAreCheckedByField(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"cluster", "local", "--protocol", "quorum-kv", "--opt", "w=5"}, "options.w: 5: want 1 to n (3)"},
		{[]string{"cluster", "local", "--protocol", "quorum-kv", "--opt", "n=4"}, "options.n: 4: want 1 to the number of members (3)"},
		{[]string{"cluster", "local", "--protocol", "quorum-kv", "--opt", "colour=red"}, `options: unknown field "colour"`},
		{[]string{"cluster", "local", "--protocol", "multipaxos-kv", "--opt", "heartbeat_interval=1s"}, "options.heartbeat_interval: 1s: want a positive duration below election_timeout (300ms)"},
		{[]string{"cluster", "local", "--protocol", "paxos", "--opt", "retry_timeout=soon"}, "options.retry_timeout"},
		{[]string{"cluster", "local", "--protocol", "nope"}, `unknown protocol "nope" (known: `},
	}
	for _, c := range cases {
		dir := t.TempDir()
		status, _, stderr := dsim(append(c.args, "--dir", dir)...)
		assert.Equal(t, exitUsage, status, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}

	status, _, stderr := dsim("call", "--cluster", "/nonexistent/cluster.json", "--count", "0")
	assert.Equal(t, exitUsage, status, stderr)
	assert.Contains(t, stderr, "--count 0: make at least one call")

	// The same checks read a hand-written cluster file.
	path := filepath.Join(t.TempDir(), "cluster.json")
	os.WriteFile(path, []byte(`{"cluster":"lab","protocol":"quorum-kv","options":{"r":0},"members":[{"id":"n1","addr":"127.0.0.1:1"}]}`), 0o644)
	status, _, stderr = dsim("node", "--cluster", path, "--id", "n1", "--data", t.TempDir())
	assert.Equal(t, exitUsage, status, stderr)
	assert.Contains(t, stderr, "options.r: 0: want 1 to n (1)")
}
