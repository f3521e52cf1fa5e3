package replication_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/replication"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

var group = []sim.NodeID{"n1", "n2", "n3"}

type cluster struct {
	w       *sim.World
	net     *network.Model
	clients []sim.NodeID
}

func newCluster(t require.TestingT, seed uint64, mode replication.Mode, link network.LinkConfig) *cluster {
	net, err := network.New(network.Config{Link: link})
	require.NoError(t, err)
	c := &cluster{w: sim.NewWorld(sim.Config{Seed: seed, Network: net, LoseUnsyncedWrites: true}), net: net}
	for _, id := range group {
		cfg := replication.Config{Mode: mode, Leader: id == "n1", Group: group}
		require.NoError(t, cfg.Validate())
		c.w.AddNode(id, func() sim.Node { return replication.New(cfg) })
	}
	for _, id := range []sim.NodeID{"c1", "c2"} {
		c.clients = append(c.clients, id)
		c.w.AddClient(id, func() sim.Node {
			return replication.NewClient(replication.ClientConfig{Leader: "n1", Think: time.Millisecond})
		})
	}
	return c
}

func (c *cluster) replica(id sim.NodeID) *replication.Replica {
	return c.w.Node(id).(*replication.Replica)
}

func (c *cluster) acked() []replication.AckedWrite {
	var out []replication.AckedWrite
	for _, id := range c.clients {
		out = append(out, c.w.Node(id).(*replication.Client).Acked()...)
	}
	return out
}

// holders counts the followers whose log has the acknowledged write.
func (c *cluster) holders(a replication.AckedWrite) int {
	n := 0
	for _, f := range []sim.NodeID{"n2", "n3"} {
		if e, ok := c.replica(f).Entry(a.Index); ok && e.ID == a.ID {
			n++
		}
	}
	return n
}

// The promise of each mode, checked the moment every acknowledgement is
// received: semi-sync means at least one follower has the write, sync
// means every follower has it; async promises nothing beyond the leader.
func TestAcknowledgementMeansWhatTheModeSays(t *testing.T) {
	for _, tc := range []struct {
		mode       replication.Mode
		minHolders int
	}{{replication.Async, 0}, {replication.SemiSync, 1}, {replication.Sync, 2}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				c := newCluster(rt, rapid.Uint64().Draw(rt, "seed"), tc.mode, network.LinkConfig{
					Latency: network.Uniform{Min: time.Millisecond, Max: time.Duration(rapid.IntRange(2, 30).Draw(rt, "maxLatency")) * time.Millisecond},
					Loss:    rapid.Float64Range(0, 0.1).Draw(rt, "loss"),
				})
				seen := 0
				c.w.AfterStep(func() {
					acked := c.acked()
					for _, a := range acked[seen:] {
						if h := c.holders(a); h < tc.minHolders {
							rt.Fatalf("%s acknowledged %s with %d followers holding it", tc.mode, a.ID, h)
						}
					}
					seen = len(acked)
				})
				c.w.RunFor(500 * time.Millisecond)
				if len(c.acked()) == 0 { // the check above needs something to check
					rt.Fatalf("only %d writes acknowledged in 500ms", len(c.acked()))
				}
			})
		})
	}
}

// Sync waits for the slowest follower, semi-sync for the fastest, async
// for nobody.
func TestLatencyOrdersTheModes(t *testing.T) {
	mean := map[replication.Mode]time.Duration{}
	for _, mode := range []replication.Mode{replication.Async, replication.SemiSync, replication.Sync} {
		c := newCluster(t, 1, mode, network.LinkConfig{Latency: network.Constant(2 * time.Millisecond)})
		require.NoError(t, c.net.Slow("n3", network.Constant(20*time.Millisecond)))
		c.w.RunFor(time.Second)
		var total time.Duration
		acked := c.acked()
		require.NotEmpty(t, acked)
		for _, a := range acked {
			total += a.Latency
		}
		mean[mode] = total / time.Duration(len(acked))
	}
	assert.Equal(t, 4*time.Millisecond, mean[replication.Async], "one round trip to the leader")
	assert.Less(t, mean[replication.SemiSync], 20*time.Millisecond, "n2 answers fast")
	assert.Greater(t, mean[replication.Sync], 40*time.Millisecond, "n3's slow round trip")
}

// After a failover the promoted follower leads a new epoch, the other
// follower follows it, and the old leader, restarted, gives up the
// entries nobody else had.
func TestPromotionAndTheOldLeadersTail(t *testing.T) {
	c := newCluster(t, 1, replication.Async, network.LinkConfig{Latency: network.Constant(2 * time.Millisecond)})
	c.w.At(105*time.Millisecond, func() {
		c.w.Crash("n1")
		for _, cl := range c.clients {
			c.w.Node(cl).(*replication.Client).Stop()
		}
	})
	c.w.RunFor(106 * time.Millisecond)
	best := sim.NodeID("n2")
	if c.replica("n3").LastIndex() > c.replica("n2").LastIndex() {
		best = "n3"
	}
	require.NoError(t, c.w.Exec(best, func(n sim.Node, env sim.Env) { n.Receive(env, "operator", replication.Promote{}) }))
	c.w.RunFor(50 * time.Millisecond)
	assert.True(t, c.replica(best).IsLeader())
	assert.Equal(t, uint64(2), c.replica(best).Epoch())
	lost := replication.LostWrites(c.acked(), c.replica(best).Log())
	assert.NotEmpty(t, lost, "async: the writes acknowledged since the last shipment died with n1")

	c.w.Restart("n1")
	c.w.RunFor(300 * time.Millisecond)
	assert.False(t, c.replica("n1").IsLeader(), "a restarted old leader comes back as a follower")
	assert.Equal(t, c.replica(best).Log(), c.replica("n1").Log(), "and takes the new leader's log")
	acked := map[string]replication.AckedWrite{}
	for _, a := range c.acked() {
		acked[a.ID] = a
	}
	var lostAcked []replication.AckedWrite
	for _, id := range lost {
		lostAcked = append(lostAcked, acked[id])
	}
	assert.Equal(t, lost, replication.LostWrites(lostAcked, c.replica("n1").Log()), "n1 dropped the writes only it had")
	for _, f := range group {
		assert.Equal(t, uint64(2), c.replica(f).Epoch(), f)
	}
}

func TestWriteToAFollowerIsRedirected(t *testing.T) {
	c := newCluster(t, 1, replication.Sync, network.LinkConfig{})
	var got []sim.Message
	c.w.AddClient("x", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) { got = append(got, msg) })
	})
	c.w.RunFor(50 * time.Millisecond)
	require.NoError(t, c.w.Exec("x", func(_ sim.Node, env sim.Env) { env.Send("n2", replication.Write{ID: "w1", Key: "k", Value: "v"}) }))
	c.w.RunFor(10 * time.Millisecond)
	require.Len(t, got, 1)
	assert.Equal(t, replication.NotLeader{ID: "w1", Leader: "n1"}, got[0])
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  replication.Config
		want string
	}{
		{replication.Config{Mode: 7, Group: group}, "unknown mode 7"},
		{replication.Config{Group: group[:1]}, "Group has 1 replicas"},
		{replication.Config{Group: group, ShipEvery: -1}, "must not be negative"},
	} {
		err := tc.cfg.Validate()
		require.ErrorIs(t, err, replication.ErrConfig)
		assert.ErrorContains(t, err, tc.want)
	}
	assert.Equal(t, "semi-sync", fmt.Sprint(replication.SemiSync))
}
