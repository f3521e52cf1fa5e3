// Package multipaxos orders a log of commands with Multi-Paxos: one
// instance of Paxos (package paxos) per log slot, under a distinguished
// leader that runs phase 1 once for all of them. It is an rsm.Replica, so
// the KV store runs on it unchanged, exactly as on Raft:
//
//	rsm.NewServer(func(app rsm.Applier) rsm.Replica { return multipaxos.New(cfg, app) }, kv.New())
//
// # Phase 1 once, phase 2 per command
//
// Single-decree Paxos spends two round trips per value. Paxos Made Simple
// §3 observes that a Prepare can cover every slot at once: "promise me
// nothing below ballot b, in any slot from i on, and tell me what you
// accepted there". Once a majority promised, the leader owns every slot
// that is not yet decided, and each new command costs only phase 2: one
// Accept to every acceptor and a majority of Accepted back. The leader
// counts the Accepted; once a majority accepted a slot at its ballot the
// slot is decided. Decided slots are applied in slot order, and only once
// every slot before them is decided: the log has no holes when it is
// applied.
//
// # A new leader
//
// A node that becomes leader sends Prepare for every slot from its first
// undecided one. With a majority's promises in hand it goes through those
// slots up to the highest any acceptor mentioned: a slot someone knows is
// decided keeps its value; a slot where some acceptor accepted something
// gets the value accepted at the highest ballot (P2c, slot by slot);
// a slot nobody accepted anything in is a gap — the old leader may have
// sent that Accept to nobody who answered — and is filled with a no-op (an
// empty command, which the rsm layer skips). All of them go through phase
// 2 again with the new ballot, so they are decided at last, and new
// commands go after the highest of them.
//
// # Leader election and failure detection
//
// Paxos itself needs no election: any node may run phase 1 at any time,
// and ballots sort out who wins. To keep one proposer at a time (two would
// duel, see package paxos), the leader sends a Heartbeat every
// Config.HeartbeatInterval. A follower that hears no Heartbeat or Accept
// at or above its promise for a timeout drawn uniformly from
// [ElectionTimeout, 2*ElectionTimeout) (from env.Rand()) starts phase 1 with
// a ballot above every one it has seen. The random timeout makes two
// followers unlikely to start together; if they do, the lower ballot is
// refused with a Nack and its node steps down. A leader steps down as soon
// as it hears of a higher ballot (a Prepare, an Accept, a Heartbeat or a
// Nack). There is no lease: a deposed leader that has not heard yet keeps
// proposing, but its Accepts are refused by every acceptor that promised
// the new ballot, so nothing it proposes can be decided — safety never
// rests on the timeouts.
//
// Followers learn decisions through the heartbeats: each Heartbeat carries
// the leader's decided prefix, each reply the follower's, and the leader
// sends a Learn with the decisions a follower lacks. The leader also
// resends unanswered Accepts with every heartbeat, so lost messages are
// recovered.
//
// # Persistence, and what is left out
//
// The acceptor's promise (one ballot for all slots) and every slot it
// accepted or learned is written to Disk and synced before the message
// that depends on it leaves. A restarted node loads them, applies the
// decided prefix again to its fresh Applier, and starts as a follower.
// There are no snapshots and no log compaction: the log grows without
// bound, and Applier.Snapshot/Restore are never called. Reads go through the
// log like writes (the rsm layer does that), so there are no leases either.
// Membership is fixed.
package multipaxos
