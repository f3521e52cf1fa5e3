package cdn

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/cache"
)

// EdgeConfig describes a caching proxy: a CDN edge, a memcached-style
// tier in front of a database.
type EdgeConfig struct {
	// Capacity is how many entries the LRU holds.
	Capacity int
	// TTL is how long an entry may be served after it was fetched.
	TTL time.Duration
	// Origin is where misses are fetched (cache-aside), unless Route picks
	// the node for each key (a shard, a replica).
	Origin sim.NodeID
	Route  func(key string) sim.NodeID
	// OriginTimeout bounds a fetch.
	OriginTimeout time.Duration
	// Coalesce merges concurrent misses of one key into one fetch
	// (cache.Coalescer); without it every miss fetches.
	Coalesce bool
	// Warm is filled at Start, expiring at WarmUntil: a cache that was
	// serving long before the run began.
	Warm      []string
	WarmUntil time.Duration
}

// entry is a cached value and the instant it stops being fresh.
type entry struct {
	value   string
	expires time.Time
}

// waiter is a request waiting for a fetch.
type waiter struct {
	from sim.NodeID
	req  service.Request
}

// Stats counts what an edge did.
type Stats struct {
	Hits, Misses, Expired int // Expired: misses on an entry that had been cached
	Cold                  int // misses on a key never fetched before (compulsory misses)
	Fetches               int // requests sent to the origin
	Coalesced             int // misses that joined a fetch in flight
}

// Edge answers service.Requests from its LRU, or fetches the key from the
// origin on a miss (cache-aside) and keeps it for TTL.
type Edge struct {
	cfg    EdgeConfig
	lru    *cache.LRU[string, entry]
	herd   *cache.Coalescer[string, waiter]
	origin *service.Caller
	stats  Stats
	// fetchesOf and missesOf count per key, for the thundering-herd table.
	fetchesOf, missesOf map[string]int
	seen                map[string]bool // keys ever fetched
}

// NewEdge returns an edge, or what is wrong with cfg.
func NewEdge(cfg EdgeConfig) (*Edge, error) {
	lru, err := cache.New(cache.Config[string, entry]{MaxEntries: cfg.Capacity})
	if err != nil {
		return nil, fmt.Errorf("cdn edge: %w", err)
	}
	origin, err := service.NewCaller(service.CallerConfig{Name: "origin", Timeout: cfg.OriginTimeout})
	if err != nil {
		return nil, fmt.Errorf("cdn edge: %w", err)
	}
	return &Edge{cfg: cfg, lru: lru, herd: cache.NewCoalescer[string, waiter](), origin: origin, fetchesOf: map[string]int{}, missesOf: map[string]int{}, seen: map[string]bool{}}, nil
}

func (c *Edge) Inspect() map[string]string {
	return map[string]string{
		"entries": strconv.Itoa(c.lru.Len()),
		"hits":    strconv.Itoa(c.stats.Hits),
		"misses":  strconv.Itoa(c.stats.Misses),
	}
}

func (c *Edge) Start(env sim.Env) {
	for _, k := range c.cfg.Warm {
		_ = c.lru.Put(k, entry{value: "v:" + k, expires: sim.Epoch.Add(c.cfg.WarmUntil)})
	}
}

func (c *Edge) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if c.origin.Receive(env, from, msg) {
		return
	}
	if req, ok := msg.(service.Request); ok {
		c.onRequest(env, from, req)
	}
}

// onRequest serves a fresh entry, or fetches the key: cache-aside.
func (c *Edge) onRequest(env sim.Env, from sim.NodeID, req service.Request) {
	now := env.Now()
	if e, ok := c.lru.Get(req.Key); ok {
		if now.Before(e.expires) {
			c.stats.Hits++
			env.Send(from, service.Response{ID: req.ID, Caller: req.Caller, Attempt: req.Attempt, Key: req.Key, Value: e.value, Outcome: service.OK})
			return
		}
		c.stats.Expired++
		c.lru.Delete(req.Key)
	}
	c.stats.Misses++
	c.missesOf[req.Key]++
	if !c.seen[req.Key] {
		c.seen[req.Key] = true
		c.stats.Cold++
	}
	w := waiter{from: from, req: req}
	if !c.cfg.Coalesce {
		c.fetch(env, req.Key, func(env sim.Env, r service.Response) { c.answer(env, w, r) })
		return
	}
	if !c.herd.Begin(req.Key, w) {
		c.stats.Coalesced++
		return
	}
	c.fetch(env, req.Key, func(env sim.Env, r service.Response) {
		for _, w := range c.herd.Finish(req.Key) {
			c.answer(env, w, r)
		}
	})
}

// fetch asks the origin for key and caches a good answer for TTL.
func (c *Edge) fetch(env sim.Env, key string, done service.Done) {
	c.stats.Fetches++
	c.fetchesOf[key]++
	to := c.cfg.Origin
	if c.cfg.Route != nil {
		to = c.cfg.Route(key)
	}
	c.origin.Call(env, to, service.Request{ID: uint64(c.stats.Fetches), Key: key}, func(env sim.Env, r service.Response) {
		if r.Outcome == service.OK {
			_ = c.lru.Put(key, entry{value: r.Value, expires: env.Now().Add(c.cfg.TTL)})
		}
		done(env, r)
	})
}

func (c *Edge) answer(env sim.Env, w waiter, r service.Response) {
	env.Send(w.from, service.Response{ID: w.req.ID, Caller: w.req.Caller, Attempt: w.req.Attempt, Key: w.req.Key, Value: r.Value, Outcome: r.Outcome})
}

// OriginValue is what an origin or database returns for a key.
func OriginValue(r service.Request) string { return "v:" + r.Key }

// Stats returns the edge's counters.
func (c *Edge) Stats() Stats { return c.stats }

// FetchesOf counts the origin fetches of key; MissesOf its misses.
func (c *Edge) FetchesOf(key string) int { return c.fetchesOf[key] }

// MissesOf counts the misses of key.
func (c *Edge) MissesOf(key string) int { return c.missesOf[key] }

// Fresh reports whether a request for key at now would be a hit.
func (c *Edge) Fresh(key string, now time.Time) bool {
	e, ok := c.lru.Peek(key)
	return ok && now.Before(e.expires)
}

// Len is how many entries the LRU holds; Capacity how many it can.
func (c *Edge) Len() int { return c.lru.Len() }

// Capacity is the most entries the LRU holds.
func (c *Edge) Capacity() int { return c.cfg.Capacity }
