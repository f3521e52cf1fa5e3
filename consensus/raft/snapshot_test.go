package raft

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

// blobApp is a state machine whose whole state is a byte string.
type blobApp struct {
	state    []byte
	restored int
	index    uint64
}

func (a *blobApp) Apply(sim.Env, uint64, []byte) {}
func (a *blobApp) Snapshot() []byte              { return a.state }
func (a *blobApp) Restore(index uint64, b []byte) {
	a.state, a.index = b, index
	a.restored++
}

// follower starts s2 of three as a follower, on a fresh disk or e's.
func follower(t *testing.T, e *fakeEnv) (*Node, *blobApp) {
	app := &blobApp{}
	n := New(plainConfig(), app)
	n.Start(e)
	return n, app
}

func chunk(term, index, off uint64, data string, done bool) InstallSnapshot {
	return InstallSnapshot{Term: term, LastIncludedIndex: index, LastIncludedTerm: 1, Offset: off, Data: []byte(data), Done: done}
}

func reply(t *testing.T, e *fakeEnv, from sim.NodeID) InstallSnapshotReply {
	t.Helper()
	r, ok := e.lastTo(from).(InstallSnapshotReply)
	require.True(t, ok, "answered %v", e.lastTo(from))
	return r
}

// Figure 13 on the follower's side: chunks are stored in order; a
// duplicate or a chunk after a gap is not stored, and the reply says where
// to continue; a crash mid-transfer keeps what was acknowledged; a new
// leader sending the same snapshot resumes there; the last chunk installs.
func TestInstallSnapshotChunks(t *testing.T) {
	const snap = "0123456789abcdefghij"
	e := newFakeEnv(t, "s2", 3)
	n, _ := follower(t, e)

	steps := []struct {
		name string
		from sim.NodeID
		msg  InstallSnapshot
		want uint64 // reply.Offset
	}{
		{"first chunk", "s1", chunk(1, 10, 0, snap[0:8], false), 8},
		{"duplicate", "s1", chunk(1, 10, 0, snap[0:8], false), 8},
		{"after a gap", "s1", chunk(1, 10, 16, snap[16:], true), 8},
		{"second chunk", "s1", chunk(1, 10, 8, snap[8:12], false), 12},
	}
	for _, s := range steps {
		n.Receive(e, s.from, s.msg)
		r := reply(t, e, s.from)
		assert.Equal(t, s.want, r.Offset, s.name)
		assert.False(t, r.Done, s.name)
		assert.Equal(t, uint64(10), r.LastIncludedIndex, s.name)
	}
	assert.Zero(t, n.Status().SnapshotIndex, "installed before the last chunk")

	// Crash: what was acknowledged is on disk; the transfer resumes at 12.
	e.disk.crash()
	n, app := follower(t, e)
	require.NotNil(t, n.incoming)
	assert.Equal(t, uint64(12), n.incoming.offset)

	// A new leader, in a new term, sends the same snapshot from the start:
	// the follower says where it is.
	n.Receive(e, "s3", chunk(2, 10, 0, snap[0:8], false))
	assert.Equal(t, uint64(12), reply(t, e, "s3").Offset)
	n.Receive(e, "s3", chunk(2, 10, 12, snap[12:], true))
	r := reply(t, e, "s3")
	assert.True(t, r.Done)
	assert.Equal(t, snap, string(app.state), "restored from the assembled chunks")
	assert.Equal(t, uint64(10), app.index)
	st := n.Status()
	assert.Equal(t, uint64(10), st.SnapshotIndex)
	assert.Equal(t, uint64(10), st.CommitIndex)
	assert.Equal(t, uint64(10), st.LastApplied)
	_, ok := e.disk.Get(incomingKey)
	assert.False(t, ok, "the incoming record outlived the install")

	// A late duplicate of the last chunk is answered Done, not stored.
	n.Receive(e, "s3", chunk(2, 10, 12, snap[12:], true))
	assert.True(t, reply(t, e, "s3").Done)

	// Restart: the snapshot comes back from its pieces.
	e.disk.crash()
	_, app = follower(t, e)
	assert.Equal(t, snap, string(app.state))
	assert.Equal(t, 1, app.restored)
}

// A chunk of another snapshot: from offset 0 it replaces the partial one
// (whose pieces are deleted); from elsewhere the follower asks for offset 0.
func TestInstallSnapshotStartsOver(t *testing.T) {
	e := newFakeEnv(t, "s2", 3)
	n, _ := follower(t, e)
	n.Receive(e, "s1", chunk(1, 10, 0, "aaaa", false))
	require.Equal(t, uint64(4), reply(t, e, "s1").Offset)

	n.Receive(e, "s1", chunk(1, 12, 4, "bbbb", false))
	assert.Equal(t, uint64(0), reply(t, e, "s1").Offset, "a chunk from the middle of an unknown snapshot")

	n.Receive(e, "s1", chunk(1, 12, 0, "cc", false))
	assert.Equal(t, uint64(2), reply(t, e, "s1").Offset)
	assert.Empty(t, keysWithPrefix(e.disk, pieceDir(10)), "pieces of the abandoned snapshot")
	assert.Len(t, keysWithPrefix(e.disk, pieceDir(12)), 1)
}

// §7: a snapshot whose last entry the log holds keeps the entries after it;
// one that disagrees with the log replaces it all.
func TestInstallSnapshotKeepsOrDiscardsTheLog(t *testing.T) {
	cases := []struct {
		name     string
		snapTerm uint64
		wantLog  []string
	}{
		{"log matches", 1, []string{"snap 3:1", "4:1", "5:1"}},
		{"log conflicts", 2, []string{"snap 3:2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t, "s2", 3)
			e.preload(2, 1, 1, 1, 1, 1)
			n, _ := follower(t, e)
			n.Receive(e, "s1", InstallSnapshot{Term: 2, LastIncludedIndex: 3, LastIncludedTerm: tc.snapTerm, Data: []byte("x"), Done: true})
			require.True(t, reply(t, e, "s1").Done)
			assert.Equal(t, tc.wantLog, logOf(n))
			// And the same after a restart.
			e.disk.crash()
			n, _ = follower(t, e)
			assert.Equal(t, tc.wantLog, logOf(n))
		})
	}
}

// The leader's side: up to snapshotWindow chunks ahead of the answers; each
// answer moves the window on; a late copy of an answer changes nothing; a
// chunk lost is sent again after an election timeout; an answer from a
// follower that lost what it had starts over from there.
func TestLeaderSendsSnapshotInChunks(t *testing.T) {
	e := newFakeEnv(t, "s1", 3)
	cfg := plainConfig()
	cfg.SnapshotChunkSize = 2
	app := &blobApp{}
	n := New(cfg, app)
	n.Start(e)
	elect(t, n, e, "s2")
	// Make a snapshot of 10 bytes (5 chunks) at the no-op, and forget the log.
	app.state = []byte("0123456789")
	n.commitIndex, n.lastApplied = 1, 1
	n.saveSnapshot(e, 1, n.term, app.state)
	n.compactLog(e, 1)
	n.sync(e)
	e.take()
	chunks := func() []string {
		var out []string
		for _, s := range e.take() {
			if m, ok := s.msg.(InstallSnapshot); ok && s.to == "s3" {
				c := fmt.Sprintf("%d:%s", m.Offset, m.Data)
				if m.Done {
					c += "!"
				}
				out = append(out, c)
			}
		}
		return out
	}
	answer := func(offset uint64) []string {
		n.Receive(e, "s3", InstallSnapshotReply{Term: n.term, LastIncludedIndex: 1, Offset: offset})
		return chunks()
	}

	pr := n.progress["s3"]
	pr.next, pr.probing = 1, true // s3 needs entry 1, which is gone
	n.sendAppend(e, "s3")
	assert.Equal(t, []string{"0:01", "2:23", "4:45", "6:67"}, chunks(), "a window of chunks")
	n.sendAppend(e, "s3")
	assert.Empty(t, chunks(), "more than the window in flight")
	assert.Equal(t, []string{"8:89!"}, answer(2), "an answer moves the window on")
	assert.Empty(t, answer(2), "a late copy of an answer")
	assert.Empty(t, answer(4))

	// The rest is lost. A heartbeat soon after sends nothing; one an
	// election timeout later sends again from what s3 holds.
	n.Receive(e, "s1", heartbeatTick{Epoch: n.epoch})
	assert.Empty(t, chunks(), "resent at once")
	e.now += cfg.ElectionTimeout
	n.Receive(e, "s1", heartbeatTick{Epoch: n.epoch})
	assert.Equal(t, []string{"4:45", "6:67", "8:89!"}, chunks())

	// s3 restarted and kept only 2 bytes: go on from there.
	assert.Equal(t, []string{"2:23", "4:45", "6:67", "8:89!"}, answer(2))
	n.Receive(e, "s3", InstallSnapshotReply{Term: n.term, LastIncludedIndex: 1, Done: true})
	assert.Equal(t, uint64(1), pr.match)
	assert.Zero(t, pr.snapIndex, "transfer still open")
}

// A crash between the steps of a change leaves keys that Start cleans up:
// a header flagged by an install that was replacing a conflicting log, and
// pieces of a snapshot no header names.
func TestStartCleansUpAfterACrash(t *testing.T) {
	e := newFakeEnv(t, "s2", 3)
	e.preload(2, 1, 1, 2, 2) // entries 1..4; the install below conflicts at 3
	e.disk.Put(snapKey, encodeSnapHeader(snapHeader{index: 3, term: 1, size: 2, flags: flagDiscardLog}))
	e.disk.Put(pieceKey(3, 0), []byte("ok"))
	e.disk.Put(pieceKey(7, 0), []byte("stale"))
	e.disk.Sync()
	n, app := follower(t, e)
	assert.Equal(t, []string{"snap 3:1"}, logOf(n))
	assert.Equal(t, "ok", string(app.state))
	n.sync(e)
	var logKeys []string
	for _, k := range e.disk.Keys() {
		if strings.HasPrefix(k, logPrefix) || strings.HasPrefix(k, pieceDir(7)) {
			logKeys = append(logKeys, k)
		}
	}
	assert.Empty(t, logKeys, "left-over keys")
	h, _ := e.disk.Get(snapKey)
	assert.Equal(t, byte(0), h[24], "flag still set: entries appended later would be dropped at the next start")
}

// Entries behind the snapshot (SnapshotTrailingEntries) survive a restart:
// the first one on disk becomes the boundary.
func TestTrailingEntriesSurviveRestart(t *testing.T) {
	e := newFakeEnv(t, "s2", 3)
	e.preload(1, 1, 1, 1, 1, 1, 1) // entries 1..6
	e.disk.Delete(entryKey(1))
	e.disk.Put(snapKey, encodeSnapHeader(snapHeader{index: 4, term: 1}))
	e.disk.Sync()
	n, _ := follower(t, e)
	assert.Equal(t, uint64(2), n.log.prevIndex)
	assert.Equal(t, uint64(6), n.log.lastIndex())
	assert.Equal(t, []string{"snap 4:1", "5:1", "6:1"}, logOf(n), "Status shows the entries after the snapshot")
}

// With a trailing window, a follower a few entries behind the leader's
// snapshot is sent those entries, not the snapshot.
func TestTrailingEntriesSpareASnapshot(t *testing.T) {
	seeds(t, func(t *testing.T, seed uint64) {
		cfg := DefaultConfig()
		cfg.SnapshotThreshold = 8
		cfg.SnapshotTrailingEntries = 20
		c := newCluster(t, 3, seed, cfg)
		first := cmds("a", 30)
		c.proposeAll(first...)
		c.waitApplied(c.ids, first...)
		leader := c.leader()
		require.Positive(t, c.node(leader).Status().SnapshotIndex)
		assert.Less(t, c.node(leader).log.prevIndex, c.node(leader).snapIndex, "no entries kept behind the snapshot")

		lagging := c.others(leader)[0]
		c.w.Crash(lagging)
		second := cmds("b", 12)
		c.proposeAll(second...)
		c.waitApplied(c.others(lagging), second...)
		require.Greater(t, c.node(c.leader()).snapIndex, c.node(c.leader()).log.prevIndex)
		snapshots := 0
		c.sends = func(r *sim.Record) {
			if _, ok := r.Msg.(InstallSnapshot); ok && r.To == lagging {
				snapshots++
			}
		}
		c.w.Restart(lagging)
		c.waitApplied(c.ids, append(append([]string{}, first...), second...)...)
		assert.Zero(t, snapshots, "a follower %d entries behind was sent a snapshot", len(second))
	})
}

// A snapshot in many small chunks reaches a follower over a network that
// loses, duplicates and delays messages, and one that crashes mid-transfer.
func TestSnapshotChunksSurviveLossAndCrash(t *testing.T) {
	seeds(t, func(t *testing.T, seed uint64) {
		cfg := DefaultConfig()
		cfg.SnapshotThreshold = 8
		cfg.SnapshotTrailingEntries = 0
		cfg.SnapshotChunkSize = 16
		c := newCluster(t, 3, seed, cfg)
		first := cmds("a", 20)
		c.proposeAll(first...)
		c.waitApplied(c.ids, first...)
		lagging := c.others(c.leader())[0]
		c.w.Crash(lagging)
		second := cmds("b", 30)
		c.proposeAll(second...)
		c.waitApplied(c.others(lagging), second...)

		c.net.loss, c.net.dup = 0.1, 0.1
		chunks := 0
		c.sends = func(r *sim.Record) {
			if _, ok := r.Msg.(InstallSnapshot); ok && r.To == lagging {
				chunks++
			}
		}
		c.w.Restart(lagging)
		// Crash it again in the middle of the transfer, then let it finish.
		require.True(t, c.w.RunUntil(func() bool { return chunks >= 8 }, 10*time.Second), "transfer never started")
		c.w.Crash(lagging)
		c.w.RunFor(100 * time.Millisecond)
		c.w.Restart(lagging)
		all := append(append([]string{}, first...), second...)
		c.waitApplied(c.ids, all...)
		assert.Equal(t, all, c.apps[lagging].commands())
	})
}

func TestLimitBytes(t *testing.T) {
	es := func(sizes ...int) []Entry {
		out := make([]Entry, len(sizes))
		for i, n := range sizes {
			out[i] = Entry{Index: uint64(i + 1), Command: make([]byte, n)}
		}
		return out
	}
	cases := []struct {
		sizes []int
		max   int
		want  int
	}{
		{[]int{10, 10, 10}, 25, 2},
		{[]int{10, 10, 10}, 30, 3},
		{[]int{100, 1}, 10, 1}, // one entry over the cap still goes, alone
		{nil, 10, 0},
	}
	for _, tc := range cases {
		assert.Len(t, limitBytes(es(tc.sizes...), tc.max), tc.want, "%v max %d", tc.sizes, tc.max)
	}
}

// With MaxInflightAppends 1 a leader has one AppendEntries with entries in
// flight per follower; what is proposed meanwhile waits, and the answer
// sends it all in one message.
func TestInflightWindowBatchesProposals(t *testing.T) {
	e := newFakeEnv(t, "s1", 3)
	cfg := plainConfig()
	cfg.MaxInflightAppends = 1
	n := New(cfg, nil)
	n.Start(e)
	elect(t, n, e, "s2")
	for _, p := range []sim.NodeID{"s2", "s3"} {
		n.Receive(e, p, AppendEntriesReply{Term: n.term, Success: true, MatchIndex: 1}) // the no-op
	}
	e.take()
	appends := func() map[sim.NodeID][]int {
		out := map[sim.NodeID][]int{}
		for _, s := range e.take() {
			if m, ok := s.msg.(AppendEntries); ok {
				out[s.to] = append(out[s.to], len(m.Entries))
			}
		}
		return out
	}
	for i := range 5 {
		_, ok, _ := n.Propose(e, []byte{byte(i)})
		require.True(t, ok)
	}
	assert.Equal(t, map[sim.NodeID][]int{"s2": {1}, "s3": {1}}, appends(), "one message in flight per follower")
	n.Receive(e, "s2", AppendEntriesReply{Term: n.term, Success: true, MatchIndex: 2})
	assert.Equal(t, map[sim.NodeID][]int{"s2": {4}}, appends(), "the answer sends the four that waited, together")
	// With the windows full, a heartbeat carries no entries. Its answer
	// frees the window (had the answer to the entries been lost).
	n.Receive(e, "s1", heartbeatTick{Epoch: n.epoch})
	assert.Equal(t, map[sim.NodeID][]int{"s2": {0}, "s3": {0}}, appends())
	n.Receive(e, "s3", AppendEntriesReply{Term: n.term, Success: true, MatchIndex: 2})
	assert.Equal(t, map[sim.NodeID][]int{"s3": {4}}, appends())
}

// SnapshotThresholdBytes compacts by the size of what was applied, whatever
// the number of entries.
func TestSnapshotThresholdBytes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SnapshotThreshold = 0
	cfg.SnapshotThresholdBytes = 100
	cfg.SnapshotTrailingEntries = 0
	c := newCluster(t, 3, 1, cfg)
	a, b := strings.Repeat("a", 60), strings.Repeat("b", 60)
	c.proposeAll(a)
	c.waitApplied(c.ids, a)
	for _, id := range c.ids {
		assert.Zero(t, c.node(id).Status().SnapshotIndex, "%s compacted after 60 bytes", id)
	}
	c.proposeAll(b)
	c.waitApplied(c.ids, a, b)
	for _, id := range c.ids {
		assert.Positive(t, c.node(id).Status().SnapshotIndex, "%s did not compact after 120 bytes", id)
	}
}

// The entries kept behind a snapshot are capped by SnapshotThresholdBytes
// too: ten big values are not kept just because ten entries may be.
func TestTrailingEntriesCappedByBytes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SnapshotThreshold = 0
	cfg.SnapshotThresholdBytes = 100
	cfg.SnapshotTrailingEntries = 10
	c := newCluster(t, 3, 1, cfg)
	vals := []string{strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)}
	c.proposeAll(vals...)
	c.waitApplied(c.ids, vals...)
	n := c.node(c.leader())
	require.Equal(t, uint64(4), n.snapIndex, "the no-op and three values, 120 bytes: one snapshot")
	var kept int
	for i := n.log.prevIndex + 1; i <= n.snapIndex; i++ {
		kept += len(n.log.entry(i).Command)
	}
	assert.LessOrEqual(t, kept, 100, "bytes kept behind the snapshot")
	assert.Equal(t, uint64(2), n.log.prevIndex, "entries 3 and 4 (80 bytes) kept, not 2 (120)")
}

// A follower that catches up by entries past a snapshot it was receiving
// drops the partial snapshot.
func TestPartialSnapshotDroppedWhenEntriesCatchUp(t *testing.T) {
	e := newFakeEnv(t, "s2", 3)
	n, _ := follower(t, e)
	n.Receive(e, "s1", chunk(1, 2, 0, "abcd", false))
	require.NotNil(t, n.incoming)
	n.Receive(e, "s1", AppendEntries{Term: 1, Entries: []Entry{{Index: 1, Term: 1}, {Index: 2, Term: 1}}, LeaderCommit: 2})
	assert.Nil(t, n.incoming)
	assert.Empty(t, keysWithPrefix(e.disk, pieceDir(2)))
	_, ok := e.disk.Get(incomingKey)
	assert.False(t, ok)
}
