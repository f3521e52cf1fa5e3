package livecatalog

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

// kvWorkload runs `dsim kv put` for keys prefix-0.. from workers clients
// and returns the writes the cluster acknowledged.
func kvWorkload(t *testing.T, l *liveCluster, prefix string, workers, rounds int) map[string]string {
	var mu sync.Mutex
	acked := map[string]string{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				key, val := fmt.Sprintf("%s-%d-%d", prefix, w, i), fmt.Sprintf("v%d", i)
				if out, exit := l.run(3*time.Second, "kv", "put", key, val); exit == 0 && out == "OK\n" {
					mu.Lock()
					acked[key] = val
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return acked
}

// checkAcked reads every acknowledged write back through `dsim kv get`.
func checkAcked(t *testing.T, l *liveCluster, acked map[string]string) {
	t.Helper()
	require.NotEmpty(t, acked, "some writes were acknowledged")
	for key, want := range acked {
		got := l.must(t, 5*time.Second, "kv", "get", key)
		assert.Equal(t, want, strings.TrimSpace(got), "acknowledged write %s", key)
	}
}

// Multi-Paxos replicates the same KV store as Raft: kill the leader with
// SIGKILL while clients write, a new leader takes over, the old one
// restarts on its data (its log says so) and catches up, and no
// acknowledged write is lost.
func TestLiveMultiPaxosKVSurvivesKillingTheLeader(t *testing.T) {
	t.Parallel()
	l := startLive(t, "multipaxos-kv", 3, "")
	ids := l.Cluster.IDs()
	require.Equal(t, "OK\n", l.must(t, 5*time.Second, "kv", "put", "x", "1"))
	require.Equal(t, "1\n", l.must(t, 2*time.Second, "kv", "get", "x"))
	var old sim.NodeID
	l.waitStatus(t, 5*time.Second, "a leader", func(st map[sim.NodeID]map[string]string) bool { old = leader(st, ids...); return old != "" })
	l.logf(t, "%s leads", old)

	acked := map[string]string{}
	var during map[string]string
	done := make(chan struct{})
	go func() { defer close(done); during = kvWorkload(t, l, "during", 2, 4) }()
	time.Sleep(150 * time.Millisecond) // let the workload start
	require.NoError(t, l.Kill(old))
	l.logf(t, "SIGKILL %s", old)
	var rest []sim.NodeID
	for _, id := range ids {
		if id != old {
			rest = append(rest, id)
		}
	}
	var next sim.NodeID
	l.waitStatus(t, 5*time.Second, "a new leader", func(st map[sim.NodeID]map[string]string) bool { next = leader(st, rest...); return next != "" })
	l.logf(t, "%s leads", next)
	<-done
	for k, v := range during {
		acked[k] = v
	}
	require.NoError(t, l.Start(old))
	l.logf(t, "restarted %s", old)
	for k, v := range kvWorkload(t, l, "after", 1, 2) {
		acked[k] = v
	}
	// Back on its data, it catches up. (It may even lead again: Multi-
	// Paxos has no pre-vote, and its next ballot can beat the current
	// leader's. Either way one leader, and every replica at the same
	// point.)
	l.waitStatus(t, 8*time.Second, string(old)+" to catch up", func(st map[sim.NodeID]map[string]string) bool {
		applied := st[ids[0]]["rsm.applied"]
		for _, id := range ids {
			if st[id]["error"] != "" || st[id]["rsm.applied"] != applied {
				return false
			}
		}
		return leader(st, ids...) != ""
	})
	logText, err := os.ReadFile(filepath.Join(l.Dir, string(old)+".log"))
	require.NoError(t, err)
	assert.Regexp(t, `recovered: promised \S+, \d+ slots`, string(logText), "the restarted node read its acceptor state from disk")
	checkAcked(t, l, acked)
}

// The Dynamo store with W=3 of N=3 on four nodes: kill a node while
// clients write, and writes still reach three replicas because a sloppy
// quorum takes a stand-in that keeps a hint; restart the node and the
// hints are handed off to it (every node's quorum.hints back to 0). No
// acknowledged write is lost, and dsim kv reads each back.
func TestLiveQuorumKVSloppyQuorumAndHintedHandoff(t *testing.T) {
	t.Parallel()
	l := startLive(t, "quorum-kv", 4, `{"n": 3, "r": 2, "w": 3}`)
	ids := l.Cluster.IDs()
	require.Equal(t, "OK\n", l.must(t, 5*time.Second, "kv", "put", "x", "1"))
	require.Equal(t, "1\n", l.must(t, 2*time.Second, "kv", "get", "x"))
	st := l.status(t)
	assert.Equal(t, "N=3 R=2 W=3", st["n1"]["quorum.nrw"], "the options reached the nodes")

	acked := kvWorkload(t, l, "before", 2, 2)
	done := make(chan struct{})
	var during map[string]string
	go func() { defer close(done); during = kvWorkload(t, l, "during", 2, 4) }()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, l.Kill("n2"))
	l.logf(t, "SIGKILL n2")
	<-done
	// The writes above may all have finished before the kill landed: write
	// again, now that n2 is certainly down, so the quorum needs stand-ins.
	down := kvWorkload(t, l, "down", 2, 4)
	assert.NotEmpty(t, down, "writes go on with a node down")
	hints := 0
	for _, id := range ids {
		if id != "n2" {
			hints += atoi(l.status(t)[id]["quorum.hints"])
		}
	}
	assert.Positive(t, hints, "stand-ins keep hints for n2")
	l.logf(t, "%d hints held for n2", hints)
	for _, ws := range []map[string]string{during, down} {
		for k, v := range ws {
			acked[k] = v
		}
	}

	require.NoError(t, l.Start("n2"))
	l.logf(t, "restarted n2")
	l.waitStatus(t, 5*time.Second, "hinted handoff to n2", func(st map[sim.NodeID]map[string]string) bool {
		total := 0
		for _, id := range ids {
			if st[id]["error"] != "" {
				return false
			}
			total += atoi(st[id]["quorum.hints"])
		}
		return total == 0
	})
	checkAcked(t, l, acked)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
