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
// # Memory under attack
//
// An announced length is a claim, so nothing is allocated on it: a frame's
// buffer starts at 64 KiB and grows, in chunks, only as bytes arrive. The
// bytes held for frames from accepted connections, being read or waiting
// for the event loop, come out of budgets all connections share: the first
// 64 KiB of each frame from a 16 MiB pool (so ordinary requests keep
// flowing), the rest from Config.MaxBuffered (32 MiB); a connection whose
// next bytes do not fit is closed. Connections are capped (MaxConns), and
// those still in the handshake separately (MaxHandshakes), each with
// HandshakeTimeout to finish. When the budget empties after a peak, the
// memory is handed back to the operating system.
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
// Welcome or Refused. With a shared secret (--secret-file, or the cluster
// file's "secret_file"), Challenge and Proof carry HMAC-SHA256 over both
// nonces, so each side proves it knows the secret without sending it, and a
// recorded proof cannot be replayed. Until then only the runtime's own
// tcp.* handshake messages are decoded: a Raft message from a stranger is
// an unknown type, never parsed. Strangers are refused with a reason and a
// log line.
//
// Secure by default: `dsim node` refuses to start without a secret unless
// given --insecure, which it logs loudly and `dsim status` shows (AUTH
// INSECURE, tcp.insecure=true). `dsim secret new FILE` makes one (mode
// 0600); `dsim cluster local` writes one into its directory and names it in
// the cluster file it writes. (The library's Config still takes a nil
// Secret: the refusal lives in RunNode.)
//
// # The data directory
//
// RunNode first locks the directory (flock on DIR/lock, which holds the
// pid): a second node on it exits 2 naming the first. The disk is a
// FileDisk: a write-ahead log and a checkpoint. It refuses rather than
// forgets: only a torn final record, a write a crash cut short and never
// acknowledged, is dropped with a log line; damage anywhere else stops the
// node (exit 1) with a *DamageError naming the file, the byte and what to
// do. --salvage (DiskOptions.Salvage) keeps a copy of the damaged file,
// cuts the log at the damage and puts sim.LostWritesKey on the disk.
//
// Why the mark: the salvaged node may have acknowledged entries it no
// longer holds. Were it to vote, it could elect a candidate missing an
// entry that was committed with its help (three nodes: the entry on the
// leader and this node only; the leader down; this node and the third,
// neither holding it, elect one another and the entry is gone). So a Raft
// node that finds the mark neither votes nor campaigns until a leader of
// its current term has given it an entry of that term; by Log Matching its
// log then holds everything committed before that term, and it deletes the
// mark. Its lost votes are the gap left: in a term it had reached before
// the damage and has now forgotten, it could vote a second time, and so
// help elect a second leader of that term. That takes an unlucky
// partition at the time as well; only restoring from a backup closes it.
// With two of three nodes salvaged, no leader can be elected until one is
// restored: the cluster waits rather than lose a write.
//
// # Faults at the transport
//
// Faults (block a link, delay it, drop a share of messages) are applied by
// the runtime itself, changed at run time with `dsim fault`. They do what
// package network's partitions and loss do in the simulator, on machines
// where tc is not available.
//
// # Protocols
//
// The runtime knows no protocol. A Protocol value names the node's message
// types and builds the node from its NodeConfig (its id and the cluster
// file, whose "options" carry per-family settings). Package livecatalog,
// above this one, declares one per family; `dsim node --protocol NAME`
// picks one there.
//
// # Commands
//
//	dsim secret new /etc/dsim/secret
//	dsim node --cluster cluster.json --id n1 --data DIR --secret-file F   (or --insecure) [--protocol NAME] [--salvage] [--record FILE]
//	dsim cluster local --n 5 [--protocol NAME] [--opt KEY=VALUE] [--dir DIR] [--restart n2] [--record]
//	dsim kv --cluster cluster.json put x 1
//	dsim status --cluster cluster.json
//	dsim fault --cluster cluster.json block n1 n2
package tcp
