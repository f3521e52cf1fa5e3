// Package raft is your Raft. Fill in the TODOs, part by part (see
// README.md): A leader election, B log replication, C persistence, D log
// compaction. The grader is in raft_test.go; `go test -run TestRaftA` runs
// part A.
//
// The one rule: your node reacts to one event at a time and touches the
// world only through env. Never start a goroutine, never call time.Now or
// time.Sleep, never use the global math/rand (use env.Rand()), and never let
// the order of a map iteration decide anything (sort the keys). Then the
// same seed gives the same run, and a failure replays exactly.
package raft

import (
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
)

// Raft is one Raft server.
type Raft struct {
	cfg raft.Config // election timeout, heartbeat interval, PreVote, SnapshotThreshold
	app rsm.Applier // where committed commands go, in log order
	id  sim.NodeID

	// Persistent state on all servers (Figure 2). Write it to env.Disk()
	// and call env.Disk().Sync() before you send anything that depends
	// on it: a crash loses what was not synced.
	term     uint64     // currentTerm; never decreases
	votedFor sim.NodeID // candidate voted for in term, "" if none
	log      []Entry    // log[0] is index 1 (until part D: then after the snapshot)

	// Volatile state on all servers (Figure 2).
	role        raft.Role
	leader      sim.NodeID
	commitIndex uint64
	lastApplied uint64

	// TODO: volatile state on leaders (nextIndex, matchIndex), timers,
	// votes received in the current election, the snapshot (part D).
}

// New returns a Raft server that applies committed commands to app. The
// grader calls it at every boot of every node: a restart builds a fresh
// value, so everything that must survive a crash lives on env.Disk().
func New(cfg raft.Config, app rsm.Applier) raft.Implementation {
	return &Raft{cfg: cfg, app: app}
}

// Start boots the node, and boots it again after every crash.
func (r *Raft) Start(env sim.Env) {
	r.id = env.ID()
	r.role = raft.Follower
	env.Logf("booted as a follower in term %d", r.term)
	// TODO (A): arm the election timer: env.SetTimer(timeout, electionTimeout{...}),
	// with a random timeout between cfg.ElectionTimeout and twice that
	// (env.Rand()).
	// TODO (C): read term, votedFor and the log back from env.Disk().
	// TODO (D): restore the snapshot (r.app.Restore) before anything else.
}

// Receive handles one message from a peer, or a timer this node set
// (from == env.ID()).
func (r *Raft) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case electionTimeout:
		// TODO (A): start an election (§5.2): term+1, vote for yourself,
		// send RequestVote to env.Peers().
		_ = m
	case heartbeatTick:
		// TODO (A): a leader sends AppendEntries to every peer.
	case RequestVote:
		// TODO (A): settle the term first (a newer term makes you a
		// follower), then grant at most one vote per term, only to a
		// candidate whose log is at least as up to date as yours (§5.4.1).
	case RequestVoteReply:
		// TODO (A): count votes of this term only; a majority makes you
		// leader. Append a no-op entry of your term (Noop: true).
	case AppendEntries:
		// TODO (A, B): recognise the leader, reset the election timer,
		// check PrevLogIndex/PrevLogTerm, append, advance commitIndex and
		// apply (r.app.Apply(env, index, command)).
	case AppendEntriesReply:
		// TODO (B): advance matchIndex and commitIndex (§5.3, §5.4.2: only
		// entries of the current term are committed by counting).
	case InstallSnapshot:
		// TODO (D)
	case InstallSnapshotReply:
		// TODO (D)
	default:
		env.Logf("ignoring %T from %s", msg, from)
	}
}

// Propose appends cmd to the log if this node leads, and returns its index
// and ok=true; otherwise ok=false and its best guess at the leader.
func (r *Raft) Propose(env sim.Env, cmd []byte) (index uint64, ok bool, leader sim.NodeID) {
	// TODO (B)
	return 0, false, r.leader
}

// Status reports the node's state to the grader, which checks it after
// every step: terms never go down, one vote per term, a leader holds a
// majority of its own term's votes, committed entries never change.
// Report the truth: VotedFor in Term, your log after the snapshot.
func (r *Raft) Status() raft.Status {
	return raft.Status{
		ID: r.id, Role: r.role, Term: r.term, VotedFor: r.votedFor, Leader: r.leader,
		Log: r.log, CommitIndex: r.commitIndex, LastApplied: r.lastApplied,
		// TODO (D): SnapshotIndex, SnapshotTerm.
	}
}
