package raft

import (
	"fmt"
	"sort"
)

// raftLog is the in-memory log: a compaction boundary plus the entries after
// it. Index arithmetic lives here so the protocol code reads like the paper.
// The boundary is at or before the snapshot's index (Node.snapIndex): a node
// keeps SnapshotTrailingEntries entries behind its snapshot, so a follower a
// little behind can still be sent entries.
//
// Entries are never modified in place. Truncation caps the slice, so the next
// append copies to a fresh array, and compaction copies the survivors: an
// AppendEntries still in flight that aliases the old array keeps its entries.
type raftLog struct {
	prevIndex uint64 // index of the entry just before entries[0] (0: none); <= the snapshot's index
	prevTerm  uint64 // term of prevIndex
	// entries[i].Index == prevIndex+1+i; terms never decrease along the log.
	entries []Entry
}

func (l *raftLog) lastIndex() uint64 { return l.prevIndex + uint64(len(l.entries)) }

func (l *raftLog) lastTerm() uint64 {
	if len(l.entries) == 0 {
		return l.prevTerm
	}
	return l.entries[len(l.entries)-1].Term
}

// term is the term of entry i, for prevIndex <= i <= lastIndex.
func (l *raftLog) term(i uint64) uint64 {
	if i == l.prevIndex {
		return l.prevTerm
	}
	return l.entry(i).Term
}

// entry returns entry i, for prevIndex < i <= lastIndex.
func (l *raftLog) entry(i uint64) *Entry {
	if i <= l.prevIndex || i > l.lastIndex() {
		panic(fmt.Sprintf("raft: entry %d outside the log (%d, %d]", i, l.prevIndex, l.lastIndex()))
	}
	return &l.entries[i-l.prevIndex-1]
}

// has reports whether the log holds index i with term t, the boundary
// included.
func (l *raftLog) has(i, t uint64) bool {
	return i >= l.prevIndex && i <= l.lastIndex() && l.term(i) == t
}

// from returns up to max entries starting at index i (prevIndex < i). The
// result aliases the log; its capacity is capped so appending to it cannot
// overwrite the log.
func (l *raftLog) from(i uint64, max int) []Entry {
	if i > l.lastIndex() {
		return nil
	}
	lo := i - l.prevIndex - 1
	hi := min(uint64(len(l.entries)), lo+uint64(max))
	return l.entries[lo:hi:hi]
}

// limitBytes returns the longest prefix of es whose commands add up to at
// most maxBytes, but at least one entry.
func limitBytes(es []Entry, maxBytes int) []Entry {
	size := 0
	for i := range es {
		size += len(es[i].Command)
		if size > maxBytes && i > 0 {
			return es[:i:i]
		}
	}
	return es
}

func (l *raftLog) append(es ...Entry) { l.entries = append(l.entries, es...) }

// truncateFrom drops entries i and after.
func (l *raftLog) truncateFrom(i uint64) {
	k := i - l.prevIndex - 1
	l.entries = l.entries[:k:k]
}

// compact makes (i, t) the boundary: entries up to i are dropped,
// later ones kept if the log holds (i, t), all dropped otherwise (§7).
func (l *raftLog) compact(i, t uint64) {
	var keep []Entry
	if l.has(i, t) {
		// Room for as many entries as the log held, so it does not grow
		// from nothing again after every compaction.
		keep = make([]Entry, 0, len(l.entries))
		keep = append(keep, l.entries[i-l.prevIndex:]...)
	}
	l.prevIndex, l.prevTerm, l.entries = i, t, keep
}

// isUpToDate is the election restriction of §5.4.1: a log is at least as
// up to date as ours if its last term is higher, or equal with an index at
// least as long.
func (l *raftLog) isUpToDate(lastIndex, lastTerm uint64) bool {
	if lastTerm != l.lastTerm() {
		return lastTerm > l.lastTerm()
	}
	return lastIndex >= l.lastIndex()
}

// firstIndexOfTerm is the first index after the boundary whose term is t,
// given that the log holds some entry of term t. Terms never decrease along
// a log, so this is a binary search.
func (l *raftLog) firstIndexOfTerm(t uint64) uint64 {
	k := sort.Search(len(l.entries), func(k int) bool { return l.entries[k].Term >= t })
	return l.prevIndex + 1 + uint64(k)
}

// lastIndexOfTerm is the last index after the boundary whose term is t, and
// false if no entry there has term t.
func (l *raftLog) lastIndexOfTerm(t uint64) (uint64, bool) {
	k := sort.Search(len(l.entries), func(k int) bool { return l.entries[k].Term > t })
	if k == 0 || l.entries[k-1].Term != t {
		return 0, false
	}
	return l.prevIndex + uint64(k), true
}
