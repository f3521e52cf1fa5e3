// Package txn holds the scenarios about transactions and data across
// machines: two-phase commit and its blocking failure (2pc,
// 2pc-coordinator-crash, 2pc-participant-crash, 2pc-timeout), sagas with
// compensations, orchestrated and choreographed (saga), leader/follower
// replication in its three modes (replication) and sharding by key, hash
// and range (sharding).
//
// Importing the package registers the scenarios; run them with
// `dsim run NAME --seed N` or through scenarios.Lookup and
// scenarios.Execute. Each one checks its lesson at the end (atomicity, a
// consistent saga end state, lost acknowledged writes, load spread) and
// fails with Result.Err when the lesson did not show.
package txn
