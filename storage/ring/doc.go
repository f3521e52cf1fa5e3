// Package ring is consistent hashing with virtual nodes: the way Dynamo,
// Cassandra and Riak decide which nodes hold a key.
//
// # The ring
//
// Hash every key, and every node, onto the same circle of 2^64 points. A key
// belongs to the first node found walking clockwise from the key's point.
// When a node joins, it takes over only the keys between its point and the
// node before it; when it leaves, only its own keys move, to the next node
// along. With plain modulo hashing (hash(key) % nodes) almost every key would
// move when the number of nodes changes; here about 1/N of them do.
//
// # Virtual nodes
//
// One point per node cuts the circle into arcs of very unequal length: with
// 10 nodes the largest arc is typically two or three times the mean, so one
// node holds two or three times its share of the keys. Giving each node many
// points (virtual nodes, "tokens") averages this out: the load of a node is
// the sum of many small arcs, and sums of many random pieces are close to
// their mean. Virtual nodes also spread a leaving node's keys over many
// others instead of dumping them all on one neighbour. The scenario
// `consistent-hashing` measures both effects.
//
// # The preference list
//
// A replicated store keeps each key on N nodes: the first N distinct nodes
// met walking clockwise from the key (virtual nodes of a node already chosen
// are skipped, so the N copies land on N different machines). That list is
// the key's preference list; Successors continues the walk past N to every
// node, which is where a sloppy quorum finds stand-ins for nodes that are
// down (package storage/quorum).
//
// # The hash
//
// Positions come from SHA-256, truncated to its first 8 bytes (Dynamo used
// MD5 the same way). It is slower than FNV but spreads similar names such as
// "n1#0" and "n1#1" evenly, and it is the same on every machine and in every
// run; Go's map hash is neither, so it must never place keys.
package ring
