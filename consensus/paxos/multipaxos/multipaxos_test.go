package multipaxos_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/paxos/multipaxos"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kvCluster is five Multi-Paxos servers running the KV store, unchanged,
// and clients recording a history.
type kvCluster struct {
	w       *sim.World
	history *check.History
	clients []*rsm.Client
}

func newKVCluster(t *testing.T, seed uint64, clients int) *kvCluster {
	t.Helper()
	w := sim.NewWorld(sim.Config{Seed: seed})
	c := &kvCluster{w: w, history: check.NewHistory()}
	for i := 1; i <= 5; i++ {
		w.AddNode(sim.NodeID(fmt.Sprintf("n%d", i)), func() sim.Node {
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return multipaxos.New(multipaxos.DefaultConfig(), app) }, kv.New())
		})
	}
	for i := 1; i <= clients; i++ {
		wl, err := kv.NewWorkload(rand.New(rand.NewPCG(seed, uint64(i))), kv.WorkloadConfig{Client: fmt.Sprintf("c%d", i), Ops: 100000, Keys: 5, Get: 1, Append: 2})
		require.NoError(t, err)
		cl, err := rsm.NewClient(rsm.ClientConfig{Workload: wl, History: c.history, Clock: w.Now})
		require.NoError(t, err)
		c.clients = append(c.clients, cl)
		w.AddClient(sim.NodeID(fmt.Sprintf("c%d", i)), func() sim.Node { return cl })
	}
	return c
}

func (c *kvCluster) node(id sim.NodeID) (*multipaxos.Node, bool) {
	s, ok := c.w.Node(id).(*rsm.Server)
	if !ok {
		return nil, false
	}
	n, ok := s.Replica().(*multipaxos.Node)
	return n, ok
}

func (c *kvCluster) leader() sim.NodeID {
	var best sim.NodeID
	var bb multipaxos.Status
	for _, id := range c.w.Members() {
		if n, ok := c.node(id); ok {
			if st := n.Status(); st.Role == multipaxos.Leader && bb.Ballot.Less(st.Ballot) {
				best, bb = id, st
			}
		}
	}
	return best
}

func TestKVRunsOnMultiPaxosThroughLeaderCrash(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		c := newKVCluster(t, seed, 3)
		c.w.RunFor(time.Second)
		old := c.leader()
		require.NotEmpty(t, old, "seed %d: a leader within a second", seed)
		before := c.history.Len()
		c.w.Crash(old)
		c.w.RunFor(time.Second)
		c.w.Restart(old)
		c.w.RunFor(time.Second)
		l := c.leader()
		require.NotEmpty(t, l)
		assert.NotEqual(t, old, l)
		assert.Greater(t, c.history.Len(), before+50, "clients carry on with the new leader")
		res, err := check.CheckKV(c.history, 0) // no wall-clock timeout: a loaded machine must not turn a verdict into Unknown
		require.NoError(t, err)
		assert.Equal(t, check.Linearizable, res.Verdict, "seed %d", seed)
		// Every server that is up agrees on the decided prefix.
		ln, _ := c.node(l)
		for _, id := range c.w.Members() {
			n, ok := c.node(id)
			require.True(t, ok)
			for s := uint64(1); s <= min(n.Status().Decided, ln.Status().Decided); s++ {
				a, _ := n.Entry(s)
				b, _ := ln.Entry(s)
				require.Equal(t, b.Value, a.Value, "seed %d slot %d on %s", seed, s, id)
			}
		}
	}
}
