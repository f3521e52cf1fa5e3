package rsm_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
)

// cluster is a world with servers over memLogs and one client.
type cluster struct {
	w       *sim.World
	rec     *sim.Recorder
	history *check.History
	client  *rsm.Client
}

func newCluster(t *testing.T, network sim.LinkModel, servers map[sim.NodeID]memLogConfig, workload rsm.Workload, retry time.Duration) *cluster {
	t.Helper()
	c := &cluster{rec: &sim.Recorder{}, history: check.NewHistory()}
	c.w = sim.NewWorld(sim.Config{Seed: 1, Network: network, Tracer: c.rec})
	for _, id := range []sim.NodeID{"n1", "n2", "n3"} {
		cfg, ok := servers[id]
		if !ok {
			continue
		}
		c.w.AddNode(id, func() sim.Node { return rsm.NewServer(newMemLog(cfg), &counter{}) })
	}
	client, err := rsm.NewClient(rsm.ClientConfig{Workload: workload, History: c.history, Clock: c.w.Now, RetryTimeout: retry})
	require.NoError(t, err)
	c.client = client
	c.w.AddClient("c1", func() sim.Node { return client })
	return c
}

func (c *cluster) server(id sim.NodeID) *rsm.Server { return c.w.Node(id).(*rsm.Server) }

func (c *cluster) runUntilDone(t *testing.T) {
	t.Helper()
	require.True(t, c.w.RunUntil(c.client.Done, 10*time.Second), "the client should finish its workload")
}

// outputs lists what the client recorded as answers, in order.
func (c *cluster) outputs() []any {
	var out []any
	for _, op := range c.history.Operations() {
		out = append(out, op.Output)
	}
	return out
}

func TestEveryOperationAppliedOnceAndAnswered(t *testing.T) {
	c := newCluster(t, nil, map[sim.NodeID]memLogConfig{"n1": {leader: true, commitDelay: 2 * time.Millisecond}}, adds(4), 0)
	c.runUntilDone(t)
	assert.Equal(t, []any{"1", "3", "6", "10"}, c.outputs(), "each answer is the running total after that add")
	assert.Equal(t, 0, c.client.Retries())
	assert.Equal(t, 10, c.server("n1").Machine().(*counter).total)
	assert.Equal(t, uint64(4), c.server("n1").Applied())
}

func TestRetryAfterLostReplyIsNotAppliedTwice(t *testing.T) {
	// The reply to the second operation is lost. The client retries with
	// the same Seq; the server recognises it and answers from the session.
	link := &dropReplies{drop: func(r rsm.ClientReply) bool { return r.Seq == 2 && r.Err == rsm.OK }}
	link.drop = onlyFirst(link.drop)
	c := newCluster(t, link, map[sim.NodeID]memLogConfig{"n1": {leader: true, commitDelay: 2 * time.Millisecond}}, adds(3), 50*time.Millisecond)
	c.runUntilDone(t)

	require.Equal(t, 1, link.dropped)
	assert.Equal(t, 1, c.client.Retries(), "one timeout, one retry")
	assert.Equal(t, []any{"1", "3", "6"}, c.outputs(), "add 2 counted once: the retry got the remembered result")
	assert.Equal(t, 6, c.server("n1").Machine().(*counter).total)
	assert.Equal(t, uint64(3), c.server("n1").Applied(), "the retry was answered from the session, without a log entry")
}

func TestRetryThatReachesTheLogTwiceIsAppliedOnce(t *testing.T) {
	// Commits are slower than the client's patience, so its retries are
	// proposed again while the first copy is still uncommitted: the log
	// holds duplicates, and the sessions must skip them when they apply.
	c := newCluster(t, nil, map[sim.NodeID]memLogConfig{"n1": {leader: true, commitDelay: 25 * time.Millisecond}}, adds(3), 10*time.Millisecond)
	c.runUntilDone(t)

	s := c.server("n1")
	assert.Greater(t, s.Applied(), uint64(3), "retries reached the log")
	assert.Equal(t, []any{"1", "3", "6"}, c.outputs())
	assert.Equal(t, 6, s.Machine().(*counter).total, "each add applied exactly once")
	assert.NotEqual(t, "0", s.Inspect()["rsm.duplicates"])
	assert.Contains(t, s.Inspect(), "memlog.length", "the replica's own Inspect is merged in")
}

func TestWrongLeaderRedirects(t *testing.T) {
	leader := memLogConfig{leader: true, commitDelay: time.Millisecond}
	cases := []struct {
		name    string
		servers map[sim.NodeID]memLogConfig
		// asked is how many requests each server gets for the first op.
		asked map[sim.NodeID]int
	}{
		{
			name: "follow the hint",
			servers: map[sim.NodeID]memLogConfig{
				"n1": {hint: "n3"}, "n2": {hint: "n3"}, "n3": leader,
			},
			asked: map[sim.NodeID]int{"n1": 1, "n2": 0, "n3": 1},
		},
		{
			name: "no hint: try the next server",
			servers: map[sim.NodeID]memLogConfig{
				"n1": {}, "n2": {}, "n3": leader,
			},
			asked: map[sim.NodeID]int{"n1": 1, "n2": 1, "n3": 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, nil, tc.servers, adds(3), 0)
			c.runUntilDone(t)
			assert.Equal(t, []any{"1", "3", "6"}, c.outputs())
			asked := map[sim.NodeID]int{}
			for _, r := range c.rec.Records {
				if _, ok := r.Msg.(rsm.ClientRequest); ok && r.Kind == sim.KindDeliver {
					asked[r.To]++
				}
			}
			// The first op finds the leader; the next two go straight to it.
			tc.asked["n3"] += 2
			for id, n := range tc.asked {
				assert.Equal(t, n, asked[id], "requests delivered to %s", id)
			}
			assert.Equal(t, "n3", c.client.Inspect()["client.leader"])
		})
	}
}

func TestReplyOnlyForTheEntryProposedHere(t *testing.T) {
	// Two clients propose at indexes 1 and 2; then the log is rewritten with
	// the two swapped, as a new leader might. Each server-side pending
	// request must notice that its index now holds someone else's entry.
	history := check.NewHistory()
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Seed: 1, Tracer: rec})
	w.AddNode("n1", func() sim.Node {
		return rsm.NewServer(newMemLog(memLogConfig{leader: true, commitDelay: 5 * time.Millisecond, swapFirstTwo: true}), &counter{})
	})
	var clients []*rsm.Client
	for _, id := range []sim.NodeID{"c1", "c2"} {
		wl := single("add 1")
		if id == "c2" {
			wl = single("add 10")
		}
		cl, err := rsm.NewClient(rsm.ClientConfig{Workload: wl, History: history, Clock: w.Now, RetryTimeout: 50 * time.Millisecond})
		require.NoError(t, err)
		clients = append(clients, cl)
		w.AddClient(id, func() sim.Node { return cl })
	}
	require.True(t, w.RunUntil(func() bool { return clients[0].Done() && clients[1].Done() }, time.Second))

	got := map[sim.NodeID]any{}
	for _, op := range history.Operations() {
		got[op.Client] = op.Output
	}
	// The log applied c2's add 10 first (total 10), then c1's add 1 (11).
	assert.Equal(t, map[sim.NodeID]any{"c1": "11", "c2": "10"}, got)
	assert.Equal(t, 1, clients[0].Retries(), "c1 was told to retry, and its retry was answered from its session")
	wrongLeader := 0
	for _, r := range rec.Records {
		if reply, ok := r.Msg.(rsm.ClientReply); ok && r.Kind == sim.KindSend {
			assert.True(t, strings.HasPrefix(reply.ClientID, string(r.To)+"."), "%s got a reply meant for %s", r.To, reply.ClientID)
			if r.To == "c1" && reply.Err == rsm.ErrWrongLeader {
				wrongLeader++
			}
		}
	}
	assert.Equal(t, 1, wrongLeader, "c1 learns its entry was displaced at once, not by timing out")
}

func TestSessionsSurviveInSnapshots(t *testing.T) {
	// The server snapshots after every entry, so after a restart everything
	// it knows comes from the snapshot. The reply to op 2 is lost and the
	// server crashes; the client's retry reaches the restarted server, which
	// must recognise it from the restored session table.
	link := &dropReplies{drop: onlyFirst(func(r rsm.ClientReply) bool { return r.Seq == 2 })}
	c := newCluster(t, link, map[sim.NodeID]memLogConfig{"n1": {leader: true, commitDelay: time.Millisecond, snapshotEvery: 1}}, adds(3), 50*time.Millisecond)
	require.True(t, c.w.RunUntil(func() bool { return link.dropped == 1 }, time.Second))
	c.w.Crash("n1")
	c.w.Restart("n1")
	c.runUntilDone(t)

	assert.Equal(t, []any{"1", "3", "6"}, c.outputs())
	s := c.server("n1")
	assert.Equal(t, 6, s.Machine().(*counter).total, "add 2 applied once, before the crash")
	assert.Equal(t, "1", s.Inspect()["rsm.sessions"])
	assert.Equal(t, uint64(3), s.Applied())
}

func TestClientLeavesUnansweredOperationsOpen(t *testing.T) {
	// Nobody leads: the client keeps retrying, and its one operation stays
	// without an answer in the history — outcome unknown.
	c := newCluster(t, nil, map[sim.NodeID]memLogConfig{"n1": {}, "n2": {}}, adds(3), 0)
	c.w.RunFor(time.Second)
	assert.False(t, c.client.Done())
	assert.Equal(t, 1, c.history.Len())
	assert.Equal(t, 1, c.history.Pending())
	assert.Greater(t, c.client.Retries(), 10)
}

func TestClientConfigValidate(t *testing.T) {
	_, err := rsm.NewClient(rsm.ClientConfig{})
	assert.ErrorContains(t, err, "Workload is nil")
	_, err = rsm.NewClient(rsm.ClientConfig{Workload: adds(1), History: check.NewHistory()})
	assert.ErrorContains(t, err, "Clock is nil")
	_, err = rsm.NewClient(rsm.ClientConfig{Workload: adds(1), RetryTimeout: -1})
	assert.ErrorContains(t, err, "RetryTimeout is negative")
}

func onlyFirst(pred func(rsm.ClientReply) bool) func(rsm.ClientReply) bool {
	fired := false
	return func(r rsm.ClientReply) bool {
		if !fired && pred(r) {
			fired = true
			return true
		}
		return false
	}
}

// single is a workload of one operation.
func single(op string) rsm.Workload {
	used := false
	return rsm.WorkloadFunc(func() (rsm.Op, bool) {
		if used {
			return rsm.Op{}, false
		}
		used = true
		return rsm.Op{Cmd: []byte(op), Input: op, Output: func(r []byte) any { return string(r) }}, true
	})
}

func TestSameSeedSameTrace(t *testing.T) {
	run := func() string {
		h := sim.NewHasher()
		link := &dropReplies{drop: onlyFirst(func(r rsm.ClientReply) bool { return r.Seq == 2 })}
		w := sim.NewWorld(sim.Config{Seed: 3, Network: link, Tracer: h})
		for _, id := range []sim.NodeID{"n1", "n2"} {
			cfg := memLogConfig{leader: id == "n2", hint: "n2", commitDelay: 3 * time.Millisecond, snapshotEvery: 2}
			w.AddNode(id, func() sim.Node { return rsm.NewServer(newMemLog(cfg), &counter{}) })
		}
		for _, id := range []sim.NodeID{"c1", "c2"} {
			cl, err := rsm.NewClient(rsm.ClientConfig{Workload: adds(5), RetryTimeout: 20 * time.Millisecond})
			require.NoError(t, err)
			w.AddClient(id, func() sim.Node { return cl })
		}
		w.RunFor(time.Second)
		return h.Sum()
	}
	assert.Equal(t, run(), run())
}
