package tcp

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The banner of dsim cluster local shows each client command the protocol
// suggests, with the cluster file, and no line ends in a stray space (a
// command without arguments, such as "call", left one).
func TestLocalClusterUsageShowsEachTry(t *testing.T) {
	lc := &LocalCluster{
		Dir:         "/tmp/c",
		ClusterFile: "/tmp/c/cluster.json",
		Cluster:     Cluster{Name: "c", Members: []Member{{ID: "n1", Addr: "127.0.0.1:7001"}}},
		Protocol:    Protocol{Try: []string{"call", "kv put x 1"}},
	}
	out := lc.Usage("dsim")
	assert.Contains(t, out, "\n  dsim call --cluster /tmp/c/cluster.json\n")
	assert.Contains(t, out, "\n  dsim kv --cluster /tmp/c/cluster.json put x 1\n")
	for _, line := range strings.Split(out, "\n") {
		assert.Equal(t, strings.TrimRight(line, " "), line)
	}
}
