package cache

// Coalescer merges concurrent fetches of one key into a single fetch
// ("request coalescing", Go's singleflight): the first request for a key
// that is not in flight goes to the origin; every later request for it, until
// the answer comes back, waits for that same answer instead of sending its
// own. When a popular entry expires or a cache node restarts, this is what
// stops a thundering herd — a thousand misses becoming a thousand identical
// origin reads.
//
// A simulated node cannot block a caller, so the Coalescer is a state
// machine over waiter values W (say, the client and request to answer):
//
//	if c.Begin(key, waiter) {
//		env.Send(origin, Fetch{Key: key}) // the one fetch
//	}
//	...
//	case FetchReply: // the answer arrived
//		for _, w := range c.Finish(m.Key) {
//			env.Send(w.Client, Reply{...}) // everyone who asked
//		}
//
// Waiters come back from Finish in the order they began. A Coalescer is not
// safe for concurrent use.
type Coalescer[K comparable, W any] struct {
	// waiting holds, for each key being fetched, its waiters in arrival
	// order (the first is the one whose Begin returned true).
	waiting map[K][]W
	stats   CoalescerStats
}

// CoalescerStats counts what a Coalescer saved.
type CoalescerStats struct {
	Fetches   uint64 // Begin calls that started a fetch
	Coalesced uint64 // Begin calls that joined a fetch in flight
}

// NewCoalescer returns a Coalescer with nothing in flight.
func NewCoalescer[K comparable, W any]() *Coalescer[K, W] {
	return &Coalescer[K, W]{waiting: make(map[K][]W)}
}

// Begin registers w as waiting for key. first is true if no fetch of key
// was in flight: the caller must now issue the fetch, and call Finish when
// it completes (or fails). Otherwise w joins the fetch in flight.
func (c *Coalescer[K, W]) Begin(key K, w W) (first bool) {
	ws, inFlight := c.waiting[key]
	c.waiting[key] = append(ws, w)
	if inFlight {
		c.stats.Coalesced++
		return false
	}
	c.stats.Fetches++
	return true
}

// Finish ends the fetch of key and returns everyone who waited for it, in
// arrival order, so the caller can answer them all. The next Begin for key
// starts a new fetch. Finish for a key not in flight returns nil.
func (c *Coalescer[K, W]) Finish(key K) []W {
	ws := c.waiting[key]
	delete(c.waiting, key)
	return ws
}

// InFlight reports whether a fetch of key is in flight.
func (c *Coalescer[K, W]) InFlight(key K) bool {
	_, ok := c.waiting[key]
	return ok
}

// Waiting is the number of waiters for key (0 if no fetch is in flight).
func (c *Coalescer[K, W]) Waiting(key K) int { return len(c.waiting[key]) }

// Len is the number of keys being fetched.
func (c *Coalescer[K, W]) Len() int { return len(c.waiting) }

// Stats returns the counters.
func (c *Coalescer[K, W]) Stats() CoalescerStats { return c.stats }
