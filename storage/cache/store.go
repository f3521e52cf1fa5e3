package cache

import "fmt"

// Store is the origin behind a cache: the database, the origin server, the
// slow thing a cache exists to spare. The patterns in this package call it
// synchronously, so it stands for an origin on the same node (a local
// database, a node's Disk); an origin on another node is reached by
// messages, and a node then uses the cache-aside pattern with a Coalescer
// (see the package doc).
type Store[K comparable, V any] interface {
	// Get returns the value stored under key; ok is false if there is none.
	Get(key K) (value V, ok bool, err error)
	// Put stores value under key.
	Put(key K, value V) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key K) error
}

// MapStore is an in-memory Store that counts its operations, to stand in
// for a database in tests and exercises: the counts show how much work a
// cache saved the origin.
type MapStore[K comparable, V any] struct {
	data map[K]V
	// Err, if set, is returned by every operation, which then does nothing:
	// the origin is down.
	Err error

	Reads, Writes, Deletes int
}

// NewMapStore returns an empty MapStore.
func NewMapStore[K comparable, V any]() *MapStore[K, V] {
	return &MapStore[K, V]{data: make(map[K]V)}
}

// Get implements Store.
func (s *MapStore[K, V]) Get(key K) (value V, ok bool, err error) {
	if s.Err != nil {
		return value, false, fmt.Errorf("cache: origin get %v: %w", key, s.Err)
	}
	s.Reads++
	value, ok = s.data[key]
	return value, ok, nil
}

// Put implements Store.
func (s *MapStore[K, V]) Put(key K, value V) error {
	if s.Err != nil {
		return fmt.Errorf("cache: origin put %v: %w", key, s.Err)
	}
	s.Writes++
	s.data[key] = value
	return nil
}

// Delete implements Store.
func (s *MapStore[K, V]) Delete(key K) error {
	if s.Err != nil {
		return fmt.Errorf("cache: origin delete %v: %w", key, s.Err)
	}
	s.Deletes++
	delete(s.data, key)
	return nil
}

// Len is the number of stored keys.
func (s *MapStore[K, V]) Len() int { return len(s.data) }

// Peek returns the value stored under key without counting a read: for
// tests that check what reached the origin.
func (s *MapStore[K, V]) Peek(key K) (value V, ok bool) {
	value, ok = s.data[key]
	return value, ok
}
