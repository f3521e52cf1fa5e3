package kv_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// TestRaftKVSurvivesLeaderCrash runs the whole stack: three Raft servers
// replicating the KV store, three clients, the leader crashing mid-run and
// coming back. Every client operation is checked for linearizability, and
// at every step at most one node may lead each term.
func TestRaftKVSurvivesLeaderCrash(t *testing.T) {
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Seed: 42, Tracer: rec})
	cfg := raft.DefaultConfig()
	cfg.SnapshotThreshold = 20 // compact often: sessions must travel in snapshots
	servers := []sim.NodeID{"n1", "n2", "n3"}
	for _, id := range servers {
		w.AddNode(id, func() sim.Node {
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return raft.New(cfg, app) }, kv.New())
		})
	}
	history := check.NewHistory()
	var clients []*rsm.Client
	for i, id := range []sim.NodeID{"c1", "c2", "c3"} {
		wl, err := kv.NewWorkload(rand.New(rand.NewPCG(42, uint64(i))), kv.WorkloadConfig{Client: string(id), Ops: 60, Keys: 3})
		require.NoError(t, err)
		c, err := rsm.NewClient(rsm.ClientConfig{Workload: wl, History: history, Clock: w.Now})
		require.NoError(t, err)
		clients = append(clients, c)
		w.AddClient(id, func() sim.Node { return c })
	}

	var safety check.ElectionSafety
	var violation error
	status := func(id sim.NodeID) (raft.Status, bool) {
		s, ok := w.Node(id).(*rsm.Server)
		if !ok {
			return raft.Status{}, false
		}
		return s.Replica().(*raft.Node).Status(), true
	}
	w.AfterStep(func() {
		for _, id := range servers {
			if st, ok := status(id); ok && violation == nil {
				violation = safety.Observe(id, st.Term, st.Role == raft.Leader)
			}
		}
	})
	leader := func() sim.NodeID {
		for _, id := range servers {
			if st, ok := status(id); ok && st.Role == raft.Leader {
				return id
			}
		}
		return ""
	}

	// Let the clients get going, then crash whoever leads.
	require.True(t, w.RunUntil(func() bool { return clients[0].Completed() >= 15 }, 10*time.Second))
	first := leader()
	require.NotEmpty(t, first, "a leader serves the clients")
	firstTerm, _ := status(first)
	w.Crash(first)
	w.Logf("crashed the leader %s", first)
	w.After(time.Second, func() { w.Restart(first) })

	allDone := func() bool { return clients[0].Done() && clients[1].Done() && clients[2].Done() }
	require.True(t, w.RunUntil(allDone, 60*time.Second), "every client finishes despite the crash")
	require.NoError(t, violation)

	second := leader()
	require.NotEmpty(t, second)
	assert.NotEqual(t, first, second, "a new leader took over while %s was down", first)
	secondTerm, _ := status(second)
	assert.Greater(t, secondTerm.Term, firstTerm.Term)

	history.Annotate(check.FaultAnnotations(rec.Records)...)
	res, err := check.CheckKV(history, 0) // no wall-clock timeout: a loaded machine must not turn a verdict into Unknown
	require.NoError(t, err)
	path := filepath.Join(t.ArtifactDir(), "raft-kv.html")
	require.NoError(t, res.WriteVisualizationFile(path))
	require.Equal(t, check.Linearizable, res.Verdict, "history visualized in %s", path)
	assert.Equal(t, 180, res.Operations)
	assert.Zero(t, res.Pending, "every operation was eventually answered")

	// Every replica caught up and holds the same data.
	w.RunFor(2 * time.Second)
	snap := w.Node("n1").(*rsm.Server).Machine().Snapshot()
	for _, id := range servers[1:] {
		assert.Equal(t, string(snap), string(w.Node(id).(*rsm.Server).Machine().Snapshot()), "%s agrees with n1", id)
	}
	retries := 0
	for _, c := range clients {
		retries += c.Retries()
	}
	assert.Positive(t, retries, "the crash made some client retry")
	t.Logf("%s; %d retries; leader %s (term %d) -> %s (term %d); virtual time %s",
		res, retries, first, firstTerm.Term, second, secondTerm.Term, sim.FormatTime(w.Now()))
}
