// Package livecatalog is the live form of every node family dsim hosts:
// for each, the messages it sends over TCP, how to build its node from the
// cluster file, and the client operations the command line offers.
//
// The runtime (package network/tcp) runs any sim.Node and knows no
// protocol; the protocols (consensus/..., storage/..., service) know
// nothing of TCP. This package stands above both (floor 4, beside
// scenarios) and joins them: it registers a tcp.Protocol per family,
//
//	raft-kv        Raft replicating a key/value store      dsim kv
//	multipaxos-kv  the same store on Multi-Paxos           dsim kv
//	paxos          single-decree Paxos                     dsim paxos propose
//	quorum-kv      the Dynamo store (N/R/W, hinted handoff) dsim kv
//	2pc            two-phase commit                        dsim txn put
//	cdn            an origin and LRU edges                 dsim get
//	breaker-service a dependency behind a circuit breaker  dsim call
//	broadcast      gossip with Lamport and vector stamps   dsim broadcast
//
// and `dsim node --protocol NAME` and `dsim cluster local --protocol NAME`
// look names up here.
//
// What differs per family (quorum sizes, which node is the origin,
// timeouts) lives in the cluster file's "options" object, read by the
// family's New; a wrong field is an error wrapping tcp.ErrClusterFile that
// names it ("options.w: 4 is more than n (3)"), which the command line
// turns into exit status 2.
package livecatalog
