// Package shard splits a key space over several database servers
// (shards), three ways:
//
//   - ByRange: each shard holds a contiguous range of keys, between split
//     points. A range scan touches one shard or a few; but keys that grow
//     (time-ordered IDs, auto-increment numbers, timestamps) all land in
//     the last range, and that shard takes every new write while the
//     others idle: a hot spot.
//   - ByHash: a key's shard is its hash modulo the number of shards. Writes
//     spread evenly whatever the keys look like, but neighbouring keys are
//     scattered, so a range scan asks every shard; and changing the number
//     of shards moves almost every key (consistent hashing, in the ring
//     package, fixes that).
//   - Directory ("by key"): a lookup table says where each key lives. New
//     keys go where there is room (here: the least loaded shard) and any
//     key can be moved one at a time; the price is the table itself, which
//     every request consults and which must be kept highly available.
//
// Router is a sim.Node that forwards each write to its shard and a scan to
// the shards that may hold its range; Server is a shard. Both are
// deterministic: no clocks, no goroutines, no map-order decisions.
package shard
