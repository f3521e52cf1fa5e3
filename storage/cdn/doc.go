// Package cdn is a content delivery network's edge: a caching proxy that
// answers requests from an LRU (package storage/cache) and fetches what it
// lacks from an origin, keeping it for a TTL (cache-aside). The same Edge
// serves as a memcached-style tier in front of a database (Route picks the
// shard for each key), with optional request coalescing so that a hot key
// that expires is fetched once, not once per waiting request (the
// thundering herd).
//
// An edge's cache is memory: a restarted edge starts cold, and its first
// request for each key is a miss (Stats.Cold counts those).
package cdn
