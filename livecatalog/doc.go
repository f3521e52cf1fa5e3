// Package livecatalog is the live form of every node family dsim hosts:
// for each, the messages it sends over TCP, how to build its node from the
// cluster file, and the client operations the command line offers.
//
// The runtime (package network/tcp) runs any sim.Node and knows no
// protocol; the protocols (consensus/..., storage/..., service) know
// nothing of TCP. This package stands above both (floor 4, beside
// scenarios) and joins them: it registers a tcp.Protocol per family,
//
//	raft-kv          Raft replicating a key/value store        dsim kv
//	multipaxos-kv    the same store on Multi-Paxos             dsim kv
//	quorum-kv        the Dynamo store (N/R/W, hinted handoff)  dsim kv
//	paxos            single-decree Paxos                       dsim paxos propose
//	2pc              two-phase commit                          dsim txn put
//	cdn              an origin and LRU edges                   dsim get
//	breaker-service  a dependency behind a circuit breaker     dsim call
//	broadcast        gossip with Lamport and vector stamps     dsim broadcast
//
// and `dsim node --protocol NAME` and `dsim cluster local --protocol NAME`
// look names up here. Where a family's node needs to talk to a client
// (paxos, cdn, breaker-service, broadcast), a thin wrapper here turns the
// client's request into what the protocol's node understands and its
// answer into a reply; the protocol itself is unchanged.
//
// Every family also runs in the simulator (sim_test.go runs each twice and
// compares the traces), and its end-to-end test runs it as separate
// processes on loopback, SIGKILLs a node in the middle and checks the
// family's own promise.
//
// What differs per family (quorum sizes, which node is the origin,
// timeouts) lives in the cluster file's "options" object, read by the
// family's New; a wrong field is an error wrapping tcp.ErrClusterFile that
// names it ("options.w: 5: want 1 to n (3)"), which the command line
// turns into exit status 2.
package livecatalog
