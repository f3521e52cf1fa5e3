// Package raft is the Raft consensus algorithm (Ongaro and Ousterhout, "In
// Search of an Understandable Consensus Algorithm", 2014, and Ongaro's
// thesis, 2014) as a dsim node: a reference a student can read next to the
// paper and an implementation an engineer can trust.
//
// # A tour of Figure 2
//
// Figure 2 of the paper is the whole algorithm on one page. Here is where each
// part lives:
//
//   - State: the fields of Node, in raft.go. Persistent state (currentTerm,
//     votedFor, log[]) comes first, then the volatile state of all servers
//     (commitIndex, lastApplied), then the leader's nextIndex[] and
//     matchIndex[] (the progress map). Each field states its invariant.
//   - Rules for all servers: Receive settles the term before anything else —
//     a message with a newer term makes us a follower (becomeFollower), one
//     with an older term is answered with ours (rejectStale) — and then
//     dispatches to one handler per message type. applyCommitted applies
//     entries up to commitIndex in order.
//   - RequestVote RPC: handleRequestVote and handleRequestVoteReply, in
//     election.go, with the up-to-date check of §5.4.1 in raftLog.isUpToDate.
//   - AppendEntries RPC: handleAppendEntries and handleAppendEntriesReply,
//     in replication.go, with the commit rule of §5.4.2 in maybeCommit.
//   - Rules for followers, candidates and leaders: the role changes
//     becomeFollower, becomePreCandidate, becomeCandidate and becomeLeader,
//     in raft.go. They are the only places the role changes; each logs one
//     line ("became leader in term 4") and panics on a transition Raft does
//     not have ("invalid transition [follower -> leader]").
//   - InstallSnapshot RPC (Figure 13): snapshot.go.
//
// The paper's candidateId and leaderId are not message fields: Receive is
// always told who sent a message.
//
// # Timers are messages
//
// A node never reads a clock to decide when to act. It asks its Env for a
// timer, which comes back as a message: electionTimeout or heartbeatTick.
// Each carries the epoch (a counter bumped at every role change) it was set
// in, so a timer left over from an earlier role is ignored. The election
// timer is drawn from [ElectionTimeout, 2*ElectionTimeout) with env.Rand()
// (§5.2). Heartbeats reset it by moving a deadline rather than cancelling and
// setting a timer each time; the timer, when it fires early, sets itself for
// the rest.
//
// # PreVote and CheckQuorum
//
// Both are on in DefaultConfig, as etcd runs them. A node cut off from the
// cluster keeps timing out; in plain Raft each timeout bumps its term, and
// when it rejoins its high term deposes a healthy leader for nothing. With
// PreVote (thesis §9.6) it first asks whether it could win — peers say no
// while they hear from a leader or when its log is behind — and only a
// successful pre-vote increments the term. With CheckQuorum (thesis §6.2) a
// leader that has not heard from a majority within an election timeout
// steps down, and a follower that heard from a leader within an election
// timeout ignores RequestVote (§4.2.3). So in the five-node exercise where the leader loses
// the network, the old leader steps down by itself while isolated; when it
// rejoins, the first message from the new leader (or the rejection of its
// pre-vote) carries the newer term and it follows.
//
// # Log replication and commitment
//
// A leader sends each follower the entries from its nextIndex on (at most
// MaxEntriesPerAppend of them, and MaxBytesPerAppend bytes of commands). A
// follower whose log does not match at PrevLogIndex rejects, and says where
// to look next: its term at that index and the first index of that term
// (ConflictTerm, ConflictIndex). The leader jumps
// nextIndex past the whole conflicting term, so a follower with a long
// divergent suffix is repaired in a few round trips, not one per entry.
// While a follower is probed the leader waits for each answer; once it
// matches, the leader pipelines: it advances nextIndex as it sends, with at
// most MaxInflightAppends messages unanswered (if set). Entries proposed
// while that window is full wait for the next answer, which sends them all
// at once: under load, one message, one follower fsync and one round trip
// carry many commands.
//
// Propose appends to the leader's log and sends AppendEntries at once, not
// at the next heartbeat, to keep latency low. A leader commits an index when
// a majority stores it and the entry is of its own term (§5.4.2): Figure 8
// shows how counting replicas of an older entry can commit something a
// later leader overwrites. That is why a new leader appends a no-op entry of
// its term (§8): it commits the earlier entries without waiting for a client,
// and tells the leader its commitIndex is current, which is what makes reads
// safe. No-ops have a nil Command and are not passed to the Applier, which
// sees only client commands (so the indices it sees may have gaps).
//
// # Persistence
//
// Nothing leaves a node before what it promises is durable: send, the one
// place messages go out, calls Disk.Sync first if anything was written.
// A vote is synced before the vote reply, appended entries before the
// success reply; and maybeCommit syncs before the leader counts its own log
// towards a majority. The one exception is a leader's AppendEntries: it
// promises nothing about the leader's disk, so the leader sends new entries
// before syncing them and its disk write runs in parallel with the
// followers' (thesis §10.2.1). The disk layout (see storage.go) keeps one
// key per log entry, so an append writes one key and never rewrites the
// log: meta holds term and vote, snap the snapshot's index, term and size,
// snap/<index>/<offset> its bytes in pieces, log/00000000000000000042 each
// entry. Start reads it all back after a restart.
//
// # Snapshots
//
// When more than SnapshotThreshold applied entries sit in the log after the
// last snapshot, the node asks the Applier for a Snapshot, stores it with
// its last included index/term, and drops the entries it covers (§7) but
// for the last SnapshotTrailingEntries, as etcd does: a follower a few
// entries behind is then sent those entries, not the whole state.
//
// A follower that needs entries the leader has dropped receives the
// snapshot in chunks of at most SnapshotChunkSize bytes, as in Figure 13:
// each InstallSnapshot carries an Offset, the bytes from there, and Done on
// the last. The leader keeps a few chunks in flight; each reply says how
// many bytes the follower has stored, which moves the window on, so a lost,
// duplicated or reordered chunk costs a resend, not the transfer.
// The follower writes each chunk to its Disk as it arrives, with the offset
// reached, so a follower that crashes mid-transfer resumes where it was; a
// chunk of another snapshot from offset 0 (a new leader's) replaces the
// partial one. On the last chunk it assembles the snapshot and hands it to
// Applier.Restore. A leader does not replace a snapshot it is sending
// while the follower keeps answering, or a big snapshot under a stream of
// writes would restart forever.
//
// After a restart, Start restores the snapshot before anything else;
// commitIndex and lastApplied start at its index, and later committed
// entries are applied again once a leader says what is committed.
//
// # A pure state machine, like etcd's raft
//
// This package follows go.etcd.io/raft in spirit: the protocol never starts
// a goroutine, reads a clock or does I/O of its own. Messages and timers go
// in through Receive; messages, timers and disk writes go out through the
// Env. hashicorp/raft, by contrast, runs its roles as goroutines around
// wall-clock timers and channels: production-proven, but a run cannot be
// replayed, and a test has to sleep and hope. Here the same seed gives the
// same run byte for byte, so a failure found once can be stepped through
// forever, and the very same Node runs over TCP.
//
// # Broken variants
//
// NewBroken builds a Node with one deliberate bug (Bug) — committing by
// counting old-term replicas, forgetting votedFor, voting without the log
// check — so that the scenario suite can show it catches each one. Never use
// it otherwise.
package raft
