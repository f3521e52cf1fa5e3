package raft

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
)

// Node is one Raft server. It is a sim.Node: every input (a message, a timer)
// arrives through Receive and every output leaves through the Env, so it runs
// unchanged in the simulator and over TCP.
type Node struct {
	cfg  Config
	app  rsm.Applier // may be nil: then nothing is applied and snapshots are empty
	bugs testingKnobs

	id    sim.NodeID
	peers []sim.NodeID // the other members, sorted

	// Persistent state on all servers (Figure 2). Changes are written to the
	// Disk at once and synced before the next message leaves (see send).
	term     uint64     // currentTerm: latest term seen; never decreases
	votedFor sim.NodeID // candidate that received our vote in term, "" if none
	log      raftLog    // log[] after a compaction boundary at or behind the snapshot
	dirty    bool       // disk writes not yet synced
	// lostWrites: the disk lost writes it had synced (sim.LostWritesKey,
	// put there by a live node's --salvage), so this node may have
	// forgotten entries it acknowledged and votes it cast. Until a leader
	// of the current term has given it an entry of that term (then, by Log
	// Matching, its log holds everything committed before that term), it
	// grants no vote and starts no election: its vote could elect a leader
	// missing an entry whose majority counted this node (§5.4.1).
	lostWrites bool

	// The snapshot (§7): the state machine after applying entries 1 to
	// snapIndex. log.prevIndex <= snapIndex <= lastApplied: the log keeps up
	// to SnapshotTrailingEntries entries behind it.
	snapIndex, snapTerm uint64
	snapshot            []byte // never modified, only replaced
	// incoming is a snapshot this follower is receiving in chunks
	// (Figure 13), nil if none; incoming.index > commitIndex.
	incoming *incomingSnapshot

	// Volatile state on all servers (Figure 2).
	role        Role
	leader      sim.NodeID // leader of term as far as we know, "" if unknown
	commitIndex uint64     // highest index known committed; snapIndex <= commitIndex <= log.lastIndex()
	lastApplied uint64     // highest index applied; snapIndex <= lastApplied <= commitIndex
	// appliedBytes adds up the commands applied since the last snapshot
	// (since the start, after a restart): SnapshotThresholdBytes' measure.
	appliedBytes int

	// Timers. epoch grows at every role change; a timer carries the epoch it
	// was set in, so one left over from an earlier role is ignored.
	epoch            uint64
	electionTimer    sim.TimerID // pending electionTimeout, 0 if none
	heartbeatTimer   sim.TimerID // pending heartbeatTick (leader only), 0 if none
	electionDeadline time.Time   // follower and candidates: campaign when the timer fires at or after this
	leaderContact    time.Time   // when we last heard from the leader of term

	// State of a (pre-)candidate: who granted us a vote in this election,
	// ourselves included. Reset by becomePreCandidate and becomeCandidate.
	votes map[sim.NodeID]bool

	// Volatile state on leaders (Figure 2), reinitialised by becomeLeader.
	progress map[sim.NodeID]*progress
	matchBuf []uint64 // scratch for maybeCommit, reused to avoid allocations
}

// progress is what a leader knows about one follower: Figure 2's nextIndex
// and matchIndex, plus flow control in the style of etcd's tracker.
type progress struct {
	next  uint64 // nextIndex: next entry to send; match < next
	match uint64 // matchIndex: highest index known to be replicated there
	// probing is true until the follower's log is known to match at next-1.
	// While probing the leader sends one batch and waits for the answer;
	// afterwards it pipelines, advancing next as soon as it sends.
	probing bool
	// inflight holds, in increasing order, the last index of each
	// AppendEntries pipelined and not yet answered: at most
	// MaxInflightAppends. An answer frees those at or below its match.
	// While the window is full a heartbeat carries no entries (an answer
	// to it frees the window if an earlier answer was lost; a rejection,
	// if the entries were).
	inflight []uint64
	// snapIndex is the index of the snapshot being sent in chunks (0: none).
	// snapOffset is how many of its bytes the follower is known to hold,
	// snapNext where the next chunk starts: snapOffset <= snapNext, and the
	// bytes between are in flight, at most snapshotWindow chunks.
	// snapDoneSent is true once the last chunk went out. snapContact is
	// when the follower last answered (a leader keeps its snapshot while a
	// transfer is alive); snapSentAt when a chunk last went out: after an
	// election timeout without an answer the leader sends again from
	// snapOffset.
	snapIndex, snapOffset, snapNext uint64
	snapDoneSent                    bool
	snapContact, snapSentAt         time.Time
	// active records a message from the follower since the last CheckQuorum.
	active bool
}

// New returns a Raft node that applies committed commands to app (nil: apply
// nothing). It panics if cfg.Validate fails: check a configuration that comes
// from users with Validate first.
func New(cfg Config, app rsm.Applier) *Node {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return &Node{cfg: cfg.withDefaults(), app: app}
}

// Start boots the node, and reboots it after a crash: it recovers term, vote,
// log and snapshot from the Disk, restores the snapshot into the state
// machine before anything else, and starts as a follower. Committed entries
// after the snapshot are applied again once a leader says what is committed.
func (n *Node) Start(env sim.Env) {
	n.id = env.ID()
	n.peers = env.Peers()
	p, err := loadState(env.Disk())
	if err != nil {
		panic(fmt.Sprintf("raft: %s cannot recover: %v", n.id, err))
	}
	n.term, n.votedFor, n.log = p.Term, p.VotedFor, p.log
	n.snapIndex, n.snapTerm, n.snapshot, n.incoming = p.snapIndex, p.snapTerm, p.snapshot, p.incoming
	if len(p.garbage) > 0 || p.clearFlags {
		// Left over by a crash in the middle of a change (see storage.go).
		for _, k := range p.garbage {
			env.Disk().Delete(k)
		}
		if p.clearFlags {
			env.Disk().Put(snapKey, encodeSnapHeader(snapHeader{index: n.snapIndex, term: n.snapTerm, size: uint64(len(n.snapshot))}))
		}
		n.dirty = true
	}
	if n.snapIndex > 0 && n.app != nil {
		n.app.Restore(n.snapIndex, n.snapshot)
	}
	n.commitIndex, n.lastApplied = n.snapIndex, n.snapIndex
	if n.term > 0 {
		env.Logf("recovered term %d, vote %q, snapshot at %d/%d, log from %d to %d",
			n.term, n.votedFor, n.snapIndex, n.snapTerm, n.log.prevIndex+1, n.log.lastIndex())
	}
	if in := n.incoming; in != nil {
		env.Logf("resuming snapshot %d/%d after %d bytes", in.index, in.term, in.offset)
	}
	if why, lost := env.Disk().Get(sim.LostWritesKey); lost {
		n.lostWrites = true
		env.Logf("the disk lost acknowledged writes (%s): no votes and no elections until a leader brings this node up to date", why)
	}
	n.becomeFollower(env, n.term, "")
}

// Receive handles one message or timer. It first settles the term (§5.1:
// a newer term makes us a follower, an older one is answered with ours and
// otherwise ignored), then hands the message to its handler.
func (n *Node) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case electionTimeout:
		n.onElectionTimeout(env, m)
		return
	case heartbeatTick:
		n.onHeartbeatTick(env, m)
		return
	}
	term, ok := termOf(msg)
	if !ok {
		env.Logf("ignoring %s from %s: not a Raft message", sim.MessageString(msg), from)
		return
	}
	switch {
	case term > n.term:
		switch m := msg.(type) {
		case RequestVote:
			if n.cfg.CheckQuorum && !m.PreVote && n.inLease(env.Now()) {
				// Thesis §4.2.3: a server that heard from a leader within the
				// election timeout does not let a candidate depose it.
				env.Logf("ignoring %s from %s: leader %s is alive", m, from, n.leader)
				return
			}
			if m.PreVote {
				break // a pre-vote changes no one's term (thesis §9.6)
			}
			n.becomeFollower(env, term, "")
		case RequestVoteReply:
			if m.PreVote && m.VoteGranted {
				break // carries the term we would campaign in, not a newer one
			}
			n.becomeFollower(env, term, "")
		case AppendEntries, InstallSnapshot:
			n.becomeFollower(env, term, from)
		default:
			n.becomeFollower(env, term, "")
		}
	case term < n.term:
		if _, ok := msg.(AppendEntries); ok && n.bugs.staleHeartbeatsReset && n.role != Leader {
			n.resetElectionTimer(env) // the bug: a stale leader keeps us waiting
		}
		if m, ok := msg.(RequestVoteReply); ok && n.bugs.countStaleVotes {
			n.handleRequestVoteReply(env, from, m) // the bug: a stale vote is counted
			return
		}
		n.rejectStale(env, from, msg)
		return
	}

	switch m := msg.(type) {
	case RequestVote:
		n.handleRequestVote(env, from, m)
	case RequestVoteReply:
		n.handleRequestVoteReply(env, from, m)
	case AppendEntries:
		n.handleAppendEntries(env, from, m)
	case AppendEntriesReply:
		n.handleAppendEntriesReply(env, from, m)
	case InstallSnapshot:
		n.handleInstallSnapshot(env, from, m)
	case InstallSnapshotReply:
		n.handleInstallSnapshotReply(env, from, m)
	}
}

// rejectStale answers a request from an older term with our term, so a
// deposed leader or a stale candidate learns it is behind. Stale replies are
// dropped.
func (n *Node) rejectStale(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case RequestVote:
		n.send(env, from, RequestVoteReply{Term: n.term, PreVote: m.PreVote})
	case AppendEntries:
		n.send(env, from, AppendEntriesReply{Term: n.term})
	case InstallSnapshot:
		n.send(env, from, InstallSnapshotReply{Term: n.term})
	}
}

// Role changes happen here and nowhere else. Each one logs a line, resets
// the timers and panics on a transition Raft does not have.

func (n *Node) becomeFollower(env sim.Env, term uint64, leader sim.NodeID) {
	if term < n.term {
		panic(fmt.Sprintf("raft: %s: term would go back from %d to %d", n.id, n.term, term))
	}
	if term > n.term {
		n.term, n.votedFor = term, ""
		if !n.bugs.lazyTerm {
			n.saveMeta(env)
		}
	}
	n.role, n.leader = Follower, leader
	n.votes, n.progress = nil, nil
	if leader != "" {
		n.leaderContact = env.Now()
	}
	n.resetTimers(env)
	if leader != "" {
		env.Logf("became follower in term %d (leader %s)", n.term, leader)
	} else {
		env.Logf("became follower in term %d", n.term)
	}
}

func (n *Node) becomePreCandidate(env sim.Env) {
	if n.role == Leader {
		panic(fmt.Sprintf("raft: %s: invalid transition [leader -> pre-candidate]", n.id))
	}
	n.role, n.leader = PreCandidate, ""
	n.votes = map[sim.NodeID]bool{n.id: true}
	n.resetTimers(env)
	env.Logf("became pre-candidate in term %d (asking for term %d)", n.term, n.term+1)
	n.requestVotes(env, true)
}

func (n *Node) becomeCandidate(env sim.Env) {
	if n.role == Leader {
		panic(fmt.Sprintf("raft: %s: invalid transition [leader -> candidate]", n.id))
	}
	// §5.2: increment currentTerm, vote for self, reset the election timer,
	// send RequestVote to all other servers.
	n.term++
	n.votedFor = n.id
	n.saveMeta(env)
	n.role, n.leader = Candidate, ""
	n.votes = map[sim.NodeID]bool{n.id: true}
	n.resetTimers(env)
	env.Logf("became candidate in term %d", n.term)
	n.requestVotes(env, false)
}

func (n *Node) becomeLeader(env sim.Env) {
	if n.role != Candidate {
		panic(fmt.Sprintf("raft: %s: invalid transition [%s -> leader]", n.id, n.role))
	}
	n.role, n.leader = Leader, n.id
	n.votes = nil
	// Figure 2: nextIndex starts just after our last entry, matchIndex at 0.
	n.progress = make(map[sim.NodeID]*progress, len(n.peers))
	for _, p := range n.peers {
		n.progress[p] = &progress{next: n.log.lastIndex() + 1, probing: true}
	}
	n.resetTimers(env)
	env.Logf("became leader in term %d", n.term)
	// A new leader appends a no-op entry of its own term (§8). Entries of
	// earlier terms can only be committed together with an entry of the
	// current term (§5.4.2), so without it they would wait for the next
	// client command; and a leader that has committed an entry of its term
	// knows its commitIndex is current, which is what makes reads safe.
	n.appendEntry(env, Entry{Noop: true})
	n.broadcastAppend(env)
	n.maybeCommit(env) // a one-node cluster commits on its own
}

// resetTimers cancels the timers of the old role and arms those of the new:
// the election timer always (on a leader it is the CheckQuorum timer, if
// CheckQuorum is on), the heartbeat timer on a leader.
func (n *Node) resetTimers(env sim.Env) {
	n.epoch++
	if n.electionTimer != 0 {
		env.CancelTimer(n.electionTimer)
		n.electionTimer = 0
	}
	if n.heartbeatTimer != 0 {
		env.CancelTimer(n.heartbeatTimer)
		n.heartbeatTimer = 0
	}
	if n.role == Leader {
		n.heartbeatTimer = env.SetTimer(n.cfg.HeartbeatInterval, heartbeatTick{Epoch: n.epoch})
		if n.cfg.CheckQuorum {
			n.electionTimer = env.SetTimer(n.cfg.ElectionTimeout, electionTimeout{Epoch: n.epoch})
		}
		return
	}
	n.resetElectionTimer(env)
}

// resetElectionTimer pushes the election deadline a fresh random timeout
// into the future (§5.2). Heartbeats do this often, so it moves a deadline
// instead of cancelling and setting a timer each time: the pending timer,
// when it fires early, just sets itself again for the rest.
func (n *Node) resetElectionTimer(env sim.Env) {
	et := n.cfg.ElectionTimeout
	d := et + time.Duration(env.Rand().Int64N(int64(et)))
	n.electionDeadline = env.Now().Add(d)
	if n.electionTimer == 0 {
		n.electionTimer = env.SetTimer(d, electionTimeout{Epoch: n.epoch})
	}
}

func (n *Node) onElectionTimeout(env sim.Env, m electionTimeout) {
	if m.Epoch != n.epoch {
		return // set in an earlier role
	}
	n.electionTimer = 0
	if n.role == Leader {
		n.checkQuorum(env)
		return
	}
	if now := env.Now(); now.Before(n.electionDeadline) {
		n.electionTimer = env.SetTimer(n.electionDeadline.Sub(now), electionTimeout{Epoch: n.epoch})
		return
	}
	if n.lostWrites {
		env.Logf("not campaigning in term %d: this node lost writes and waits for a leader", n.term+1)
		n.resetElectionTimer(env)
		return
	}
	n.campaign(env)
}

// campaign starts an election, with a pre-vote first if PreVote is on.
func (n *Node) campaign(env sim.Env) {
	if n.cfg.PreVote {
		n.becomePreCandidate(env)
	} else {
		n.becomeCandidate(env)
	}
}

func (n *Node) onHeartbeatTick(env sim.Env, m heartbeatTick) {
	if m.Epoch != n.epoch || n.role != Leader {
		return
	}
	now := env.Now()
	for _, p := range n.peers {
		if pr := n.progress[p]; pr.snapNext > pr.snapOffset || pr.snapDoneSent {
			if now.Sub(pr.snapSentAt) >= n.cfg.ElectionTimeout {
				// Unanswered for an election timeout: lost, it seems.
				pr.snapNext, pr.snapDoneSent = pr.snapOffset, false
			}
		}
	}
	for _, p := range n.peers {
		n.sendHeartbeat(env, p)
	}
	n.heartbeatTimer = env.SetTimer(n.cfg.HeartbeatInterval, heartbeatTick{Epoch: n.epoch})
}

// checkQuorum runs on a leader once per election timeout: a leader that has
// not heard from a majority in that time steps down, so a leader cut off
// from the cluster stops accepting commands it could never commit (thesis
// §6.2).
func (n *Node) checkQuorum(env sim.Env) {
	heard := 1 // ourselves
	for _, p := range n.peers {
		pr := n.progress[p]
		if pr.active {
			heard++
		}
		pr.active = false
	}
	if heard < n.quorum() {
		env.Logf("heard from %d of %d within the election timeout: stepping down", heard, len(n.peers)+1)
		n.becomeFollower(env, n.term, "")
		return
	}
	n.electionTimer = env.SetTimer(n.cfg.ElectionTimeout, electionTimeout{Epoch: n.epoch})
}

// inLease reports whether we are, or heard from, a leader of the current term
// within the last election timeout.
func (n *Node) inLease(now time.Time) bool {
	if n.role == Leader {
		return true
	}
	return n.leader != "" && now.Sub(n.leaderContact) < n.cfg.ElectionTimeout
}

func (n *Node) quorum() int { return (len(n.peers)+1)/2 + 1 }

// send is the only way a message leaves the node, and it first makes every
// disk write durable: a vote, a new term or an appended entry must survive
// a crash before anyone is told about it (Figure 2: "updated on stable
// storage before responding to RPCs"). The one other place that syncs is
// maybeCommit, where the leader counts its own log.
func (n *Node) send(env sim.Env, to sim.NodeID, msg sim.Message) {
	n.sync(env)
	env.Send(to, msg)
}

// sync makes every disk write so far durable.
func (n *Node) sync(env sim.Env) {
	if n.dirty {
		env.Disk().Sync()
		n.dirty = false
	}
}

func (n *Node) saveMeta(env sim.Env) {
	m := meta{Term: n.term, VotedFor: n.votedFor}
	if n.bugs.forgetVotedFor {
		m.VotedFor = "" // the bug: the vote is not written down
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // a struct of a number and a string always marshals
	}
	env.Disk().Put(metaKey, b)
	n.dirty = true
}

// Propose appends cmd to the log if this node is the leader and starts
// replicating it at once, without waiting for the next heartbeat. ok=true
// means appended, not committed: the command is applied when it commits, and
// may still be lost if leadership changes first. A follower returns its best
// guess at the leader.
func (n *Node) Propose(env sim.Env, cmd []byte) (index uint64, ok bool, leader sim.NodeID) {
	if n.role != Leader {
		return 0, false, n.leader
	}
	// Our own copy: the caller may reuse cmd.
	index = n.appendEntry(env, Entry{Command: append(make([]byte, 0, len(cmd)), cmd...)})
	n.broadcastAppend(env)
	n.maybeCommit(env)
	return index, true, n.id
}

// appendEntry appends e (a command or a no-op) as a new entry of the
// current term to the leader's log and writes it to disk.
func (n *Node) appendEntry(env sim.Env, e Entry) uint64 {
	e.Index, e.Term = n.log.lastIndex()+1, n.term
	n.log.append(e)
	env.Disk().Put(entryKey(e.Index), encodeEntry(&e))
	n.dirty = true
	return e.Index
}

// Status is a node's state for tools and graders.
type Status struct {
	ID       sim.NodeID
	Role     Role
	Term     uint64
	VotedFor sim.NodeID
	Leader   sim.NodeID

	SnapshotIndex, SnapshotTerm uint64
	// Log holds the entries after the snapshot (the node may keep a few
	// behind it too; they are not shown). It aliases the node's memory:
	// callers must not modify it.
	Log []Entry

	CommitIndex, LastApplied uint64
}

// Status reports the node's state without copying the log.
func (n *Node) Status() Status {
	return Status{
		ID: n.id, Role: n.role, Term: n.term, VotedFor: n.votedFor, Leader: n.leader,
		SnapshotIndex: n.snapIndex, SnapshotTerm: n.snapTerm,
		Log:         n.log.from(n.snapIndex+1, len(n.log.entries)),
		CommitIndex: n.commitIndex, LastApplied: n.lastApplied,
	}
}

// Inspect describes the node for the TUI and traces. "log" shows the last
// few entries as index:term.
func (n *Node) Inspect() map[string]string {
	const tail = 8
	es := n.log.entries[max(0, len(n.log.entries)-tail):]
	b := make([]byte, 0, 8*len(es))
	if len(es) < len(n.log.entries) || n.log.prevIndex > 0 {
		b = append(b, "… "...)
	}
	for i, e := range es {
		if i > 0 {
			b = append(b, ' ')
		}
		b = fmt.Appendf(b, "%d:%d", e.Index, e.Term)
	}
	out := map[string]string{
		"role":     n.role.String(),
		"term":     fmt.Sprint(n.term),
		"votedFor": string(n.votedFor),
		"leader":   string(n.leader),
		"commit":   fmt.Sprint(n.commitIndex),
		"applied":  fmt.Sprint(n.lastApplied),
		"snapshot": fmt.Sprintf("%d/%d", n.snapIndex, n.snapTerm),
		"log":      string(b),
	}
	if n.lostWrites {
		out["lostWrites"] = "waiting for a leader"
	}
	return out
}

// maybeRecovered ends lostWrites once our log holds an entry of the current
// leader's term: by Log Matching it then agrees with the leader's up to
// there, which holds every entry committed before this term (§5.4).
func (n *Node) maybeRecovered(env sim.Env) {
	if !n.lostWrites || n.log.lastTerm() != n.term || n.leader == "" {
		return
	}
	n.lostWrites = false
	env.Disk().Delete(sim.LostWritesKey)
	n.dirty = true
	env.Logf("caught up from leader %s in term %d (log up to %d): voting again", n.leader, n.term, n.log.lastIndex())
}

// Implementation is what the Raft scenario suite grades: this package's Node
// or a student's Raft.
type Implementation interface {
	rsm.Replica
	Status() Status
}

var (
	_ Implementation = (*Node)(nil)
	_ sim.Inspector  = (*Node)(nil)
)

// sortedDesc sorts xs in decreasing order in place.
func sortedDesc(xs []uint64) []uint64 {
	slices.Sort(xs)
	slices.Reverse(xs)
	return xs
}
