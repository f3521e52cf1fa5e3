package raft

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Log compaction (§7) and InstallSnapshot in chunks (Figure 13).

// maybeCompact snapshots the state machine once more than SnapshotThreshold
// applied entries, or SnapshotThresholdBytes of applied commands, sit in the
// log after the last snapshot, and drops the entries behind it but for
// SnapshotTrailingEntries.
func (n *Node) maybeCompact(env sim.Env) {
	t, tb := n.cfg.SnapshotThreshold, n.cfg.SnapshotThresholdBytes
	due := (t > 0 && n.lastApplied-n.snapIndex > uint64(t)) || (tb > 0 && n.appliedBytes > tb)
	if !due || n.lastApplied <= n.snapIndex || n.lastApplied > n.log.lastIndex() {
		return // (lastApplied > lastIndex only after a NewBroken node lost applied entries)
	}
	if n.streamingSnapshot(env.Now()) {
		// A leader keeps the snapshot it is sending until the follower has
		// it: replacing it would restart the transfer, and a big snapshot
		// under a steady stream of writes would never arrive.
		return
	}
	var data []byte
	if n.app != nil {
		data = n.app.Snapshot()
	}
	i, term := n.lastApplied, n.log.term(n.lastApplied)
	n.saveSnapshot(env, i, term, data)
	// Keep up to SnapshotTrailingEntries entries behind the snapshot, and
	// (with SnapshotThresholdBytes) no more bytes of them than that: big
	// values must not pile up in memory behind every snapshot.
	b, size := i, 0
	for kept := 0; kept < n.cfg.SnapshotTrailingEntries && b > n.log.prevIndex; kept++ {
		c := len(n.log.entry(b).Command)
		if limit := n.cfg.SnapshotThresholdBytes; limit > 0 && size+c > limit {
			break
		}
		size += c
		b--
	}
	if b > n.log.prevIndex {
		n.compactLog(env, b)
	}
	env.Logf("snapshot at %d/%d (%d bytes), log kept from %d", i, term, len(data), n.log.prevIndex+1)
}

// saveSnapshot makes (index, term, data), the state machine's own snapshot,
// the node's snapshot, in memory and on disk: the pieces first, then the
// header that names them (see storage.go). The log is left alone.
func (n *Node) saveSnapshot(env sim.Env, index, term uint64, data []byte) {
	if in := n.incoming; in != nil && in.index <= index {
		n.discardIncoming(env) // we got there by ourselves, and its keys would be ours
	}
	d := env.Disk()
	chunk := n.cfg.SnapshotChunkSize
	for off := 0; off < len(data); off += chunk {
		d.Put(pieceKey(index, uint64(off)), data[off:min(off+chunk, len(data))])
	}
	n.commitSnapshot(env, index, term, uint64(len(data)), 0)
	n.snapshot = data
	n.appliedBytes = 0
}

// commitSnapshot writes the header that makes the snapshot at index, whose
// pieces are on disk already, the node's snapshot, and deletes the pieces
// of the one it replaces.
func (n *Node) commitSnapshot(env sim.Env, index, term, size uint64, flags byte) {
	d := env.Disk()
	d.Put(snapKey, encodeSnapHeader(snapHeader{index: index, term: term, size: size, flags: flags}))
	if n.snapIndex > 0 && n.snapIndex != index {
		for _, k := range keysWithPrefix(d, pieceDir(n.snapIndex)) {
			d.Delete(k)
		}
	}
	d.Delete(legacySnapshotKey)
	n.snapIndex, n.snapTerm = index, term
	n.dirty = true
}

// compactLog drops the entries up to and including i, which the log holds,
// on disk lowest first (so a crash leaves a contiguous log) and in memory.
func (n *Node) compactLog(env sim.Env, i uint64) {
	for j := n.log.prevIndex + 1; j <= i; j++ {
		env.Disk().Delete(entryKey(j))
	}
	n.log.compact(i, n.log.term(i))
	n.dirty = true
}

// discardIncoming forgets a snapshot partly received.
func (n *Node) discardIncoming(env sim.Env) {
	d := env.Disk()
	for _, k := range keysWithPrefix(d, pieceDir(n.incoming.index)) {
		d.Delete(k)
	}
	d.Delete(incomingKey)
	n.incoming = nil
	n.dirty = true
}

// streamingSnapshot reports whether this leader is sending its snapshot to
// a follower that answered within the last election timeout.
func (n *Node) streamingSnapshot(now time.Time) bool {
	if n.role != Leader {
		return false
	}
	for _, p := range n.peers {
		if pr := n.progress[p]; pr.snapIndex != 0 && now.Sub(pr.snapContact) < n.cfg.ElectionTimeout {
			return true
		}
	}
	return false
}

// snapshotWindow is how many chunks a leader sends ahead of the answers:
// enough to keep the follower busy storing one while the next travels.
const snapshotWindow = 4

// sendSnapshot sends peer the next chunks of our snapshot, up to
// snapshotWindow ahead of what it is known to hold, starting the transfer
// over if our snapshot is not the one it was receiving. Each answer says how
// much the follower holds, which moves the window on.
func (n *Node) sendSnapshot(env sim.Env, peer sim.NodeID, pr *progress) {
	if pr.snapIndex != n.snapIndex {
		pr.snapIndex, pr.snapOffset, pr.snapNext, pr.snapDoneSent = n.snapIndex, 0, 0, false
		pr.snapContact = time.Time{} // alive once the follower answers
		env.Logf("sending snapshot %d/%d (%d bytes) to %s", n.snapIndex, n.snapTerm, len(n.snapshot), peer)
	}
	size, chunk := uint64(len(n.snapshot)), uint64(n.cfg.SnapshotChunkSize)
	for !pr.snapDoneSent && pr.snapNext-pr.snapOffset < snapshotWindow*chunk {
		off := min(pr.snapNext, size)
		end := min(off+chunk, size)
		n.send(env, peer, InstallSnapshot{
			Term:              n.term,
			LastIncludedIndex: n.snapIndex,
			LastIncludedTerm:  n.snapTerm,
			Offset:            off,
			Data:              n.snapshot[off:end:end],
			Done:              end == size,
		})
		pr.snapNext, pr.snapDoneSent, pr.snapSentAt = end, end == size, env.Now()
	}
}

// handleInstallSnapshot is the receiver side of Figure 13. Chunks are
// stored on the Disk as they come, and the offset stored so far with them,
// so a follower that crashes mid-transfer resumes where it was. A chunk that
// does not start where the stored ones end (a duplicate, or one after a
// lost chunk) is not stored; the reply says where to continue.
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
	// (The InstallsStaleSnapshots bug of NewBroken skips this check.)
	if m.LastIncludedIndex <= n.commitIndex && !n.bugs.installStaleSnapshots {
		reply.Done = true // we already hold everything it covers
		n.send(env, from, reply)
		return
	}
	in := n.incoming
	if in == nil || in.index != m.LastIncludedIndex || in.term != m.LastIncludedTerm {
		if m.Offset != 0 {
			n.send(env, from, reply) // Offset 0: start from the beginning
			return
		}
		// Figure 13: create a new snapshot file if first chunk. A partial
		// one for another index is of no use any more.
		if in != nil {
			n.discardIncoming(env)
		}
		in = &incomingSnapshot{index: m.LastIncludedIndex, term: m.LastIncludedTerm}
		n.incoming = in
		env.Logf("receiving snapshot %d/%d from %s", in.index, in.term, from)
	}
	if m.Offset != in.offset {
		reply.Offset = in.offset
		n.send(env, from, reply)
		return
	}
	// Figure 13: write data into the snapshot file at the given offset.
	d := env.Disk()
	if len(m.Data) > 0 {
		d.Put(pieceKey(in.index, in.offset), m.Data)
		in.offset += uint64(len(m.Data))
	}
	d.Put(incomingKey, encodeIncoming(*in))
	n.dirty = true
	if !m.Done {
		// Figure 13: reply and wait for more data chunks if done is false.
		reply.Offset = in.offset
		n.send(env, from, reply)
		return
	}
	n.installSnapshot(env, *in)
	n.maybeRecovered(env)
	env.Logf("installed snapshot %d/%d from %s (%d bytes)", m.LastIncludedIndex, m.LastIncludedTerm, from, len(n.snapshot))
	reply.Done = true
	n.send(env, from, reply)
}

// installSnapshot makes the fully received snapshot in the node's. §7 and
// Figure 13: if the log holds the snapshot's last entry, the entries after
// it are kept; otherwise the snapshot replaces the whole log. Then the
// state machine is reset from it.
func (n *Node) installSnapshot(env sim.Env, in incomingSnapshot) {
	d := env.Disk()
	data, err := readPieces(d, keysWithPrefix(d, pieceDir(in.index)), in.index, in.offset)
	if err != nil || uint64(len(data)) != in.offset {
		// We wrote these keys ourselves, just now.
		panic(fmt.Sprintf("raft: %s: snapshot %d: %d of %d bytes on disk (%v)", n.id, in.index, len(data), in.offset, err))
	}
	keepTail := n.log.has(in.index, in.term)
	if keepTail {
		n.commitSnapshot(env, in.index, in.term, in.offset, 0)
		n.compactLog(env, in.index)
	} else {
		n.commitSnapshot(env, in.index, in.term, in.offset, flagDiscardLog)
		for j := n.log.prevIndex + 1; j <= n.log.lastIndex(); j++ {
			d.Delete(entryKey(j))
		}
		n.log = raftLog{prevIndex: in.index, prevTerm: in.term}
		d.Put(snapKey, encodeSnapHeader(snapHeader{index: in.index, term: in.term, size: in.offset}))
	}
	d.Delete(incomingKey)
	n.incoming = nil
	n.snapshot = data
	if n.app != nil {
		n.app.Restore(in.index, data)
	}
	n.commitIndex, n.lastApplied = in.index, in.index
	n.appliedBytes = 0
}

func (n *Node) handleInstallSnapshotReply(env sim.Env, from sim.NodeID, m InstallSnapshotReply) {
	pr := n.progress[from]
	if n.role != Leader || pr == nil {
		return
	}
	pr.active = true
	if m.Done {
		if m.LastIncludedIndex == pr.snapIndex {
			pr.snapIndex = 0
		}
		if m.LastIncludedIndex > pr.match {
			pr.match = m.LastIncludedIndex
			pr.probing = false
			pr.next = max(pr.next, pr.match+1)
			n.maybeCommit(env)
		}
		if n.role == Leader && pr.next <= n.log.lastIndex() {
			n.sendAppend(env, from)
		}
		return
	}
	if m.LastIncludedIndex != pr.snapIndex || pr.snapIndex != n.snapIndex {
		return // about a transfer we have given up
	}
	pr.snapContact = env.Now()
	switch {
	case m.Offset > pr.snapOffset && m.Offset <= pr.snapNext:
		pr.snapOffset = m.Offset // progress
	case m.Offset == pr.snapOffset && (pr.snapNext > m.Offset || pr.snapDoneSent):
		// A late copy of an answer, or the follower saw a gap (a chunk
		// lost): either the answers to what is in flight move us on, or
		// the resend after an election timeout does.
		return
	default:
		// The follower holds something else than we thought (it restarted,
		// or has none of this snapshot: Offset 0): go on from there.
		pr.snapOffset = min(m.Offset, uint64(len(n.snapshot)))
		pr.snapNext, pr.snapDoneSent = pr.snapOffset, false
	}
	n.sendSnapshot(env, from, pr)
}
