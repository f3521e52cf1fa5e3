package raftsuite

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/dsimlab/dsim/scenarios/suite"
	"hash/fnv"
	"slices"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

// Constructor builds one Raft node. The suite calls it at every boot of every
// node (a restart builds a fresh value, as after a real crash), with the
// suite's Config and an Applier that records what the node applies. Ours is
//
//	func(cfg raft.Config, app rsm.Applier) raft.Implementation { return raft.New(cfg, app) }
type Constructor func(cfg raft.Config, app rsm.Applier) raft.Implementation

// T is what the suite needs of a test: *testing.T satisfies it. Fatalf must
// not return (testing.T calls runtime.Goexit); Grade's recorder panics with a
// private value it recovers.
type T = suite.T

// Errors the cluster's own checks wrap, besides check's ErrElectionSafety,
// ErrStateMachineSafety, ErrLeaderCompleteness and ErrLogMatching.
var (
	// ErrApplyOrder: a node applied an index at or below one it had applied
	// already, or skipped a command another node applied.
	ErrApplyOrder = errors.New("commands applied out of order")
	// ErrBadSnapshot: a node restored a snapshot that does not hold exactly
	// the commands committed up to its index.
	ErrBadSnapshot = errors.New("snapshot does not match the committed commands")
)

// Timing of the suite, in virtual time. The Config the suite hands to nodes
// has the paper's 150–300ms election timer, so these are generous.
const (
	// ElectionTimeout is the wait the tests use where 6.5840's tests sleep
	// for RaftElectionTimeout: long enough for any election to finish.
	ElectionTimeout = time.Second
	// LeaderLimit bounds how long CheckOneLeader waits for a leader.
	LeaderLimit = 5 * time.Second
	// CommitLimit bounds how long One waits for a command to commit once
	// a leader accepted it; OneLimit bounds the whole of One.
	CommitLimit = 2 * time.Second
	OneLimit    = 10 * time.Second
)

// Setup is what a suite test needs to build its clusters: the constructor
// under test, the seed, and the base Config.
type Setup struct {
	New    Constructor
	Seed   uint64
	Config raft.Config
	// Tracer, if set, receives every clusters' trace (the determinism test
	// hashes it).
	Tracer sim.Tracer
	// Intent is what the running test checks and why it matters, printed
	// with a failure (RunOne sets it from Test.Doc).
	Intent string
	// clusters made so far, so the runner can report their violations.
	made *[]*Cluster
}

// SnapshotThreshold is the SnapshotThreshold snapshot tests pass in Config:
// small, so a few dozen commands force several compactions.
const SnapshotThreshold = 10

// DefaultConfig is the Config the suite passes to nodes: raft.DefaultConfig
// (150ms election timeout, 50ms heartbeats, PreVote and CheckQuorum) without
// compaction; snapshot tests set SnapshotThreshold. It keeps no entries
// behind a snapshot (SnapshotTrailingEntries 0) and sends snapshots in small
// chunks, so that a follower cut off past a snapshot needs InstallSnapshot,
// in several messages.
func DefaultConfig() raft.Config {
	cfg := raft.DefaultConfig()
	cfg.SnapshotThreshold = 0
	cfg.SnapshotTrailingEntries = 0
	cfg.SnapshotChunkSize = 64
	return cfg
}

// Cluster is a simulated Raft cluster under test: a sim.World, a
// network.Model and n nodes built by the Constructor, named n0..n(n-1) and
// addressed by index as in 6.5840's config.go. After every simulation step it
// checks election safety, leader completeness (when a node becomes leader),
// that committed entries never change, and, as nodes apply commands, state
// machine safety, order and snapshot contents. The first violation is kept;
// every operation stops the test with it.
type Cluster struct {
	t    T
	w    *sim.World
	net  *network.Model
	ids  []sim.NodeID
	cfg  raft.Config
	seed uint64
	mk   Constructor

	connected  []bool
	partition  [][]sim.NodeID // groups set by Partition, nil if none
	cuts       []network.Link // one-way cuts set by Cut
	unreliable bool
	longDelays bool

	// What was applied. cmds maps each index to the command first applied
	// there by anyone; apps is each node's current state machine (replaced
	// at every boot); covered is the highest index any incarnation of the
	// node applied or restored, for NCommitted.
	cmds    map[uint64][]byte
	apps    []*recorder
	covered []uint64
	sms     check.StateMachineSafety

	// Committed log entries, as (index -> term), from every node's
	// CommitIndex; checkedCommit is how far each node's commits were read.
	committed     map[uint64]uint64
	checkedCommit []uint64
	es            check.ElectionSafety
	// el checks terms, votes and majorities from every node's Status.
	el *check.Elections
	// flight keeps each node's last events and log lines for failures.
	flight *suite.Flight
	intent string
	// leaderTerm is the term in which each node was last seen leading, so
	// leader completeness is checked once per election.
	leaderTerm []uint64
	// stepHooks run after the checks of every step (scenario nemeses).
	stepHooks []func()

	violation error
}

// MakeCluster builds a cluster of n nodes, like 6.5840's make_config:
// unreliable turns on loss, reordering and jittery latency; snapshot sets
// Config.SnapshotThreshold to SnapshotThreshold. All nodes start at once.
func (s Setup) MakeCluster(t T, n int, unreliable, snapshot bool) *Cluster {
	cfg := s.Config
	if snapshot {
		cfg.SnapshotThreshold = SnapshotThreshold
	}
	return s.makeCluster(t, n, cfg, unreliable)
}

func (s Setup) makeCluster(t T, n int, cfg raft.Config, unreliable bool) *Cluster {
	t.Helper()
	net := network.MustNew(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: time.Millisecond, Max: 3 * time.Millisecond},
	}})
	c := &Cluster{
		t: t, net: net, cfg: cfg, seed: s.Seed, mk: s.New,
		cmds: map[uint64][]byte{}, committed: map[uint64]uint64{},
		el: check.NewElections(n), flight: suite.NewFlight(flightKeep), intent: s.Intent,
	}
	var tracer sim.Tracer = c.flight
	if s.Tracer != nil {
		tracer = sim.Tee(c.flight, s.Tracer)
	}
	c.w = sim.NewWorld(sim.Config{Seed: s.Seed, Network: net, Tracer: tracer, LoseUnsyncedWrites: true})
	for i := range n {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		c.ids = append(c.ids, id)
		c.connected = append(c.connected, true)
	}
	c.apps = make([]*recorder, n)
	c.covered = make([]uint64, n)
	c.checkedCommit = make([]uint64, n)
	c.leaderTerm = make([]uint64, n)
	for i, id := range c.ids {
		c.w.AddNode(id, func() sim.Node {
			app := &recorder{c: c, i: i}
			c.apps[i] = app
			return c.mk(c.cfg, app)
		})
	}
	c.w.AfterStep(c.afterStep)
	if unreliable {
		c.SetUnreliable(true)
	}
	if s.made != nil {
		*s.made = append(*s.made, c)
	}
	return c
}

// World is the cluster's simulated world, for scenarios that script more
// than the operations below offer.
func (c *Cluster) World() *sim.World { return c.w }

// Net is the cluster's network model.
func (c *Cluster) Net() *network.Model { return c.net }

// N is the number of nodes.
func (c *Cluster) N() int { return len(c.ids) }

// ID is node i's name.
func (c *Cluster) ID(i int) sim.NodeID { return c.ids[i] }

// Config is the Config the nodes were built with.
func (c *Cluster) Config() raft.Config { return c.cfg }

// Violation is the first safety violation seen, or nil.
func (c *Cluster) Violation() error { return c.violation }

// Node is node i's Raft, or nil while it is crashed.
func (c *Cluster) Node(i int) raft.Implementation {
	n, _ := c.w.Node(c.ids[i]).(raft.Implementation)
	return n
}

// Status is node i's status and whether it is running.
func (c *Cluster) Status(i int) (raft.Status, bool) {
	n := c.Node(i)
	if n == nil {
		return raft.Status{}, false
	}
	return n.Status(), true
}

// Up reports whether node i is running.
func (c *Cluster) Up(i int) bool { return c.w.Up(c.ids[i]) }

// Connected reports whether node i is connected (it may still be crashed).
func (c *Cluster) Connected(i int) bool { return c.connected[i] }

// fatalf stops the test with msg and the failure report: what the test
// checks, each node's state, its last log lines and events, the seed and
// how to replay it.
func (c *Cluster) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("%s\n%s", fmt.Sprintf(format, args...), c.report())
	panic("raftsuite: T.Fatalf returned; it must stop the test (runtime.Goexit or panic)")
}

func (c *Cluster) replayHint() string {
	return fmt.Sprintf("seed %d, at %s of virtual time; replay: %s", c.seed, sim.FormatTime(c.w.Now()), ReplayCommand(c.t.Name()))
}

// fail records the first violation.
func (c *Cluster) fail(err error) {
	if c.violation == nil {
		c.violation = err
		c.w.Logf("VIOLATION: %v", err)
	}
}

// stopOnViolation ends the test if a violation has been seen.
func (c *Cluster) stopOnViolation() {
	c.t.Helper()
	if c.violation != nil {
		c.fatalf("%v", c.violation)
	}
}

// RunFor runs d of virtual time, stopping early at a violation.
func (c *Cluster) RunFor(d time.Duration) {
	c.t.Helper()
	end := c.w.Now() + d
	c.w.RunUntil(func() bool { return c.violation != nil }, d)
	c.stopOnViolation()
	if c.w.Now() < end {
		c.w.RunFor(end - c.w.Now())
	}
}

// RunUntil runs until cond holds, for at most limit of virtual time, and
// reports whether it did; a violation stops the test.
func (c *Cluster) RunUntil(cond func() bool, limit time.Duration) bool {
	c.t.Helper()
	ok := c.w.RunUntil(func() bool { return c.violation != nil || cond() }, limit)
	c.stopOnViolation()
	return ok
}

// OnStep runs f after every step, after the safety checks: a nemesis that
// reacts to what nodes do.
func (c *Cluster) OnStep(f func()) { c.stepHooks = append(c.stepHooks, f) }

// afterStep runs the invariant checks after every event.
func (c *Cluster) afterStep() {
	sent, booted := c.flight.TakeStep()
	for _, id := range booted {
		c.el.Restarted(id)
	}
	for i, id := range c.ids {
		n, ok := c.w.Node(id).(raft.Implementation)
		if !ok || !c.w.Up(id) {
			continue
		}
		s := n.Status()
		isLeader := s.Role == raft.Leader
		if err := c.es.Observe(id, s.Term, isLeader); err != nil {
			c.fail(err)
		}
		if err := c.el.Observe(check.ElectionState{Node: id, Term: s.Term, VotedFor: s.VotedFor, Leader: isLeader, Sent: slices.Contains(sent, id)}); err != nil {
			c.fail(err)
		}
		c.readCommits(i, &s)
		if isLeader && c.leaderTerm[i] != s.Term {
			c.leaderTerm[i] = s.Term
			if err := check.LeaderCompleteness(c.committedList(), s.Term, nodeLog(&s)); err != nil {
				c.fail(err)
			}
		}
	}
	for _, f := range c.stepHooks {
		f()
	}
}

// readCommits records the term of every entry node i says is committed; two
// different terms at one committed index means a committed entry changed.
func (c *Cluster) readCommits(i int, s *raft.Status) {
	if s.CommitIndex < c.checkedCommit[i] {
		c.checkedCommit[i] = s.CommitIndex // restarted: read them again
	}
	for idx := max(c.checkedCommit[i], s.SnapshotIndex) + 1; idx <= s.CommitIndex; idx++ {
		k := idx - s.SnapshotIndex - 1
		if k >= uint64(len(s.Log)) {
			break
		}
		term := s.Log[k].Term
		if was, ok := c.committed[idx]; !ok {
			c.committed[idx] = term
		} else if was != term {
			c.fail(fmt.Errorf("%w: committed entry changed: index %d was committed in term %d, and %s now has term %d there with commitIndex %d",
				check.ErrStateMachineSafety, idx, was, c.ids[i], term, s.CommitIndex))
		}
	}
	c.checkedCommit[i] = s.CommitIndex
}

func (c *Cluster) committedList() []check.IndexTerm {
	out := make([]check.IndexTerm, 0, len(c.committed))
	for idx, term := range c.committed {
		out = append(out, check.IndexTerm{Index: idx, Term: term})
	}
	slices.SortFunc(out, func(a, b check.IndexTerm) int { return cmp.Compare(a.Index, b.Index) })
	return out
}

func nodeLog(s *raft.Status) check.NodeLog {
	l := check.NodeLog{Node: s.ID, SnapshotIndex: s.SnapshotIndex, Entries: make([]check.LogEntry, len(s.Log))}
	for k, e := range s.Log {
		l.Entries[k] = check.LogEntry{Index: e.Index, Term: e.Term, Command: e.Command}
	}
	return l
}

// Finish runs the end-of-test checks: no violation, and Log Matching between
// every two running nodes. The suite's runner calls it after each test.
func (c *Cluster) Finish() {
	c.t.Helper()
	c.stopOnViolation()
	var logs []check.NodeLog
	for i := range c.ids {
		if s, ok := c.Status(i); ok {
			logs = append(logs, nodeLog(&s))
		}
	}
	for a := range logs {
		for b := a + 1; b < len(logs); b++ {
			if err := check.LogMatching(logs[a], logs[b]); err != nil {
				c.fail(err)
				c.fatalf("%v", err)
			}
		}
	}
}

// recorder is one incarnation of a node's state machine. Its state is the
// last applied index and a digest of every (index, command) applied so far,
// in order; its snapshot is that state, so a Restore can be checked against
// the commands the cluster committed.
type recorder struct {
	c      *Cluster
	i      int
	last   uint64 // highest index applied or restored
	digest uint64 // digest of the commands at 1..last, in order
	// restored is the index of the last snapshot restored, 0 if none.
	restored uint64
}

func (r *recorder) Apply(env sim.Env, index uint64, cmd []byte) {
	c := r.c
	id := c.ids[r.i]
	if c.apps[r.i] != r {
		return // a leftover from an earlier incarnation: ignore
	}
	if index <= r.last {
		c.fail(fmt.Errorf("%w: %s applied index %d after index %d", ErrApplyOrder, id, index, r.last))
		return
	}
	if k, ok := c.firstCommandIn(r.last+1, index); ok {
		c.fail(fmt.Errorf("%w: %s applied index %d but skipped %q at index %d", ErrApplyOrder, id, index, c.cmds[k], k))
		return
	}
	if err := c.sms.Applied(id, index, cmd); err != nil {
		c.fail(err)
	}
	if _, ok := c.cmds[index]; !ok {
		c.cmds[index] = slices.Clone(cmd)
		for j, other := range c.apps {
			if other != nil && j != r.i && other.last > index && c.w.Up(c.ids[j]) {
				c.fail(fmt.Errorf("%w: %s applied index %d but skipped %q at index %d, which %s applied",
					ErrApplyOrder, c.ids[j], other.last, cmd, index, id))
			}
		}
	}
	r.last = index
	r.digest = digest(r.digest, index, cmd)
	c.covered[r.i] = max(c.covered[r.i], index)
}

func digest(d, index uint64, cmd []byte) uint64 {
	h := fnv.New64a()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], d)
	binary.BigEndian.PutUint64(b[8:], index)
	h.Write(b[:])
	h.Write(cmd)
	return h.Sum64()
}

func (r *recorder) Snapshot() []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b[:8], r.last)
	binary.BigEndian.PutUint64(b[8:], r.digest)
	return b
}

func (r *recorder) Restore(index uint64, snapshot []byte) {
	c := r.c
	id := c.ids[r.i]
	if c.apps[r.i] != r {
		return
	}
	if len(snapshot) != 16 {
		c.fail(fmt.Errorf("%w: %s restored a snapshot of %d bytes at index %d, not one its state machine took",
			ErrBadSnapshot, id, len(snapshot), index))
		return
	}
	if index < r.last {
		c.fail(fmt.Errorf("%w: %s restored a snapshot at index %d after applying up to %d: its service went back in time (a snapshot older than what a follower holds must be ignored, §7)",
			ErrBadSnapshot, id, index, r.last))
		return
	}
	last := binary.BigEndian.Uint64(snapshot[:8])
	d := binary.BigEndian.Uint64(snapshot[8:])
	if last > index {
		c.fail(fmt.Errorf("%w: %s restored a snapshot holding commands up to %d as covering only 1..%d", ErrBadSnapshot, id, last, index))
		return
	}
	if want := c.prefixDigest(index); d != want {
		c.fail(fmt.Errorf("%w: %s restored a snapshot at index %d whose commands differ from those committed at 1..%d",
			ErrBadSnapshot, id, index, index))
		return
	}
	r.last, r.digest, r.restored = index, d, index
	c.covered[r.i] = max(c.covered[r.i], index)
}

// firstCommandIn is the lowest index in [lo, hi) where some node applied a
// command, if any.
func (c *Cluster) firstCommandIn(lo, hi uint64) (uint64, bool) {
	if hi-lo <= uint64(len(c.cmds)) {
		for k := lo; k < hi; k++ {
			if _, ok := c.cmds[k]; ok {
				return k, true
			}
		}
		return 0, false
	}
	first, found := uint64(0), false
	for k := range c.cmds {
		if k >= lo && k < hi && (!found || k < first) {
			first, found = k, true
		}
	}
	return first, found
}

// prefixDigest is the digest of every command applied anywhere at 1..index.
func (c *Cluster) prefixDigest(index uint64) uint64 {
	var idx []uint64
	for k := range c.cmds {
		if k <= index {
			idx = append(idx, k)
		}
	}
	slices.Sort(idx)
	var d uint64
	for _, k := range idx {
		d = digest(d, k, c.cmds[k])
	}
	return d
}
