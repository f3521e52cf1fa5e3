// Package quorum is a Dynamo-style replicated key/value store: leaderless,
// always writable, eventually consistent, with tunable N, R and W.
//
// # Placement
//
// Keys live on a consistent-hash ring (package storage/ring). Each key is
// stored on N replicas, the first N nodes of its preference list. Every
// Server builds the same ring from the cluster's members, so all agree on
// where a key lives.
//
// # Quorums
//
// A client sends each request to a coordinator: the first node of the key's
// preference list, or, after a timeout, the next node along the ring (any
// Server coordinates any request). The coordinator sends the request to the
// N replicas and answers the client as soon as W of them stored a write, or
// R of them answered a read. If R+W > N, every read quorum shares at least
// one replica with every write quorum, so a read meets the latest
// acknowledged write. With R+W <= N (say W=1, R=1) reads and writes are
// faster and survive more failures, but a read can miss an acknowledged
// write entirely: a stale read.
//
// R+W > N is not linearizability. A read that runs while a write is still
// in progress may meet the one replica the write has reached and return the
// new value; a second read that starts after the first returned may meet
// two replicas the write has not reached yet and return the old value.
// Config.WriteBackReads closes that gap as ABD does: before answering, a read
// writes what it is about to return to W replicas.
//
// # Versions and siblings
//
// Every value carries a vector clock (package clock). A client remembers the
// context of each key it read (the merge of the clocks it saw) and builds
// the clock of its next write on it (NextClock), so the write supersedes
// what it read. Two writes whose writers had not seen each other get
// concurrent clocks, and replicas keep both as siblings (Siblings.Add); the
// next read returns both, and the client resolves them by writing a value
// built on both contexts. Config.LastWriterWins keeps one version instead,
// the one whose coordinator stamped the latest time (env.Now): simpler, and
// wrong when clocks are skewed, because a write stamped by a clock running
// behind silently loses to an older one.
//
// # Failures
//
// A replica that answered a read with less than the others is sent the
// merged versions afterwards (read repair, Config.ReadRepair). With
// Config.SloppyQuorum, a coordinator that suspects a preference-list node is
// down (it did not answer within Config.Timeout) uses the next healthy node
// along the ring instead and tells it whom it stands in for; the stand-in
// keeps a hint and hands the versions over when the node is back (hinted
// handoff). A sloppy quorum stays available even when the preference list is
// cut off, at the price of R and W no longer meaning overlapping sets of the
// same N nodes: during a partition both sides accept writes, and a read may
// be stale. That is the AP side of CAP; scenario cap shows it next to Raft.
//
// Servers keep their data and hints on their Disk and sync before
// acknowledging, so a restarted node has everything it acknowledged.
package quorum
