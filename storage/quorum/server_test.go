package quorum_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/quorum"
	"github.com/dsimlab/dsim/storage/ring"
)

// cluster is a world of quorum servers n1..nK and idle clients c1..cM that
// the test drives one operation at a time.
type cluster struct {
	t       *testing.T
	w       *sim.World
	net     *network.Model
	cfg     quorum.Config
	servers []sim.NodeID
	clients map[sim.NodeID]*quorum.Client
}

func newCluster(t *testing.T, cfg quorum.Config, servers, clients int) *cluster {
	t.Helper()
	net := network.MustNew(network.Config{})
	c := &cluster{t: t, net: net, cfg: cfg, clients: map[sim.NodeID]*quorum.Client{}}
	c.w = sim.NewWorld(sim.Config{Seed: 1, Network: net})
	for i := 1; i <= servers; i++ {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		c.servers = append(c.servers, id)
		c.w.AddNode(id, func() sim.Node {
			s, err := quorum.NewServer(cfg)
			require.NoError(t, err)
			return s
		})
	}
	for i := 1; i <= clients; i++ {
		id := sim.NodeID(fmt.Sprintf("c%d", i))
		cl, err := quorum.NewClient(quorum.ClientConfig{Clock: c.w.Now, N: cfg.N, VNodes: cfg.VNodes})
		require.NoError(t, err)
		c.clients[id] = cl
		c.w.AddClient(id, func() sim.Node { return cl })
	}
	c.w.RunFor(time.Millisecond)
	return c
}

// do runs one operation of client id to its end and returns its record.
func (c *cluster) do(id sim.NodeID, op quorum.Op) quorum.Record {
	c.t.Helper()
	cl := c.clients[id]
	before := len(cl.Records())
	require.NoError(c.t, c.w.Exec(id, func(_ sim.Node, env sim.Env) { require.NoError(c.t, cl.Do(env, op)) }))
	require.True(c.t, c.w.RunUntil(cl.Idle, 10*time.Second), "operation %v never finished", op)
	recs := cl.Records()
	require.Len(c.t, recs, before+1)
	return recs[before]
}

func (c *cluster) put(id sim.NodeID, key, value string) quorum.Record {
	return c.do(id, quorum.Op{Kind: check.KVPut, Key: key, Value: value})
}

func (c *cluster) get(id sim.NodeID, key string) quorum.Record {
	return c.do(id, quorum.Op{Kind: check.KVGet, Key: key})
}

func (c *cluster) server(id sim.NodeID) *quorum.Server { return c.w.Node(id).(*quorum.Server) }

func (c *cluster) pref(key string) []sim.NodeID {
	r := ring.MustNew(c.cfg.VNodes, c.servers...)
	p, err := r.PreferenceList(key, c.cfg.N)
	require.NoError(c.t, err)
	return p
}

func TestAPutIsReadBack(t *testing.T) {
	c := newCluster(t, quorum.DefaultConfig(), 3, 1)
	require.True(t, c.put("c1", "x", "1").OK)
	got := c.get("c1", "x")
	require.True(t, got.OK)
	assert.Equal(t, []string{"1"}, got.Siblings.Values())
	c.w.RunFor(100 * time.Millisecond)
	for _, id := range c.servers {
		assert.Equal(t, []string{"1"}, c.server(id).Get("x").Values(), "every replica has it (%s)", id)
	}
}

// Two clients write the same key without having read each other's write:
// the store keeps both as siblings. A client that read both and writes
// again replaces them with one value.
func TestBlindConcurrentWritesBecomeSiblingsAndAReadWriteResolvesThem(t *testing.T) {
	c := newCluster(t, quorum.DefaultConfig(), 3, 2)
	require.True(t, c.put("c1", "cart", "apple").OK)
	require.True(t, c.put("c2", "cart", "pear").OK)
	got := c.get("c1", "cart")
	require.Equal(t, []string{"apple", "pear"}, got.Siblings.Values())
	require.True(t, c.put("c1", "cart", "apple+pear").OK)
	assert.Equal(t, []string{"apple+pear"}, c.get("c2", "cart").Siblings.Values())
}

// With last-writer-wins the later write wins, unless the clock that stamped
// it runs behind: then an acknowledged write is silently lost.
func TestLastWriterWinsLosesAWriteStampedByASlowClock(t *testing.T) {
	cfg := quorum.DefaultConfig()
	cfg.LastWriterWins = true
	for _, skew := range []time.Duration{0, -time.Second} {
		c := newCluster(t, cfg, 3, 2)
		pref := c.pref("x")
		require.NoError(t, c.net.Skew(pref[1], skew))
		require.True(t, c.put("c1", "x", "first").OK)
		// c2's write goes through the second node of the preference list.
		c.w.Crash(pref[0])
		require.True(t, c.put("c2", "x", "second").OK, "acknowledged")
		c.w.Restart(pref[0])
		c.w.RunFor(50 * time.Millisecond)
		want := "second"
		if skew < 0 {
			want = "first" // stamped a second in the past: "second" lost
		}
		assert.Equal(t, []string{want}, c.get("c1", "x").Siblings.Values(), "skew %v", skew)
	}
}

// N=3, W=2, R=2 with a strict quorum: one replica down, reads and writes
// go on; two down, they fail.
func TestStrictQuorumSurvivesOneFailureNotTwo(t *testing.T) {
	cfg := quorum.DefaultConfig()
	cfg.SloppyQuorum = false
	c := newCluster(t, cfg, 3, 1)
	c.w.Crash("n3")
	assert.True(t, c.put("c1", "x", "1").OK)
	assert.Equal(t, []string{"1"}, c.get("c1", "x").Siblings.Values())
	c.w.Crash("n2")
	assert.False(t, c.put("c1", "x", "2").OK, "one replica of three is no write quorum")
	assert.False(t, c.get("c1", "x").OK)
}

// Five nodes, N=3: with two of a key's preference list down, a sloppy
// quorum writes to stand-ins further along the ring, which hand the value
// over once the nodes are back.
func TestSloppyQuorumWritesToStandInsAndHandsOff(t *testing.T) {
	cfg := quorum.DefaultConfig()
	c := newCluster(t, cfg, 5, 1)
	pref := c.pref("x")
	c.w.Crash(pref[1])
	c.w.Crash(pref[2])
	require.True(t, c.put("c1", "x", "1").OK, "written to stand-ins")
	hints := 0
	for _, id := range c.servers {
		if c.w.Up(id) {
			hints += c.server(id).Hints()
		}
	}
	assert.Equal(t, 2, hints, "one hint for each node that was down")
	c.w.Restart(pref[1])
	c.w.Restart(pref[2])
	c.w.RunFor(time.Second)
	for _, id := range pref {
		assert.Equal(t, []string{"1"}, c.server(id).Get("x").Values(), "%s has the value after handoff", id)
	}
	for _, id := range c.servers {
		assert.Zero(t, c.server(id).Hints(), "%s handed its hints over", id)
	}

	// The same with a strict quorum: the write fails.
	cfg.SloppyQuorum = false
	c = newCluster(t, cfg, 5, 1)
	pref = c.pref("x")
	c.w.Crash(pref[1])
	c.w.Crash(pref[2])
	assert.False(t, c.put("c1", "x", "1").OK)
}

// A replica that missed a write while down is brought up to date by the
// next read that meets it.
func TestReadRepairUpdatesAStaleReplica(t *testing.T) {
	cfg := quorum.DefaultConfig()
	cfg.SloppyQuorum = false
	for _, repair := range []bool{true, false} {
		cfg.ReadRepair = repair
		c := newCluster(t, cfg, 3, 1)
		c.w.Crash("n3")
		require.True(t, c.put("c1", "x", "1").OK)
		c.w.Restart("n3")
		c.w.RunFor(10 * time.Millisecond)
		require.Empty(t, c.server("n3").Get("x"), "n3 missed the write")
		require.Equal(t, []string{"1"}, c.get("c1", "x").Siblings.Values())
		c.w.RunFor(100 * time.Millisecond)
		if repair {
			assert.Equal(t, []string{"1"}, c.server("n3").Get("x").Values(), "read repair")
		} else {
			assert.Empty(t, c.server("n3").Get("x"), "no repair without ReadRepair")
		}
	}
}

// A restarted server still has what it acknowledged: it synced it first.
func TestDataSurvivesACrash(t *testing.T) {
	cfg := quorum.DefaultConfig()
	c := newCluster(t, cfg, 3, 1)
	require.True(t, c.put("c1", "x", "1").OK)
	c.w.RunFor(10 * time.Millisecond)
	for _, id := range c.servers {
		c.w.Crash(id)
		c.w.Restart(id)
	}
	c.w.RunFor(time.Millisecond)
	for _, id := range c.servers {
		assert.Equal(t, []string{"1"}, c.server(id).Get("x").Values())
	}
}

func TestBadConfigIsAnError(t *testing.T) {
	cases := []struct {
		name   string
		change func(*quorum.Config)
		want   string
	}{
		{"no replicas", func(c *quorum.Config) { c.N = 0 }, "N is 0"},
		{"R above N", func(c *quorum.Config) { c.R = 4 }, "R is 4"},
		{"W zero", func(c *quorum.Config) { c.W = 0 }, "W is 0"},
		{"no vnodes", func(c *quorum.Config) { c.VNodes = 0 }, "VNodes is 0"},
		{"no timeout", func(c *quorum.Config) { c.Timeout = 0 }, "Timeout"},
		{"sloppy without handoff", func(c *quorum.Config) { c.HandoffEvery = 0 }, "HandoffEvery"},
	}
	for _, tc := range cases {
		cfg := quorum.DefaultConfig()
		tc.change(&cfg)
		_, err := quorum.NewServer(cfg)
		require.Error(t, err, tc.name)
		assert.True(t, errors.Is(err, quorum.ErrBadConfig), tc.name)
		assert.Contains(t, err.Error(), tc.want, tc.name)
	}
	_, err := quorum.NewClient(quorum.ClientConfig{N: 3, VNodes: 16})
	assert.ErrorContains(t, err, "Clock")
	assert.True(t, quorum.DefaultConfig().Overlapping())
}
