// Package cache holds an LRU cache and the patterns for putting a cache in
// front of a slower origin (a database, an origin server): cache-aside,
// read-through, write-through, write-back, and request coalescing.
//
// # The LRU
//
// LRU keeps the most recently used entries and evicts the one used longest
// ago when it is full, bounded by a number of entries, by total bytes (with
// a Size function), or both. Get, Put and Delete are O(1): a map finds an
// entry's slot, and a doubly linked list threaded through the slots keeps
// them in recency order, so the victim is always at the tail. The list
// lives in one slice and links by index; freed slots are reused, so a full
// cache evicts and inserts without allocating. Hits, misses and evictions
// are counted (Stats.HitRatio is what a CDN operator watches), and an
// OnEvict hook sees every entry pushed out.
//
// # The patterns
//
// Each pattern answers "who talks to the origin, and when":
//
//   - Cache-aside (see the example): the application checks the cache,
//     reads the origin on a miss and fills the cache; on a write it updates
//     the origin and deletes the cache entry. The cache knows nothing of the
//     origin. This is how memcached is used, and the only pattern here that
//     works when the origin is another node reached by messages.
//   - ReadThrough: the cache loads its own misses from the origin.
//   - WriteThrough: writes go to the origin, then to the cache; the cache
//     is never ahead of the origin, and every write costs an origin write.
//   - WriteBack: writes stay in the cache, marked dirty, and reach the
//     origin at Flush or when evicted. Fast, and repeated writes to a key
//     coalesce into one, but the origin lags, and losing the cache (a
//     crash) loses the dirty writes.
//   - Coalescer: when many requests miss on the same key at once (a hot key
//     expires, a cache restarts cold), only the first fetches from the
//     origin; the others wait for its answer. Without it, a thundering herd
//     of identical reads hits the origin at the worst moment.
//
// ReadThrough, WriteThrough and WriteBack call a Store synchronously, so they
// suit an origin on the same node. In the simulator a remote origin answers
// by message, later; a node cannot block waiting for it. That is why the
// Coalescer is a state machine rather than a blocking call like Go's
// singleflight: Begin(key, waiter) says whether to send the fetch, and
// Finish(key), when the answer arrives, returns everyone to reply to.
//
// Nothing in this package reads a clock, starts a goroutine or depends on
// map iteration order (WriteBack flushes in the order of the writes), so a
// simulated run is reproducible from its seed. No type is safe for
// concurrent use: a node runs one handler at a time.
package cache
