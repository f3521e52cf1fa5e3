package raft

import (
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
)

// Log replication (§5.3) and the commit rule (§5.4.2).

// broadcastAppend sends every peer what it is missing, or a heartbeat.
func (n *Node) broadcastAppend(env sim.Env) {
	for _, p := range n.peers {
		n.sendAppend(env, p)
	}
}

// sendAppend sends peer the entries from its nextIndex on, or the snapshot if
// those entries were compacted away (§7).
func (n *Node) sendAppend(env sim.Env, peer sim.NodeID) {
	pr := n.progress[peer]
	if pr.next <= n.log.prevIndex {
		n.sendSnapshot(env, peer, pr)
		return
	}
	pr.snapIndex = 0 // it needs entries, not a snapshot
	if limit := n.cfg.MaxInflightAppends; limit > 0 && len(pr.inflight) >= limit && !pr.probing {
		return // the window is full: the next answer sends what has piled up
	}
	prev := pr.next - 1
	ents := limitBytes(n.log.from(pr.next, n.cfg.MaxEntriesPerAppend), n.cfg.MaxBytesPerAppend)
	// Not n.send: a leader's entries need not be durable on its own disk
	// before it sends them (thesis §10.2.1), so its disk write and the
	// followers' run in parallel. It counts its own log towards a majority
	// only once synced (maybeCommit). Its term and vote are durable
	// already: they were synced before it asked for votes.
	env.Send(peer, AppendEntries{
		Term:         n.term,
		PrevLogIndex: prev,
		PrevLogTerm:  n.log.term(prev),
		Entries:      ents,
		LeaderCommit: n.commitIndex,
	})
	if !pr.probing && len(ents) > 0 {
		pr.next = ents[len(ents)-1].Index + 1 // pipeline: assume it arrives
		if n.cfg.MaxInflightAppends > 0 {
			pr.inflight = append(pr.inflight, pr.next-1)
		}
	}
}

// sendHeartbeat sends peer what it is missing, as sendAppend does, or, when
// its window of messages in flight is full, an AppendEntries without
// entries: a heartbeat (§5.2) that also carries the commit index.
func (n *Node) sendHeartbeat(env sim.Env, peer sim.NodeID) {
	pr := n.progress[peer]
	if limit := n.cfg.MaxInflightAppends; limit > 0 && len(pr.inflight) >= limit && !pr.probing && pr.next > n.log.prevIndex {
		prev := pr.next - 1
		n.send(env, peer, AppendEntries{Term: n.term, PrevLogIndex: prev, PrevLogTerm: n.log.term(prev), LeaderCommit: n.commitIndex})
		return
	}
	n.sendAppend(env, peer)
}

func (n *Node) handleAppendEntries(env sim.Env, from sim.NodeID, m AppendEntries) {
	if n.role == Leader {
		// Two leaders in one term: impossible in a correct cluster (election
		// safety). Refuse rather than panic, so a checker can report it.
		env.Logf("SAFETY: %s also leads term %d", from, n.term)
		n.send(env, from, AppendEntriesReply{Term: n.term})
		return
	}
	if n.role != Follower {
		n.becomeFollower(env, n.term, from) // §5.2: a candidate recognises the leader
	}
	n.leader, n.leaderContact = from, env.Now()
	if len(m.Entries) > 0 || !n.bugs.timerNeedsEntries {
		n.resetElectionTimer(env)
	}

	prev, prevTerm, ents := m.PrevLogIndex, m.PrevLogTerm, m.Entries
	if prev < n.log.prevIndex {
		// Our log starts after the start of this message. Those entries
		// are behind our snapshot, so committed, so they match the
		// leader's: skip them.
		skip := min(n.log.prevIndex-prev, uint64(len(ents)))
		prev, prevTerm, ents = n.log.prevIndex, n.log.prevTerm, ents[skip:]
	}
	// §5.3: reject unless our log holds an entry at PrevLogIndex with
	// PrevLogTerm, and tell the leader where to look next.
	if prev > n.log.lastIndex() {
		n.send(env, from, AppendEntriesReply{Term: n.term, ConflictIndex: n.log.lastIndex() + 1})
		return
	}
	if t := n.log.term(prev); t != prevTerm {
		n.send(env, from, AppendEntriesReply{Term: n.term, ConflictTerm: t, ConflictIndex: n.log.firstIndexOfTerm(t)})
		return
	}
	// §5.3: delete an existing entry that conflicts with a new one (same
	// index, different term) and all that follow it; append the new ones.
	for i, e := range ents {
		if e.Index <= n.log.lastIndex() {
			if n.log.term(e.Index) == e.Term {
				continue // already have it
			}
			n.truncateFrom(env, e.Index)
		}
		n.appendFromLeader(env, ents[i:])
		break
	}
	last := prev + uint64(len(ents)) // index of the last new entry
	if m.LeaderCommit > n.commitIndex {
		n.commitIndex = max(n.commitIndex, min(m.LeaderCommit, last))
	}
	n.maybeRecovered(env)
	n.send(env, from, AppendEntriesReply{Term: n.term, Success: true, MatchIndex: last})
	n.applyCommitted(env)
}

// truncateFrom deletes entries i and after, in memory and on disk.
func (n *Node) truncateFrom(env sim.Env, i uint64) {
	if i <= n.commitIndex {
		n.violation(env, "truncating entry %d at or below commitIndex %d", i, n.commitIndex)
		n.commitIndex = i - 1
	}
	for j := i; j <= n.log.lastIndex(); j++ {
		env.Disk().Delete(entryKey(j))
	}
	n.log.truncateFrom(i)
	n.dirty = true
}

// appendFromLeader appends entries that follow our last one.
func (n *Node) appendFromLeader(env sim.Env, ents []Entry) {
	for i := range ents {
		env.Disk().Put(entryKey(ents[i].Index), encodeEntry(&ents[i]))
	}
	n.log.append(ents...)
	n.dirty = true
}

func (n *Node) handleAppendEntriesReply(env sim.Env, from sim.NodeID, m AppendEntriesReply) {
	pr := n.progress[from]
	if n.role != Leader || pr == nil {
		return
	}
	pr.active = true
	if m.Success {
		pr.probing = false
		k := 0
		for k < len(pr.inflight) && pr.inflight[k] <= m.MatchIndex {
			k++
		}
		pr.inflight = append(pr.inflight[:0], pr.inflight[k:]...)
		if m.MatchIndex > pr.match {
			pr.match = m.MatchIndex
			pr.next = max(pr.next, pr.match+1)
			n.maybeCommit(env)
		}
		if n.role == Leader && pr.next <= n.log.lastIndex() {
			n.sendAppend(env, from) // keep a lagging follower catching up
		}
		return
	}
	if m.ConflictIndex == 0 {
		return // refused outright: by another leader of this term (see handleAppendEntries)
	}
	// Accelerated log backtracking: skip the follower's whole conflicting
	// term in one step instead of one entry per round trip.
	next := m.ConflictIndex
	if m.ConflictTerm != 0 {
		if last, ok := n.log.lastIndexOfTerm(m.ConflictTerm); ok {
			next = last + 1
		}
	}
	next = max(next, pr.match+1) // a stale rejection never undoes a match
	if next < pr.next || !pr.probing {
		pr.next = min(next, pr.next)
		pr.probing, pr.inflight = true, pr.inflight[:0]
		n.sendAppend(env, from)
	}
}

// maybeCommit advances commitIndex to the highest index stored on a
// majority, but only if that entry is of the current term (§5.4.2): counting
// replicas of an entry from an earlier term is not enough, because a later
// leader may still overwrite it (Figure 8). Earlier entries commit together
// with the first entry of the current term.
func (n *Node) maybeCommit(env sim.Env) {
	// The leader's own copy counts towards the majority only once it is
	// durable. (With peers, the send of the entries has synced it already;
	// alone, nothing else would.)
	n.sync(env)
	matches := append(n.matchBuf[:0], n.log.lastIndex())
	for _, p := range n.peers {
		matches = append(matches, n.progress[p].match)
	}
	n.matchBuf = matches
	N := sortedDesc(matches)[n.quorum()-1]
	if N <= n.commitIndex {
		return
	}
	if n.log.term(N) != n.term && !n.bugs.commitByCountingOldTerms {
		return // Figure 8
	}
	n.commitIndex = N
	n.applyCommitted(env)
}

// applyCommitted hands committed entries to the state machine in log order
// and then compacts the log if it has grown past the threshold. No-op
// entries go to an Applier that implements rsm.NoopApplier, so a service
// can see every index (as 6.5840's services number commands); others see
// only commands, with gaps in the indexes. The command slice is the log's
// own (in the simulator, shared with other nodes' logs): the Applier must
// not modify it. The Applier may call Snapshot from Apply.
func (n *Node) applyCommitted(env sim.Env) {
	for n.lastApplied < n.commitIndex {
		n.lastApplied++
		e := n.log.entry(n.lastApplied)
		n.appliedBytes += len(e.Command)
		switch {
		case n.app == nil:
		case !e.Noop:
			n.app.Apply(env, e.Index, e.Command)
		default:
			if na, ok := n.app.(rsm.NoopApplier); ok {
				na.ApplyNoop(env, e.Index)
			}
		}
	}
	if n.incoming != nil && n.lastApplied >= n.incoming.index {
		n.discardIncoming(env) // caught up by entries: the partial snapshot is of no use
	}
	n.maybeCompact(env)
}
