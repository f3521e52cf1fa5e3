// Package replication is single-leader (leader/follower, primary/replica)
// replication, as in MySQL or PostgreSQL streaming replication, in its
// three modes: asynchronous, semi-synchronous and synchronous.
//
// Clients send writes to the leader. The leader appends each write to its
// log on Disk and ships new entries to its followers in batches, every
// Config.ShipEvery, as a binlog sender does. Followers append what they
// receive, in order, sync it, and acknowledge how far their log reaches.
// When the leader answers the client is the mode:
//
//   - Async: as soon as the write is in the leader's own log. Fast, but a
//     write acknowledged and not yet shipped exists only on the leader: if
//     the leader dies, the promoted follower never had it, and an
//     acknowledged write is lost.
//   - SemiSync: once at least one follower has it. A write survives the
//     leader's loss, provided the follower promoted is the most up to date
//     one (which is why failover picks it). Latency is a round trip to the
//     fastest follower.
//   - Sync: once every follower has it. No acknowledged write can be lost
//     whichever follower is promoted, but latency is a round trip to the
//     slowest follower, and one dead follower stops every write.
//
// Replication lag is how far a follower is behind: in entries, or in time
// between the leader writing an entry and the follower receiving it.
// Followers measure the latter (Replica.Lag).
//
// Failover is done from outside, as an operator or a tool such as
// Orchestrator or Patroni would: send Promote to the chosen follower. It
// becomes leader of a new epoch; followers accept entries only from the
// newest epoch they have seen, and take the new leader's log as the truth
// (a follower with entries the new leader lacks drops them).
//
// Writes arrive through Client, which records every acknowledged write;
// LostWrites compares that record with the new leader's log. Nothing here
// reads a clock other than env.Now, starts a goroutine or depends on map
// order.
package replication
