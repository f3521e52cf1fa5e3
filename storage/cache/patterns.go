package cache

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// ReadThrough is a cache that loads what it misses from the origin itself:
// callers ask the cache only. A miss costs one origin read; the value is
// then cached for the next caller. Writes bypass it (use WriteThrough or
// WriteBack to route writes through a cache too).
type ReadThrough[K comparable, V any] struct {
	Cache  *LRU[K, V]
	Origin Store[K, V]
}

// Get returns the value for key from the cache, or from the origin on a
// miss (caching it). ok is false if the origin has no value either; absence
// is not cached, so the next Get asks the origin again.
func (r *ReadThrough[K, V]) Get(key K) (value V, ok bool, err error) {
	if v, ok := r.Cache.Get(key); ok {
		return v, true, nil
	}
	value, ok, err = r.Origin.Get(key)
	if err != nil || !ok {
		return value, ok, err
	}
	// A value the cache refuses (too large) is still the caller's answer.
	_ = r.Cache.Put(key, value)
	return value, true, nil
}

// Invalidate drops key from the cache, so the next Get reads the origin.
func (r *ReadThrough[K, V]) Invalidate(key K) { r.Cache.Delete(key) }

// WriteThrough is a read-through cache whose writes go to the origin first
// and to the cache only once the origin has them: the cache never holds a
// value the origin lacks, at the price of an origin write on every Put.
type WriteThrough[K comparable, V any] struct {
	ReadThrough[K, V]
}

// NewWriteThrough returns a write-through cache over origin.
func NewWriteThrough[K comparable, V any](c *LRU[K, V], origin Store[K, V]) *WriteThrough[K, V] {
	return &WriteThrough[K, V]{ReadThrough[K, V]{Cache: c, Origin: origin}}
}

// Put writes value to the origin, then caches it. If the origin write
// fails, the cache drops any older value for key (the origin's state is now
// unknown) and the error is returned.
func (w *WriteThrough[K, V]) Put(key K, value V) error {
	if err := w.Origin.Put(key, value); err != nil {
		w.Cache.Delete(key)
		return err
	}
	if err := w.Cache.Put(key, value); err != nil && !isTooLarge(err) {
		return err
	}
	return nil
}

// Delete removes key from the origin and the cache.
func (w *WriteThrough[K, V]) Delete(key K) error {
	w.Cache.Delete(key)
	return w.Origin.Delete(key)
}

// WriteBack is a cache whose writes stay in the cache, marked dirty, and
// reach the origin later: when Flush is called, or when a dirty entry is
// evicted. Writes are fast and repeated writes to one key cost one origin
// write, but until the flush the origin is behind, and a crash of the cache
// loses the dirty entries — the trade a learner should see.
//
// Dirty entries are flushed in the order of their last write. If writing an
// evicted entry to the origin fails, the entry is kept aside (still served
// by Get) and retried by the next Flush.
type WriteBack[K comparable, V any] struct {
	cache  *LRU[K, V]
	origin Store[K, V]
	// dirty maps each cached key whose value the origin lacks to the
	// sequence number of its last write. Every key in dirty is in the cache.
	dirty map[K]uint64
	// unsaved holds evicted dirty entries whose origin write failed; no key
	// is both in unsaved and in the cache.
	unsaved map[K]unsavedEntry[V]
	seq     uint64
	// evictErr collects origin errors from evictions during one Put.
	evictErr  error
	userEvict func(K, V)
}

type unsavedEntry[V any] struct {
	value V
	seq   uint64
}

// NewWriteBack returns a write-back cache with the given bounds over origin.
// cfg.OnEvict, if set, is still called for each eviction, after the dirty
// value has been written to the origin.
func NewWriteBack[K comparable, V any](cfg Config[K, V], origin Store[K, V]) (*WriteBack[K, V], error) {
	w := &WriteBack[K, V]{
		origin:    origin,
		dirty:     make(map[K]uint64),
		unsaved:   make(map[K]unsavedEntry[V]),
		userEvict: cfg.OnEvict,
	}
	cfg.OnEvict = w.onEvict
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	w.cache = c
	return w, nil
}

// Cache is the underlying LRU, for its counters and contents.
func (w *WriteBack[K, V]) Cache() *LRU[K, V] { return w.cache }

// Get returns the value for key: from the cache, from the entries awaiting
// a retried write, or from the origin (caching it, clean).
func (w *WriteBack[K, V]) Get(key K) (value V, ok bool, err error) {
	if v, ok := w.cache.Get(key); ok {
		return v, true, nil
	}
	if u, ok := w.unsaved[key]; ok {
		return u.value, true, nil
	}
	value, ok, err = w.origin.Get(key)
	if err != nil || !ok {
		return value, ok, err
	}
	if err := w.cache.Put(key, value); err != nil && !isTooLarge(err) {
		return value, true, err
	}
	return value, true, w.takeEvictErr()
}

// Put caches value as dirty. It touches the origin only to write back
// dirty entries evicted to make room; an error from that is returned (the
// entry is kept for the next Flush). A value too large for the cache is
// written to the origin directly.
func (w *WriteBack[K, V]) Put(key K, value V) error {
	delete(w.unsaved, key) // superseded
	if err := w.cache.Put(key, value); err != nil {
		delete(w.dirty, key)
		if !isTooLarge(err) {
			return err
		}
		return w.origin.Put(key, value)
	}
	w.seq++
	w.dirty[key] = w.seq
	return w.takeEvictErr()
}

// Delete removes key from the cache and, at once, from the origin (a
// deletion is not buffered).
func (w *WriteBack[K, V]) Delete(key K) error {
	w.cache.Delete(key)
	delete(w.dirty, key)
	delete(w.unsaved, key)
	return w.origin.Delete(key)
}

// Dirty is the number of entries the origin does not have yet.
func (w *WriteBack[K, V]) Dirty() int { return len(w.dirty) + len(w.unsaved) }

// IsDirty reports whether key's latest value has not reached the origin.
func (w *WriteBack[K, V]) IsDirty(key K) bool {
	_, d := w.dirty[key]
	_, u := w.unsaved[key]
	return d || u
}

// Flush writes every dirty entry to the origin, in the order of their last
// writes, and marks them clean. It stops at the first origin error and
// returns it; entries not yet written stay dirty.
func (w *WriteBack[K, V]) Flush() error {
	type pending struct {
		key   K
		seq   uint64
		value V
	}
	all := make([]pending, 0, w.Dirty())
	for k, seq := range w.dirty {
		v, _ := w.cache.Peek(k)
		all = append(all, pending{k, seq, v})
	}
	for k, u := range w.unsaved {
		all = append(all, pending{k, u.seq, u.value})
	}
	// Sequence numbers are unique, so this order does not depend on the
	// map iteration above.
	slices.SortFunc(all, func(a, b pending) int { return cmp.Compare(a.seq, b.seq) })
	for _, p := range all {
		if err := w.origin.Put(p.key, p.value); err != nil {
			return fmt.Errorf("cache: write-back flush: %w", err)
		}
		delete(w.dirty, p.key)
		delete(w.unsaved, p.key)
	}
	return nil
}

// onEvict writes an evicted dirty entry back to the origin.
func (w *WriteBack[K, V]) onEvict(key K, value V) {
	if seq, ok := w.dirty[key]; ok {
		delete(w.dirty, key)
		if err := w.origin.Put(key, value); err != nil {
			w.unsaved[key] = unsavedEntry[V]{value: value, seq: seq}
			if w.evictErr == nil {
				w.evictErr = fmt.Errorf("cache: write-back of evicted key %v: %w", key, err)
			}
		}
	}
	if w.userEvict != nil {
		w.userEvict(key, value)
	}
}

func (w *WriteBack[K, V]) takeEvictErr() error {
	err := w.evictErr
	w.evictErr = nil
	return err
}

func isTooLarge(err error) bool { return err != nil && errors.Is(err, ErrTooLarge) }
