// Package tcp is dsim's live runtime: it runs the very sim.Node the
// simulator runs, one per process, over real TCP, with real timers, the
// wall clock and files that survive kill -9.
//
// # One node, one event loop
//
// In the simulator one goroutine runs every handler. Here one goroutine per
// process does: the Runtime's event loop. Messages read from sockets, timers
// (time.AfterFunc) and admin requests all become events on one channel, and
// the loop hands them to the node one at a time. So a node written for the
// simulator needs no locks here either, and no handler ever runs anywhere
// else. What changes is only what stands behind sim.Env:
//
//	Env.Now        time.Now(): the wall clock
//	Env.SetTimer   time.AfterFunc posting the timer's message to the loop;
//	               timers never cross the wire
//	Env.Send       encode on the loop, queue for the peer's writer
//	Env.Rand       seeded from --seed, or crypto/rand
//	Env.Disk       FileDisk: a write-ahead log, fsynced by Sync, once
//	               per batch of events (group commit, below)
//	Env.Logf       log/slog
//
// Compare hashicorp/raft, whose run loops are full of wall-clock timers and
// channels: correct, but no test can replay one of its runs. A dsim node
// keeps all of that out of the protocol, so the same code is tested on
// virtual time and then deployed.
//
// # Group commit
//
// The loop delivers events in batches: one, then every event already
// waiting (up to 256). A node's Sync during the batch does not fsync at
// once; it marks a sync owed, and every message the node sends from then on
// is held. At the end of the batch the loop fsyncs once and releases the
// held messages. So nothing a node sends after asking for durability leaves
// before the data is on disk, which is the whole of sim.Disk's promise that
// anyone can observe, and sixteen client requests that arrived while the
// previous fsync ran cost one fsync, not sixteen. See groupcommit.go.
//
// # Frames
//
// Every message travels as a frame: a 4-byte big-endian length, then JSON
// naming the message's registered type,
//
//	{"type":"raft.AppendEntries","body":{"Term":3,"PrevLogIndex":7,...}}
//
// so tcpdump, a hex dump or jq can read the wire. A Registry lists the
// types a protocol uses (Register("raft.AppendEntries", raft.AppendEntries{}));
// only those are ever decoded. Queued frames go out in one write, and are
// read through a small buffer. A frame announcing more than MaxFrameSize is
// refused before anything is allocated for it; an undecodable frame or an
// unknown type is refused too. Each is counted, logged, and closes the
// connection it came on; the node carries on with its other peers.
//
// # Connections
//
// Each node dials every peer once and writes its messages to that peer on
// that connection, from a bounded queue: when the queue is full the message
// is dropped and counted, which to Raft is one more lost packet. It reads
// what peers send on the connections they dialed to it. A lost connection is
// redialled after a backoff from package resilience (exponential, with
// jitter). Idle connections carry a Ping every KeepAlive; one silent for
// four is closed, so a pulled cable is noticed even when TCP would wait.
//
// Clients (`dsim kv`) and tools (`dsim status`, `dsim fault`) connect to
// the same port and get their answers on their own connection. A client
// refuses at once an operation too large for a request (MaxRequestSize,
// ErrRequestTooLarge): it was never sent, so it was certainly not applied.
// Larger things travel in pieces: Raft sends a snapshot in chunks and caps
// each AppendEntries (raft.Config's SnapshotChunkSize, MaxBytesPerAppend).
//
// # Handshake and membership
//
// A connection starts with Hello (cluster name, sender, receiver, protocol
// version, kind of connection, a nonce), answered by Challenge, Proof and
// Welcome or Refused. With a shared secret (--secret-file), Challenge and
// Proof carry HMAC-SHA256 over both nonces, so each side proves it knows the
// secret without sending it, and a recorded proof cannot be replayed.
// Strangers are refused with a reason and a log line.
//
// # Faults at the transport
//
// Faults (block a link, delay it, drop a share of messages) are applied by
// the runtime itself, changed at run time with `dsim fault`. They do what
// package network's partitions and loss do in the simulator, on machines
// where tc is not available.
//
// # Commands
//
//	dsim node --cluster cluster.json --id n1 --data DIR [--secret-file F]
//	dsim cluster local --n 5 [--dir DIR]
//	dsim kv --cluster cluster.json put x 1
//	dsim status --cluster cluster.json
//	dsim fault --cluster cluster.json block n1 n2
package tcp
