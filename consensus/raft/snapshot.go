package raft

import "github.com/dsimlab/dsim/sim"

// Log compaction (§7).

// maybeCompact snapshots the state machine and drops the applied entries
// once more than SnapshotThreshold of them sit in the log.
func (n *Node) maybeCompact(env sim.Env) {
	t := n.cfg.SnapshotThreshold
	if t == 0 || n.lastApplied-n.log.snapIndex <= uint64(t) || n.lastApplied > n.log.lastIndex() {
		return // (lastApplied > lastIndex only after a NewBroken node lost applied entries)
	}
	var data []byte
	if n.app != nil {
		data = n.app.Snapshot()
	}
	i, term := n.lastApplied, n.log.term(n.lastApplied)
	n.saveSnapshot(env, i, term, data)
	env.Logf("snapshot at %d/%d (%d bytes)", i, term, len(data))
}

// saveSnapshot makes (index, term, data) the snapshot, in memory and on
// disk, and drops the log entries it covers (keeping later ones if the log
// holds (index, term)). The snapshot record is written before the entries
// are deleted, and names its own boundary, so a crash in between loses
// nothing.
func (n *Node) saveSnapshot(env sim.Env, index, term uint64, data []byte) {
	d := env.Disk()
	d.Put(snapshotKey, encodeSnapshot(index, term, data))
	keepTail := n.log.has(index, term)
	last := n.log.lastIndex()
	for j := n.log.snapIndex + 1; j <= last; j++ {
		if j <= index || !keepTail {
			d.Delete(entryKey(j))
		}
	}
	n.log.compact(index, term)
	n.snapshot = data
	n.dirty = true
}

// sendSnapshot sends the whole snapshot in one message (no chunking).
func (n *Node) sendSnapshot(env sim.Env, peer sim.NodeID, pr *progress) {
	if pr.snapshotSent {
		return
	}
	pr.snapshotSent = true
	n.send(env, peer, InstallSnapshot{
		Term:              n.term,
		LastIncludedIndex: n.log.snapIndex,
		LastIncludedTerm:  n.log.snapTerm,
		Data:              n.snapshot,
	})
}

func (n *Node) handleInstallSnapshot(env sim.Env, from sim.NodeID, m InstallSnapshot) {
	if n.role == Leader {
		env.Logf("SAFETY: %s also leads term %d", from, n.term)
		return
	}
	if n.role != Follower {
		n.becomeFollower(env, n.term, from)
	}
	n.leader, n.leaderContact = from, env.Now()
	n.resetElectionTimer(env)
	reply := InstallSnapshotReply{Term: n.term, LastIncludedIndex: m.LastIncludedIndex}
	if m.LastIncludedIndex <= n.commitIndex {
		n.send(env, from, reply) // we already hold everything it covers
		return
	}
	// §7: keep the entries after the snapshot if our log agrees with it at
	// its last index; otherwise the snapshot replaces the whole log.
	n.saveSnapshot(env, m.LastIncludedIndex, m.LastIncludedTerm, m.Data)
	if n.app != nil {
		n.app.Restore(m.LastIncludedIndex, m.Data)
	}
	n.commitIndex, n.lastApplied = m.LastIncludedIndex, m.LastIncludedIndex
	env.Logf("installed snapshot %d/%d from %s", m.LastIncludedIndex, m.LastIncludedTerm, from)
	n.maybeRecovered(env)
	n.send(env, from, reply)
}

func (n *Node) handleInstallSnapshotReply(env sim.Env, from sim.NodeID, m InstallSnapshotReply) {
	pr := n.progress[from]
	if n.role != Leader || pr == nil {
		return
	}
	pr.active = true
	pr.snapshotSent = false
	if m.LastIncludedIndex > pr.match {
		pr.match = m.LastIncludedIndex
		pr.probing = false
		pr.next = max(pr.next, pr.match+1)
		n.maybeCommit(env)
	}
	if n.role == Leader && pr.next <= n.log.lastIndex() {
		n.sendAppend(env, from)
	}
}
