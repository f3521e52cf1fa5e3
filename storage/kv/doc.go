// Package kv is a key/value store written as a deterministic state machine,
// to be replicated by package consensus/rsm on Raft or Multi-Paxos.
//
// It offers four operations: Get, Put, Append and CompareAndSet (CAS). A
// missing key reads as "", so CAS(k, "", v) creates k. Operations and
// results travel as short text, such as
//
//	put "x" "1"        cas "x" "1" "2"
//	ok "1"             no "3"
//
// so a replica's log and the client messages read well in a trace.
// Encoding is deterministic (strconv.Quote), and so is the snapshot
// (encoding/json writes map keys sorted): two replicas in the same state
// produce the same bytes.
//
// Op.Input and Result.Output translate operations and answers into
// check.KVInput and check.KVOutput for the linearizability checker, and
// Workload generates random operations for an rsm.Client: a few keys, so
// operations collide, and values unique to each client and operation, so a
// history says which write a read saw.
package kv
