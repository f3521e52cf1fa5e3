// Package sim is dsim's deterministic discrete-event simulator: the kernel
// every protocol in dsim runs on.
//
// # The one rule
//
// A node is a deterministic state machine. It reacts to one event at a time
// (Start, then one Receive per message or timer) and touches the world only
// through its Env: it sends messages, sets timers, reads its clock, draws
// random numbers and writes to its Disk, all through Env. Node code never
// starts goroutines, never reads the wall clock, never uses the global
// random source and never lets the iteration order of a Go map decide
// anything. Keep to that and the same seed always gives the same run, byte
// for byte, on any machine, and the very same node runs unchanged over real
// TCP (package network/tcp) where Env is backed by sockets and real timers.
//
// # The world
//
// A World owns a virtual clock and one event queue ordered by (time,
// sequence number). Ties break by insertion order, so the order of events is
// total and a run is a pure function of the seed and the script. Each event
// is a message delivery, a timer firing, a node starting or a scripted action
// (At). The world pops the earliest event, runs the handler to completion,
// and moves on; nothing runs concurrently, so nodes need no locks.
//
// One seed drives everything. The world derives separate random streams from
// it: one for the network's decisions and one per node (and per restart of
// that node), so adding a node or a log line does not reshuffle unrelated
// randomness.
//
// # Crashes and disks
//
// Crash(id) throws away the node value, every timer it set and every message
// it has not yet received; what it put on its Disk survives. Restart(id) calls
// the node's factory for a fresh value and calls Start with the same Disk.
// With Config.LoseUnsyncedWrites, Disk writes not yet made durable by
// Disk.Sync are lost at a crash too, as on a real machine whose page cache
// dies with it.
//
// # The network
//
// The world asks a LinkModel what happens to each message: dropped, delayed
// by how much, duplicated. Package network provides the full model (latency
// distributions, loss, duplication, reordering, partitions, slow nodes, clock
// skew); without one, every message arrives exactly one millisecond after it
// was sent.
//
// # The trace
//
// Every send, delivery, drop, duplicate, timer, crash, restart, fault change
// and log line becomes a Record with its virtual time. A Tracer receives
// them: JSONL writes JSON Lines, Hasher hashes those same bytes (the
// determinism check compares hashes), Recorder keeps them in memory.
// Record.String renders the one-line-per-event form used by `dsim run`, in
// the style of etcd's raft traces:
//
//	12.003ms n1->n2 Ping{Seq:3}
//
// Messages appear in traces as their type name and field values (%+v), so a
// message must be a plain value: a pointer inside one would print as an
// address and make traces differ between runs.
package sim
