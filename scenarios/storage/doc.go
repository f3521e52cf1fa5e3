// Package storage holds the scenarios of dsim's replicated storage: the
// consistent-hash ring and the Dynamo-style quorum store (packages
// storage/ring and storage/quorum), and the CAP exercise that puts the
// quorum store next to the Raft KV under the same partition.
//
//	consistent-hashing       how many keys move when a node joins or leaves; load with and without virtual nodes
//	quorum-kv                N=3, W=2, R=2 survives a node failure; W=1, R=1 reads stale values
//	quorum-linearizability   W+R>N is not linearizable; reads that write back (ABD) are
//	cap                      one partition, two stores: Raft refuses on the minority side, the quorum store answers stale
//
// Scenarios that compare two configurations run two worlds in lockstep: the
// scenario's own world, whose trace `dsim run` prints, and a shadow world
// advanced alongside it, whose results appear in the summary table.
//
// Import the package for its side effect of registering the scenarios:
//
//	import _ "github.com/dsimlab/dsim/scenarios/storage"
package storage
