package raft

import (
	"fmt"
	"strconv"
)

// Entry is one slot of the replicated log: a client's command, or (Noop)
// the entry a new leader appends to commit what earlier terms left (§8).
// A no-op is marked by Noop, not by a nil Command: an empty command is a
// command (and encoders such as gob turn empty into nil). Appliers see a
// no-op only if they implement rsm.NoopApplier.
type Entry struct {
	Index   uint64
	Term    uint64 // term of the leader that created the entry
	Command []byte // nil for a no-op
	Noop    bool   `json:",omitempty"`
}

// The RPCs of Figure 2, one struct per message. The paper's candidateId and
// leaderId are not fields: every Receive is told who sent the message.
//
// All messages are plain values with exported fields, so they print in traces
// and cross a real network as JSON. A message's slices (Entries, Data) may
// alias the sender's memory: receivers never modify them.

// RequestVote is sent by candidates to gather votes (§5.2), and by
// pre-candidates, with PreVote set, to learn whether they could win (thesis
// §9.6). A pre-vote carries the term the sender would campaign in and
// changes no one's term or vote.
type RequestVote struct {
	Term         uint64 // candidate's term (for a pre-vote: its term + 1)
	LastLogIndex uint64 // index of candidate's last log entry (§5.4.1)
	LastLogTerm  uint64 // term of candidate's last log entry (§5.4.1)
	PreVote      bool
}

// RequestVoteReply answers a RequestVote.
type RequestVoteReply struct {
	Term        uint64 // voter's current term (for a granted pre-vote: the term asked for)
	VoteGranted bool
	PreVote     bool // answers a pre-vote
}

// AppendEntries is sent by the leader to replicate entries (§5.3) and, with
// no entries, as a heartbeat (§5.2).
type AppendEntries struct {
	Term         uint64
	PrevLogIndex uint64 // index of the entry just before Entries
	PrevLogTerm  uint64 // its term: the follower's log must match here
	Entries      []Entry
	LeaderCommit uint64 // leader's commitIndex
}

// AppendEntriesReply answers an AppendEntries. Besides the paper's fields it
// says how far the follower's log now matches (the leader may have sent
// several messages; replies can be reordered), and on a rejection where to
// look next: the accelerated log backtracking of MIT 6.5840, a form of the
// optimisation sketched at the end of §5.3.
type AppendEntriesReply struct {
	Term    uint64
	Success bool
	// MatchIndex, on success, is the last index known to match the leader's log.
	MatchIndex uint64
	// ConflictTerm, on a rejection, is the term of the follower's entry at
	// PrevLogIndex, or 0 if its log is too short to have one.
	ConflictTerm uint64
	// ConflictIndex, on a rejection, is the first index of ConflictTerm in
	// the follower's log, or its last index + 1 if ConflictTerm is 0.
	ConflictIndex uint64
}

// InstallSnapshot is sent by the leader to a follower that needs entries the
// leader has already compacted away (§7). The snapshot travels in chunks,
// as in Figure 13: Data holds the bytes from Offset on, and Done marks the
// last chunk. A snapshot of any size is a stream of small messages.
type InstallSnapshot struct {
	Term              uint64
	LastIncludedIndex uint64 // the snapshot replaces all entries up to and including this index
	LastIncludedTerm  uint64 // term of LastIncludedIndex
	Offset            uint64 // byte offset of Data in the snapshot
	Data              []byte // raw bytes of the snapshot chunk, starting at Offset
	Done              bool   // true if this is the last chunk
}

// InstallSnapshotReply answers an InstallSnapshot. Besides the paper's term
// it says what the follower now holds, so the leader can resume, skip a
// duplicate or start over: Done if the follower holds everything up to
// LastIncludedIndex (it installed the snapshot, or had the entries), and
// otherwise Offset, the number of bytes of that snapshot it has stored,
// which is where the next chunk must start.
type InstallSnapshotReply struct {
	Term              uint64
	LastIncludedIndex uint64
	Offset            uint64
	Done              bool
}

// electionTimeout is the election timer (§5.2). On a leader it is the
// CheckQuorum timer. Epoch names the role it was set in; a timer from an
// earlier role is ignored.
type electionTimeout struct{ Epoch uint64 }

// heartbeatTick tells a leader to send heartbeats (§5.2).
type heartbeatTick struct{ Epoch uint64 }

// String methods give traces the compact etcd look:
//	AppendEntries{Term:3 Prev:5/3 Entries:2 Commit:5}

func (m RequestVote) String() string {
	name := "RequestVote"
	if m.PreVote {
		name = "PreVote"
	}
	return fmt.Sprintf("%s{Term:%d Last:%d/%d}", name, m.Term, m.LastLogIndex, m.LastLogTerm)
}

func (m RequestVoteReply) String() string {
	name := "RequestVoteReply"
	if m.PreVote {
		name = "PreVoteReply"
	}
	return fmt.Sprintf("%s{Term:%d Granted:%t}", name, m.Term, m.VoteGranted)
}

func (m AppendEntries) String() string {
	return fmt.Sprintf("AppendEntries{Term:%d Prev:%d/%d Entries:%s Commit:%d}",
		m.Term, m.PrevLogIndex, m.PrevLogTerm, entriesString(m.Entries), m.LeaderCommit)
}

// entriesString is the count, plus the range for a non-empty batch: "0",
// "2[6..7]".
func entriesString(es []Entry) string {
	if len(es) == 0 {
		return "0"
	}
	return strconv.Itoa(len(es)) + "[" + strconv.FormatUint(es[0].Index, 10) + ".." +
		strconv.FormatUint(es[len(es)-1].Index, 10) + "]"
}

func (m AppendEntriesReply) String() string {
	if m.Success {
		return fmt.Sprintf("AppendEntriesReply{Term:%d Success Match:%d}", m.Term, m.MatchIndex)
	}
	if m.ConflictIndex == 0 {
		return fmt.Sprintf("AppendEntriesReply{Term:%d Reject}", m.Term) // a stale term's
	}
	return fmt.Sprintf("AppendEntriesReply{Term:%d Reject Conflict:%d/%d}", m.Term, m.ConflictIndex, m.ConflictTerm)
}

func (m InstallSnapshot) String() string {
	done := ""
	if m.Done {
		done = " Done"
	}
	return fmt.Sprintf("InstallSnapshot{Term:%d Last:%d/%d Offset:%d Bytes:%d%s}", m.Term, m.LastIncludedIndex, m.LastIncludedTerm, m.Offset, len(m.Data), done)
}

func (m InstallSnapshotReply) String() string {
	if m.Done {
		return fmt.Sprintf("InstallSnapshotReply{Term:%d Last:%d Done}", m.Term, m.LastIncludedIndex)
	}
	return fmt.Sprintf("InstallSnapshotReply{Term:%d Last:%d Offset:%d}", m.Term, m.LastIncludedIndex, m.Offset)
}

// termOf returns the term a Raft message carries, and false for anything
// that is not a Raft message.
func termOf(msg any) (uint64, bool) {
	switch m := msg.(type) {
	case RequestVote:
		return m.Term, true
	case RequestVoteReply:
		return m.Term, true
	case AppendEntries:
		return m.Term, true
	case AppendEntriesReply:
		return m.Term, true
	case InstallSnapshot:
		return m.Term, true
	case InstallSnapshotReply:
		return m.Term, true
	}
	return 0, false
}
