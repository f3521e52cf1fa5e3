package raft

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

// These tests drive a single Node by hand, etcd style: a fake Env records
// what it sends, and the test plays the rest of the cluster.

// crashDisk is a Disk whose unsynced writes a test can throw away.
type crashDisk struct {
	synced, dirty map[string][]byte // a nil dirty value is a delete
}

func newCrashDisk() *crashDisk {
	return &crashDisk{synced: map[string][]byte{}, dirty: map[string][]byte{}}
}

func (d *crashDisk) Get(k string) ([]byte, bool) {
	if v, ok := d.dirty[k]; ok {
		return slices.Clone(v), v != nil
	}
	v, ok := d.synced[k]
	return slices.Clone(v), ok
}
func (d *crashDisk) Put(k string, v []byte) { d.dirty[k] = append([]byte{}, v...) }
func (d *crashDisk) Delete(k string)        { d.dirty[k] = nil }
func (d *crashDisk) Keys() []string {
	var ks []string
	for k := range d.synced {
		if _, ok := d.Get(k); ok {
			ks = append(ks, k)
		}
	}
	for k, v := range d.dirty {
		if _, ok := d.synced[k]; !ok && v != nil {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}
func (d *crashDisk) Sync() {
	for k, v := range d.dirty {
		if v == nil {
			delete(d.synced, k)
		} else {
			d.synced[k] = v
		}
	}
	clear(d.dirty)
}
func (d *crashDisk) crash() { clear(d.dirty) }

type sent struct {
	to  sim.NodeID
	msg sim.Message
}

type fakeEnv struct {
	t       *testing.T
	id      sim.NodeID
	peers   []sim.NodeID
	now     time.Duration
	disk    *crashDisk
	rng     *rand.Rand
	sent    []sent
	timerID sim.TimerID
}

func newFakeEnv(t *testing.T, id sim.NodeID, size int) *fakeEnv {
	e := &fakeEnv{t: t, id: id, disk: newCrashDisk(), rng: rand.New(rand.NewPCG(1, 2))}
	for i := 1; i <= size; i++ {
		if p := sim.NodeID(fmt.Sprintf("s%d", i)); p != id {
			e.peers = append(e.peers, p)
		}
	}
	return e
}

func (e *fakeEnv) ID() sim.NodeID          { return e.id }
func (e *fakeEnv) Peers() []sim.NodeID     { return e.peers }
func (e *fakeEnv) Now() time.Time          { return sim.Epoch.Add(e.now) }
func (e *fakeEnv) Rand() *rand.Rand        { return e.rng }
func (e *fakeEnv) Disk() sim.Disk          { return e.disk }
func (e *fakeEnv) Logf(string, ...any)     {}
func (e *fakeEnv) CancelTimer(sim.TimerID) {}
func (e *fakeEnv) SetTimer(time.Duration, sim.Message) sim.TimerID {
	e.timerID++
	return e.timerID
}

// Send checks the durability rule: nothing leaves while writes are
// unsynced, but for a leader's AppendEntries (thesis §10.2.1), which only
// carries entries whose loss at a crash costs nothing but a retry.
func (e *fakeEnv) Send(to sim.NodeID, msg sim.Message) {
	if _, ae := msg.(AppendEntries); len(e.disk.dirty) > 0 && !ae {
		e.t.Errorf("%s sent %v with %d unsynced disk writes", e.id, msg, len(e.disk.dirty))
	}
	e.sent = append(e.sent, sent{to, msg})
}

// take returns and forgets what was sent.
func (e *fakeEnv) take() []sent {
	s := e.sent
	e.sent = nil
	return s
}

// lastTo is the last message sent to id.
func (e *fakeEnv) lastTo(id sim.NodeID) sim.Message {
	for i := len(e.sent) - 1; i >= 0; i-- {
		if e.sent[i].to == id {
			return e.sent[i].msg
		}
	}
	e.t.Fatalf("nothing sent to %s", id)
	return nil
}

// preload writes a term and log to the disk, as a previous life would have.
func (e *fakeEnv) preload(term uint64, terms ...uint64) {
	e.disk.Put(metaKey, fmt.Appendf(nil, `{"term":%d}`, term))
	for i, t := range terms {
		e.disk.Put(entryKey(uint64(i+1)), encodeEntry(&Entry{Term: t, Command: []byte{byte(i)}}))
	}
	e.disk.Sync()
}

// timeout makes the election timer fire.
func (e *fakeEnv) timeout(n *Node) {
	e.now += 2 * n.cfg.ElectionTimeout
	n.Receive(e, e.id, electionTimeout{Epoch: n.epoch})
}

func plainConfig() Config {
	cfg := DefaultConfig()
	cfg.PreVote, cfg.CheckQuorum = false, false
	return cfg
}

// elect makes n the leader of a new term with votes from the given peers.
func elect(t *testing.T, n *Node, e *fakeEnv, voters ...sim.NodeID) {
	e.timeout(n)
	require.Equal(t, Candidate, n.role)
	for _, v := range voters {
		n.Receive(e, v, RequestVoteReply{Term: n.term, VoteGranted: true})
	}
	require.Equal(t, Leader, n.role)
}

// Figure 8: a leader must not commit an entry of an earlier term just
// because a majority stores it; it commits it together with an entry of its
// own term.
func TestFigure8(t *testing.T) {
	cases := []struct {
		name string
		bug  Bug
		// commitIndex once a majority stores index 2 (term 2) but not the
		// leader's own no-op at index 3 (term 4)
		wantCommit uint64
	}{
		{"correct", 0, 0},
		{"broken", CommitsEarlierTermByCounting, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t, "s1", 5)
			e.preload(3, 1, 2) // log 1:1 2:2, as S1 in Figure 8 (c)
			n := New(plainConfig(), nil)
			if tc.bug != 0 {
				n = NewBroken(plainConfig(), nil, tc.bug)
			}
			n.Start(e)
			elect(t, n, e, "s2", "s3")
			require.Equal(t, uint64(4), n.term)
			require.Equal(t, []string{"snap 0:0", "1:1", "2:2", "3:4"}, logOf(n))

			// S2 and S3 store up to index 2 only: with S1, a majority.
			for _, p := range []sim.NodeID{"s2", "s3"} {
				n.Receive(e, p, AppendEntriesReply{Term: 4, Success: true, MatchIndex: 2})
			}
			assert.Equal(t, tc.wantCommit, n.commitIndex)

			// Once a majority stores the no-op of term 4, everything up to
			// it commits (Log Matching covers the earlier entries).
			for _, p := range []sim.NodeID{"s2", "s3"} {
				n.Receive(e, p, AppendEntriesReply{Term: 4, Success: true, MatchIndex: 3})
			}
			assert.Equal(t, uint64(3), n.commitIndex)
		})
	}
}

// A vote is on disk before the reply leaves, so a node that crashes and
// restarts cannot vote twice in one term. ForgetsVotedFor shows the bug.
func TestVoteSurvivesRestart(t *testing.T) {
	cases := []struct {
		name        string
		bug         Bug
		secondGrant bool
	}{
		{"correct", 0, false},
		{"broken", ForgetsVotedFor, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t, "s1", 3)
			boot := func() *Node {
				n := New(plainConfig(), nil)
				if tc.bug != 0 {
					n = NewBroken(plainConfig(), nil, tc.bug)
				}
				n.Start(e)
				return n
			}
			n := boot()
			n.Receive(e, "s2", RequestVote{Term: 5})
			require.Equal(t, RequestVoteReply{Term: 5, VoteGranted: true}, e.lastTo("s2"))

			e.disk.crash()
			n = boot()
			assert.Equal(t, uint64(5), n.term, "the term must survive")
			n.Receive(e, "s3", RequestVote{Term: 5})
			assert.Equal(t, RequestVoteReply{Term: 5, VoteGranted: tc.secondGrant}, e.lastTo("s3"))
		})
	}
}

// §5.4.1: grant a vote only to a candidate whose log is at least as up to
// date as ours. Our log is 1:1 2:2.
func TestElectionRestriction(t *testing.T) {
	cases := []struct {
		lastIndex, lastTerm uint64
		grant               bool
	}{
		{2, 2, true},  // same log
		{5, 2, true},  // same last term, longer
		{1, 2, false}, // same last term, shorter
		{1, 3, true},  // newer last term wins whatever the length
		{9, 1, false}, // older last term loses whatever the length
		{0, 0, false}, // empty log
	}
	for _, bug := range []Bug{0, GrantsVotesWithoutLogCheck} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%v/%d:%d", bug, tc.lastIndex, tc.lastTerm), func(t *testing.T) {
				e := newFakeEnv(t, "s1", 3)
				e.preload(2, 1, 2)
				n := New(plainConfig(), nil)
				if bug != 0 {
					n = NewBroken(plainConfig(), nil, bug)
				}
				n.Start(e)
				n.Receive(e, "s2", RequestVote{Term: 3, LastLogIndex: tc.lastIndex, LastLogTerm: tc.lastTerm})
				want := tc.grant || bug == GrantsVotesWithoutLogCheck
				assert.Equal(t, RequestVoteReply{Term: 3, VoteGranted: want}, e.lastTo("s2"))
			})
		}
	}
}

// A follower's rejection says where the leader should look next.
func TestAppendEntriesConflictHints(t *testing.T) {
	cases := []struct {
		name       string
		log        []uint64 // terms of the follower's entries 1, 2, ...
		prev, term uint64   // the leader's PrevLogIndex and PrevLogTerm
		want       AppendEntriesReply
	}{
		{"log too short", []uint64{1, 1}, 5, 3, AppendEntriesReply{Term: 6, ConflictIndex: 3}},
		{"conflicting term", []uint64{1, 2, 2, 2}, 4, 3, AppendEntriesReply{Term: 6, ConflictTerm: 2, ConflictIndex: 2}},
		{"match", []uint64{1, 2, 2}, 3, 2, AppendEntriesReply{Term: 6, Success: true, MatchIndex: 3}},
		{"empty log matches at 0", nil, 0, 0, AppendEntriesReply{Term: 6, Success: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t, "s1", 3)
			e.preload(6, tc.log...)
			n := New(plainConfig(), nil)
			n.Start(e)
			n.Receive(e, "s2", AppendEntries{Term: 6, PrevLogIndex: tc.prev, PrevLogTerm: tc.term})
			assert.Equal(t, tc.want, e.lastTo("s2"))
			assert.Equal(t, sim.NodeID("s2"), n.leader)
		})
	}
}

// §5.3: a conflicting suffix is replaced, and a stale, shorter message from
// the same leader never truncates what a longer one appended.
func TestAppendEntriesTruncatesOnlyConflicts(t *testing.T) {
	e := newFakeEnv(t, "s1", 3)
	e.preload(3, 1, 2, 2)
	n := New(plainConfig(), nil)
	n.Start(e)
	ents := []Entry{{Index: 2, Term: 3}, {Index: 3, Term: 3}, {Index: 4, Term: 3}}
	n.Receive(e, "s2", AppendEntries{Term: 3, PrevLogIndex: 1, PrevLogTerm: 1, Entries: ents})
	assert.Equal(t, []string{"snap 0:0", "1:1", "2:3", "3:3", "4:3"}, logOf(n))

	n.Receive(e, "s2", AppendEntries{Term: 3, PrevLogIndex: 1, PrevLogTerm: 1, Entries: ents[:1]})
	assert.Equal(t, []string{"snap 0:0", "1:1", "2:3", "3:3", "4:3"}, logOf(n))
	assert.Equal(t, AppendEntriesReply{Term: 3, Success: true, MatchIndex: 2}, e.lastTo("s2"))

	// What is on disk is what is in memory.
	p, err := loadState(e.disk)
	require.NoError(t, err)
	assert.Equal(t, n.log.entries, p.log.entries)
}

// Messages from an older term are answered with the newer term, so a
// deposed leader learns it; a newer term makes anyone a follower.
func TestTermSettling(t *testing.T) {
	e := newFakeEnv(t, "s1", 3)
	e.preload(5)
	n := New(plainConfig(), nil)
	n.Start(e)

	n.Receive(e, "s2", AppendEntries{Term: 4})
	assert.Equal(t, AppendEntriesReply{Term: 5}, e.lastTo("s2"))
	n.Receive(e, "s3", RequestVote{Term: 4, LastLogIndex: 9, LastLogTerm: 9})
	assert.Equal(t, RequestVoteReply{Term: 5}, e.lastTo("s3"))
	assert.Equal(t, uint64(5), n.term)

	elect(t, n, e, "s2")
	require.Equal(t, uint64(6), n.term)
	n.Receive(e, "s3", AppendEntriesReply{Term: 7})
	assert.Equal(t, Follower, n.role)
	assert.Equal(t, uint64(7), n.term)
	assert.Equal(t, sim.NodeID(""), n.votedFor)
}

// Pre-votes change no one's term, and are refused while a leader is heard.
func TestPreVote(t *testing.T) {
	cfg := DefaultConfig()
	e := newFakeEnv(t, "s1", 3)
	e.preload(2, 1, 2)
	n := New(cfg, nil)
	n.Start(e)

	n.Receive(e, "s2", RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2, PreVote: true})
	assert.Equal(t, RequestVoteReply{Term: 3, VoteGranted: true, PreVote: true}, e.lastTo("s2"))
	assert.Equal(t, uint64(2), n.term, "a pre-vote changed the term")
	assert.Equal(t, sim.NodeID(""), n.votedFor, "a pre-vote was recorded as a vote")

	n.Receive(e, "s3", AppendEntries{Term: 2, PrevLogIndex: 2, PrevLogTerm: 2})
	n.Receive(e, "s2", RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2, PreVote: true})
	assert.Equal(t, RequestVoteReply{Term: 2, PreVote: true}, e.lastTo("s2"), "granted a pre-vote while a leader is alive")

	// CheckQuorum: a real vote request is ignored outright while in lease.
	e.take()
	n.Receive(e, "s2", RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2})
	assert.Empty(t, e.take())
	assert.Equal(t, uint64(2), n.term)

	// The pre-candidate side: our own timeout asks for term 3 without
	// taking it, and a majority of pre-votes starts the real election.
	e.timeout(n)
	require.Equal(t, PreCandidate, n.role)
	assert.Equal(t, uint64(2), n.term)
	assert.Equal(t, RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2, PreVote: true}, e.lastTo("s3"))
	n.Receive(e, "s3", RequestVoteReply{Term: 3, VoteGranted: true, PreVote: true})
	assert.Equal(t, Candidate, n.role)
	assert.Equal(t, uint64(3), n.term)
}

// CheckQuorum: a leader that hears from no majority for an election timeout
// steps down.
func TestCheckQuorum(t *testing.T) {
	e := newFakeEnv(t, "s1", 5)
	n := New(DefaultConfig(), nil)
	n.Start(e)
	e.timeout(n)
	for _, p := range []sim.NodeID{"s2", "s3"} {
		n.Receive(e, p, RequestVoteReply{Term: 1, VoteGranted: true, PreVote: true})
	}
	for _, p := range []sim.NodeID{"s2", "s3"} {
		n.Receive(e, p, RequestVoteReply{Term: 1, VoteGranted: true})
	}
	require.Equal(t, Leader, n.role)

	// Two followers answer: with us, a majority of five.
	n.Receive(e, "s2", AppendEntriesReply{Term: 1, Success: true, MatchIndex: 1})
	n.Receive(e, "s3", AppendEntriesReply{Term: 1, Success: true, MatchIndex: 1})
	n.Receive(e, e.id, electionTimeout{Epoch: n.epoch})
	require.Equal(t, Leader, n.role)

	// Then only one does.
	n.Receive(e, "s2", AppendEntriesReply{Term: 1, Success: true, MatchIndex: 1})
	n.Receive(e, e.id, electionTimeout{Epoch: n.epoch})
	assert.Equal(t, Follower, n.role)
	assert.Equal(t, uint64(1), n.term)
}

func TestRoleTransitionsPanic(t *testing.T) {
	e := newFakeEnv(t, "s1", 3)
	n := New(plainConfig(), nil)
	n.Start(e)
	assert.PanicsWithValue(t, "raft: s1: invalid transition [follower -> leader]", func() { n.becomeLeader(e) })
	elect(t, n, e, "s2")
	assert.Panics(t, func() { n.becomeCandidate(e) })
	assert.Panics(t, func() { n.becomePreCandidate(e) })
	assert.Panics(t, func() { n.becomeFollower(e, n.term-1, "") })
}

func TestLoadStateRejectsCorruptDisks(t *testing.T) {
	cases := []struct {
		name string
		put  map[string]string
	}{
		{"meta", map[string]string{metaKey: "{"}},
		{"snapshot", map[string]string{snapKey: "short"}},
		{"legacy snapshot", map[string]string{legacySnapshotKey: "short"}},
		{"incoming", map[string]string{incomingKey: "short"}},
		{"pieces short", map[string]string{snapKey: string(encodeSnapHeader(snapHeader{index: 5, term: 1, size: 10})), pieceKey(5, 0): "abc"}},
		{"entry", map[string]string{entryKey(1): "x"}},
		{"gap", map[string]string{entryKey(2): "\x00\x00\x00\x00\x00\x00\x00\x01\x00"}},
		{"key", map[string]string{logPrefix + "x": ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newCrashDisk()
			for k, v := range tc.put {
				d.Put(k, []byte(v))
			}
			_, err := loadState(d)
			assert.True(t, errors.Is(err, ErrCorruptDisk), "got %v", err)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"zero value", func(c *Config) { *c = Config{} }, true},
		{"negative timeout", func(c *Config) { c.ElectionTimeout = -1 }, false},
		{"heartbeat too slow", func(c *Config) { c.HeartbeatInterval = c.ElectionTimeout }, false},
		{"negative threshold", func(c *Config) { c.SnapshotThreshold = -1 }, false},
		{"negative batch", func(c *Config) { c.MaxEntriesPerAppend = -1 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidConfig)
			}
		})
	}
}

func TestMessageStrings(t *testing.T) {
	cases := []struct {
		msg  sim.Message
		want string
	}{
		{AppendEntries{Term: 3, PrevLogIndex: 5, PrevLogTerm: 3, Entries: []Entry{{Index: 6}, {Index: 7}}, LeaderCommit: 5},
			"AppendEntries{Term:3 Prev:5/3 Entries:2[6..7] Commit:5}"},
		{AppendEntriesReply{Term: 3, Success: true, MatchIndex: 7}, "AppendEntriesReply{Term:3 Success Match:7}"},
		{AppendEntriesReply{Term: 3, ConflictIndex: 4, ConflictTerm: 2}, "AppendEntriesReply{Term:3 Reject Conflict:4/2}"},
		{RequestVote{Term: 4, LastLogIndex: 7, LastLogTerm: 3, PreVote: true}, "PreVote{Term:4 Last:7/3}"},
		{RequestVoteReply{Term: 4, VoteGranted: true}, "RequestVoteReply{Term:4 Granted:true}"},
		{InstallSnapshot{Term: 2, LastIncludedIndex: 100, LastIncludedTerm: 2, Data: make([]byte, 10)}, "InstallSnapshot{Term:2 Last:100/2 Offset:0 Bytes:10}"},
		{InstallSnapshot{Term: 2, LastIncludedIndex: 100, LastIncludedTerm: 2, Offset: 10, Data: make([]byte, 3), Done: true}, "InstallSnapshot{Term:2 Last:100/2 Offset:10 Bytes:3 Done}"},
		{InstallSnapshotReply{Term: 2, LastIncludedIndex: 100, Offset: 13}, "InstallSnapshotReply{Term:2 Last:100 Offset:13}"},
		{InstallSnapshotReply{Term: 2, LastIncludedIndex: 100, Done: true}, "InstallSnapshotReply{Term:2 Last:100 Done}"},
		{electionTimeout{Epoch: 3}, "electionTimeout{Epoch:3}"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, sim.MessageString(tc.msg))
	}
}

func TestInspect(t *testing.T) {
	e := newFakeEnv(t, "s1", 3)
	e.preload(3, 1, 1, 3)
	n := New(plainConfig(), nil)
	n.Start(e)
	got := n.Inspect()
	assert.Equal(t, "1:1 2:1 3:3", got["log"])
	assert.Equal(t, "follower", got["role"])
	assert.Equal(t, "3", got["term"])
}

func TestEntryKey(t *testing.T) {
	assert.Equal(t, "log/00000000000000000042", entryKey(42))
	assert.Equal(t, "log/18446744073709551615", entryKey(1<<64-1))
	assert.Less(t, entryKey(9), entryKey(10), "keys must sort by index")
}

// Messages cross a real network as JSON: a no-op must stay a no-op, and an
// empty command must stay a command.
func TestMessagesSurviveJSON(t *testing.T) {
	in := AppendEntries{Term: 2, PrevLogIndex: 1, PrevLogTerm: 1, LeaderCommit: 1,
		Entries: []Entry{{Index: 2, Term: 2, Noop: true}, {Index: 3, Term: 2, Command: []byte{}}, {Index: 4, Term: 2, Command: []byte("x")}}}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	var out AppendEntries
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)
	assert.True(t, out.Entries[0].Noop)
	assert.False(t, out.Entries[1].Noop)
}

func TestEntryKeysSortByIndex(t *testing.T) {
	for _, tc := range []struct {
		index uint64
		key   string
	}{
		{0, "log/00000000000000000000"},
		{42, "log/00000000000000000042"},
		{18446744073709551615, "log/18446744073709551615"},
	} {
		if got := entryKey(tc.index); got != tc.key {
			t.Errorf("entryKey(%d) = %q, want %q", tc.index, got, tc.key)
		}
	}
}
