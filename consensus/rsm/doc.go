// Package rsm is the replicated state machine layer: it runs one
// deterministic state machine (a key/value store, a counter, a lock
// service) on top of any consensus protocol that orders commands — Raft
// today, Multi-Paxos tomorrow, a student's Raft in a homework.
//
// The idea (Schneider, "Implementing fault-tolerant services using the state
// machine approach", 1990): if every replica starts in the same state and
// applies the same commands in the same order, every replica passes through
// the same states and gives the same answers. Consensus decides the order;
// this package does everything around it.
//
// # The pieces
//
//   - Replica is the consensus protocol, seen from above: Propose a command,
//     and it will (if this node leads and keeps leading) eventually be
//     committed and handed back, in log order, to an Applier.
//   - StateMachine is the application: Apply(op) returns a result, and it
//     can be snapshotted and restored. It must be deterministic.
//   - Server is the sim.Node that holds both. It takes ClientRequests,
//     proposes them, and answers when they apply. It is the Applier.
//   - Client is a sim.Node that drives a workload against the servers and
//     records every operation in a check.History for the linearizability
//     checker.
//
// # Exactly once, despite retries
//
// A client that hears nothing back cannot know whether its request was lost,
// or applied and the reply lost. So it retries — with the same sequence
// number. Each Server keeps, as part of the replicated state, a session per
// client: the highest sequence number applied and its result. A duplicate
// that reaches the log is not applied again: it returns the remembered
// result. Because the session table changes only when entries apply, every
// replica has the same table at the same index, and it travels inside
// snapshots. (Raft dissertation §6.3; the 6.5840 kvraft lab.)
//
// A client issues one operation at a time, so remembering only the last
// result per client is enough.
//
// # Reads go through the log
//
// A Get is proposed and applied like a Put. That costs a log entry and a
// round of replication per read, but it is simple and obviously
// linearizable: the read takes effect at its place in the log, which lies
// between its invocation and its response. Answering reads from a leader's
// local state would be faster but could return stale data from a deposed
// leader that does not know it yet (Raft dissertation §6.4 shows the
// ReadIndex and lease alternatives).
//
// # Replies only for what was proposed here
//
// The Server remembers which client request it proposed at which log index.
// When that index applies it checks that the entry there is the one it
// proposed (same client, same sequence number): if it lost leadership, a new
// leader may have put a different entry at that index, and answering with
// that entry's result would be a lie. Then it tells the client to try
// elsewhere.
package rsm
