package livecatalog

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

var broadcastLine = regexp.MustCompile(`^(\S+): broadcast by (n\d) at Lamport (\d+), vector (\S+) \(asked (n\d)\)\n$`)

// Clients broadcast through every node while n3 is killed: values
// broadcast through n1 and n2 reach n3 once it is back (anti-entropy), and
// every node ends with every value and the same stamps for each.
func TestLiveBroadcastEveryNodeGetsEveryValue(t *testing.T) {
	t.Parallel()
	l := startLive(t, "broadcast", 3, `{"anti_entropy": "100ms"}`)
	l.waitStatus(t, 5*time.Second, "every node up", func(st map[sim.NodeID]map[string]string) bool {
		return st["n1"]["error"] == "" && st["n2"]["error"] == "" && st["n3"]["error"] == ""
	})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var values []string
	for i := range 6 {
		wg.Go(func() {
			v := fmt.Sprintf("v%d", i)
			out := l.must(t, 5*time.Second, "broadcast", v, "--node", "n"+strconv.Itoa(i%2+1))
			assert.Regexp(t, broadcastLine, out)
			mu.Lock()
			values = append(values, v)
			mu.Unlock()
		})
		if i == 2 {
			require.NoError(t, l.Kill("n3"))
			l.logf(t, "SIGKILL n3 in the middle of the broadcasts")
		}
	}
	wg.Wait()
	require.NoError(t, l.Start("n3"))
	l.logf(t, "restarted n3")
	l.waitStatus(t, 5*time.Second, "n3 back", func(st map[sim.NodeID]map[string]string) bool { return st["n3"]["error"] == "" })
	out := l.must(t, 5*time.Second, "broadcast", "after", "--node", "n3")
	m := broadcastLine.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Equal(t, "n3", m[2], "n3 broadcast it")
	values = append(values, "after")

	st := l.waitStatus(t, 5*time.Second, "every node to have every value", func(st map[sim.NodeID]map[string]string) bool {
		for _, id := range l.Cluster.IDs() {
			if st[id]["values"] != strconv.Itoa(len(values)) {
				return false
			}
		}
		return true
	})
	for _, v := range values {
		stamp := st["n1"]["value "+v]
		assert.Regexp(t, `^from n\d, Lamport \d+, vector \[(n\d:\d+,?)+\]$`, stamp, v)
		for _, id := range l.Cluster.IDs() {
			assert.Equal(t, stamp, st[id]["value "+v], "%s's stamps for %s", id, v)
		}
	}
}
