// Package glomers spreads values and counts among nodes that may lose
// messages and be partitioned: the workload of the broadcast homework, in
// the spirit of Fly.io's Gossip Glomers.
//
// Clients talk to any node with the messages of workload.go: Broadcast a
// value, Read every value the node knows, Add to a grow-only counter and
// ReadCounter its total. Nodes talk to each other however they like; Node,
// the reference, does it in two ways:
//
//   - eager push: a node that receives a Broadcast sends the value once to
//     every peer (a Gossip of one value), and peers do not forward it: one
//     message per peer per value, cheap and fast when nothing is lost;
//   - anti-entropy: every AntiEntropyEvery, each node sends its whole state
//     (values and counter entries) to one peer drawn from env.Rand(). That
//     repairs what push lost or a partition kept apart, at a cost that does
//     not grow with the number of operations.
//
// The grow-only counter is a CRDT: each node counts its own additions in
// its own entry, and merging two states takes the larger count per node, so
// any order of merges gives the same total (no addition counted twice, none
// lost).
//
// NewBroken builds the mistakes the broadcast grader
// (scenarios/broadcastsuite) must catch.
package glomers
