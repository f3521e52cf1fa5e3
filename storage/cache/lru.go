package cache

import (
	"errors"
	"fmt"
)

// Errors returned by this package.
var (
	// ErrInvalidConfig wraps every configuration error.
	ErrInvalidConfig = errors.New("cache: invalid config")
	// ErrTooLarge: one entry is bigger than the whole cache's byte bound.
	ErrTooLarge = errors.New("cache: entry larger than the cache")
)

// Config bounds an LRU. At least one bound must be set; with both, the
// cache keeps within both.
type Config[K comparable, V any] struct {
	// MaxEntries bounds the number of entries; 0 means no count bound.
	MaxEntries int
	// MaxBytes bounds the sum of Size over all entries; 0 means no byte
	// bound.
	MaxBytes int64
	// Size is an entry's cost in bytes (say, len(key)+len(value)). Required
	// with MaxBytes; without it every entry costs 0.
	Size func(key K, value V) int64
	// OnEvict, if set, is called with each entry evicted to make room, after
	// it has left the cache. It is not called for Delete or for a Put that
	// replaces a value. It must not modify the cache.
	OnEvict func(key K, value V)
}

// Validate reports the first field that is wrong.
func (c Config[K, V]) Validate() error {
	switch {
	case c.MaxEntries < 0:
		return fmt.Errorf("%w: MaxEntries is %d, want >= 0", ErrInvalidConfig, c.MaxEntries)
	case c.MaxBytes < 0:
		return fmt.Errorf("%w: MaxBytes is %d, want >= 0", ErrInvalidConfig, c.MaxBytes)
	case c.MaxEntries == 0 && c.MaxBytes == 0:
		return fmt.Errorf("%w: no bound: set MaxEntries or MaxBytes", ErrInvalidConfig)
	case c.MaxBytes > 0 && c.Size == nil:
		return fmt.Errorf("%w: MaxBytes needs a Size function", ErrInvalidConfig)
	}
	return nil
}

// Stats counts an LRU's lookups and evictions.
type Stats struct {
	Hits      uint64 // Get found the key
	Misses    uint64 // Get did not
	Evictions uint64 // entries evicted to make room
}

// HitRatio is Hits / (Hits + Misses), or 0 before any Get.
func (s Stats) HitRatio() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

// entry is a node of the recency list. Entries live in one slice and link
// to each other by index, so the list needs no allocation per operation
// (container/list allocates an Element for every insert).
type entry[K comparable, V any] struct {
	key        K
	value      V
	size       int64
	prev, next int
}

// head is the index of the list's sentinel: entries[head].next is the most
// recently used entry and entries[head].prev the least; an empty list is the
// sentinel linked to itself.
const head = 0

// LRU is a least-recently-used cache: when it is full, the entry used
// longest ago makes room. Get, Put and Delete take O(1) time: a map finds an
// entry, and a doubly linked list kept in recency order finds the victim.
//
// An LRU is not safe for concurrent use.
type LRU[K comparable, V any] struct {
	cfg Config[K, V]
	// index maps every cached key to its slot in entries.
	index map[K]int
	// entries[head] is the list sentinel; every other slot is either on the
	// list (and in index) or on the free list.
	entries []entry[K, V]
	// free is the first free slot, chained through entry.next; 0 if none.
	free int
	// bytes is the sum of size over cached entries; bytes <= MaxBytes when
	// MaxBytes > 0, and len(index) <= MaxEntries when MaxEntries > 0.
	bytes int64
	stats Stats
}

// New returns an empty LRU, or an error naming the bad field of cfg.
func New[K comparable, V any](cfg Config[K, V]) (*LRU[K, V], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hint := min(cfg.MaxEntries, 1<<16)
	c := &LRU[K, V]{
		cfg:     cfg,
		index:   make(map[K]int, hint),
		entries: make([]entry[K, V], 1, hint+1),
	}
	return c, nil
}

// Get returns the value cached for key and marks it most recently used.
func (c *LRU[K, V]) Get(key K) (value V, ok bool) {
	i, ok := c.index[key]
	if !ok {
		c.stats.Misses++
		return value, false
	}
	c.stats.Hits++
	c.moveToFront(i)
	return c.entries[i].value, true
}

// Peek returns the value cached for key without marking it used or
// counting a hit or miss.
func (c *LRU[K, V]) Peek(key K) (value V, ok bool) {
	i, ok := c.index[key]
	if !ok {
		return value, false
	}
	return c.entries[i].value, true
}

// Contains reports whether key is cached, without marking it used.
func (c *LRU[K, V]) Contains(key K) bool {
	_, ok := c.index[key]
	return ok
}

// Put caches value under key as the most recently used entry, evicting
// least recently used entries until the cache is within its bounds again.
// An entry larger than MaxBytes is refused with ErrTooLarge, and any older
// value for key is dropped, so the cache never serves a value its caller
// has replaced.
func (c *LRU[K, V]) Put(key K, value V) error {
	var size int64
	if c.cfg.Size != nil {
		size = c.cfg.Size(key, value)
	}
	if size < 0 {
		c.Delete(key)
		return fmt.Errorf("cache: Size of key %v is %d, want >= 0", key, size)
	}
	if c.cfg.MaxBytes > 0 && size > c.cfg.MaxBytes {
		c.Delete(key)
		return fmt.Errorf("%w: key %v has size %d, the cache holds %d bytes", ErrTooLarge, key, size, c.cfg.MaxBytes)
	}
	if i, ok := c.index[key]; ok {
		e := &c.entries[i]
		c.bytes += size - e.size
		e.value, e.size = value, size
		c.moveToFront(i)
	} else {
		i := c.alloc()
		c.entries[i] = entry[K, V]{key: key, value: value, size: size}
		c.linkFront(i)
		c.index[key] = i
		c.bytes += size
	}
	// The new entry is at the front and fits on its own, so evicting from
	// the back never reaches it.
	for c.overBound() {
		c.evict()
	}
	return nil
}

// Delete removes key and reports whether it was cached. OnEvict is not
// called: nothing was evicted.
func (c *LRU[K, V]) Delete(key K) bool {
	i, ok := c.index[key]
	if !ok {
		return false
	}
	c.remove(i)
	return true
}

// Len is the number of cached entries.
func (c *LRU[K, V]) Len() int { return len(c.index) }

// Bytes is the sum of the sizes of the cached entries.
func (c *LRU[K, V]) Bytes() int64 { return c.bytes }

// Stats returns the counters.
func (c *LRU[K, V]) Stats() Stats { return c.stats }

// Keys returns the cached keys, most recently used first.
func (c *LRU[K, V]) Keys() []K {
	keys := make([]K, 0, len(c.index))
	for i := c.entries[head].next; i != head; i = c.entries[i].next {
		keys = append(keys, c.entries[i].key)
	}
	return keys
}

// Oldest returns the least recently used entry, the next to be evicted.
func (c *LRU[K, V]) Oldest() (key K, value V, ok bool) {
	i := c.entries[head].prev
	if i == head {
		return key, value, false
	}
	return c.entries[i].key, c.entries[i].value, true
}

func (c *LRU[K, V]) overBound() bool {
	return (c.cfg.MaxEntries > 0 && len(c.index) > c.cfg.MaxEntries) ||
		(c.cfg.MaxBytes > 0 && c.bytes > c.cfg.MaxBytes)
}

// evict removes the least recently used entry and reports it.
func (c *LRU[K, V]) evict() {
	i := c.entries[head].prev
	if i == head {
		panic("cache: over bound with nothing to evict")
	}
	key, value := c.entries[i].key, c.entries[i].value
	c.remove(i)
	c.stats.Evictions++
	if c.cfg.OnEvict != nil {
		c.cfg.OnEvict(key, value)
	}
}

func (c *LRU[K, V]) remove(i int) {
	c.unlink(i)
	delete(c.index, c.entries[i].key)
	c.bytes -= c.entries[i].size
	// Clear the slot so it holds no reference to the key or value, then
	// chain it onto the free list.
	c.entries[i] = entry[K, V]{next: c.free}
	c.free = i
}

func (c *LRU[K, V]) alloc() int {
	if c.free != 0 {
		i := c.free
		c.free = c.entries[i].next
		return i
	}
	c.entries = append(c.entries, entry[K, V]{})
	return len(c.entries) - 1
}

func (c *LRU[K, V]) moveToFront(i int) {
	if c.entries[head].next == i {
		return
	}
	c.unlink(i)
	c.linkFront(i)
}

func (c *LRU[K, V]) linkFront(i int) {
	first := c.entries[head].next
	c.entries[i].prev, c.entries[i].next = head, first
	c.entries[first].prev = i
	c.entries[head].next = i
}

func (c *LRU[K, V]) unlink(i int) {
	p, n := c.entries[i].prev, c.entries[i].next
	c.entries[p].next = n
	c.entries[n].prev = p
}
