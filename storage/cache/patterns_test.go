package cache_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/dsimlab/dsim/storage/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errDown = errors.New("origin down")

func newLRU(t *testing.T, max int) *cache.LRU[string, string] {
	t.Helper()
	c, err := cache.New(cache.Config[string, string]{MaxEntries: max})
	require.NoError(t, err)
	return c
}

func TestReadThroughSparesTheOrigin(t *testing.T) {
	origin := cache.NewMapStore[string, string]()
	require.NoError(t, origin.Put("k", "v"))
	r := &cache.ReadThrough[string, string]{Cache: newLRU(t, 10), Origin: origin}
	for range 5 {
		v, ok, err := r.Get("k")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "v", v)
	}
	assert.Equal(t, 1, origin.Reads, "one miss, then four hits")

	_, ok, err := r.Get("missing")
	require.NoError(t, err)
	assert.False(t, ok)
	_, _, _ = r.Get("missing")
	assert.Equal(t, 3, origin.Reads, "absence is not cached")

	// Someone updates the origin behind the cache's back: the cache serves
	// the stale value until invalidated.
	require.NoError(t, origin.Put("k", "v2"))
	v, _, _ := r.Get("k")
	assert.Equal(t, "v", v, "stale")
	r.Invalidate("k")
	v, _, _ = r.Get("k")
	assert.Equal(t, "v2", v)

	origin.Err = errDown
	_, _, err = r.Get("other")
	require.ErrorIs(t, err, errDown)
	v, ok, err = r.Get("k")
	require.NoError(t, err, "a cached key is served while the origin is down")
	assert.True(t, ok)
	assert.Equal(t, "v2", v)
}

func TestWriteThrough(t *testing.T) {
	origin := cache.NewMapStore[string, string]()
	w := cache.NewWriteThrough(newLRU(t, 10), origin)
	require.NoError(t, w.Put("k", "v"))
	got, ok := origin.Peek("k")
	assert.True(t, ok)
	assert.Equal(t, "v", got, "the origin has the write at once")
	v, _, _ := w.Get("k")
	assert.Equal(t, "v", v)
	assert.Equal(t, 0, origin.Reads, "and the cache serves it")

	// A failed origin write leaves neither the new value nor the old one in
	// the cache.
	origin.Err = errDown
	require.ErrorIs(t, w.Put("k", "v2"), errDown)
	assert.False(t, w.Cache.Contains("k"))
	origin.Err = nil
	v, _, _ = w.Get("k")
	assert.Equal(t, "v", v, "what the origin really has")

	require.NoError(t, w.Delete("k"))
	_, ok, _ = w.Get("k")
	assert.False(t, ok)
}

func TestWriteBackFlush(t *testing.T) {
	origin := cache.NewMapStore[string, string]()
	w, err := cache.NewWriteBack(cache.Config[string, string]{MaxEntries: 10}, origin)
	require.NoError(t, err)

	for i := range 5 {
		require.NoError(t, w.Put("k", fmt.Sprint("v", i)))
	}
	require.NoError(t, w.Put("j", "x"))
	assert.Equal(t, 0, origin.Writes, "writes stay in the cache")
	assert.Equal(t, 2, w.Dirty())
	assert.True(t, w.IsDirty("k"))
	_, ok := origin.Peek("k")
	assert.False(t, ok, "the origin is behind until the flush")

	require.NoError(t, w.Flush())
	assert.Equal(t, 2, origin.Writes, "five writes to k cost one origin write")
	got, _ := origin.Peek("k")
	assert.Equal(t, "v4", got, "the last value wins")
	assert.Equal(t, 0, w.Dirty())
	require.NoError(t, w.Flush())
	assert.Equal(t, 2, origin.Writes, "a clean cache flushes nothing")
}

// Flushing writes entries in the order of their last write, and stops at
// the first origin error, leaving the rest dirty for the next flush.
func TestWriteBackFlushOrderAndFailure(t *testing.T) {
	var order []string
	origin := &recordingStore{MapStore: cache.NewMapStore[string, string](), order: &order, failAfter: -1}
	w, err := cache.NewWriteBack[string, string](cache.Config[string, string]{MaxEntries: 10}, origin)
	require.NoError(t, err)
	for _, k := range []string{"c", "a", "b", "a"} {
		require.NoError(t, w.Put(k, "v"))
	}
	origin.failAfter = 1
	require.ErrorIs(t, w.Flush(), errDown)
	assert.Equal(t, []string{"c"}, order)
	assert.Equal(t, 2, w.Dirty())
	origin.failAfter = -1
	require.NoError(t, w.Flush())
	assert.Equal(t, []string{"c", "b", "a"}, order, "a's last write came after b's")
}

func TestWriteBackWritesOnEviction(t *testing.T) {
	origin := cache.NewMapStore[string, string]()
	var evicted []string
	w, err := cache.NewWriteBack(cache.Config[string, string]{
		MaxEntries: 2,
		OnEvict:    func(k, _ string) { evicted = append(evicted, k) },
	}, origin)
	require.NoError(t, err)
	require.NoError(t, w.Put("a", "1"))
	require.NoError(t, w.Put("b", "2"))
	require.NoError(t, w.Put("c", "3")) // evicts dirty a: written back
	got, ok := origin.Peek("a")
	assert.True(t, ok)
	assert.Equal(t, "1", got)
	assert.Equal(t, []string{"a"}, evicted, "the user's hook still runs")
	assert.Equal(t, 2, w.Dirty())

	// A clean entry is evicted without an origin write.
	v, _, err := w.Get("a") // read back from the origin, clean; evicts dirty b
	require.NoError(t, err)
	assert.Equal(t, "1", v)
	writes := origin.Writes
	require.NoError(t, w.Flush()) // c only
	assert.Equal(t, writes+1, origin.Writes)
	require.NoError(t, w.Put("d", "4")) // evicts c, now clean
	assert.Equal(t, writes+1, origin.Writes, "evicting a clean entry writes nothing")
}

// If the origin is down when a dirty entry is evicted, the write is not
// lost: Put reports the error, Get still serves the value, and the next
// Flush writes it.
func TestWriteBackEvictionFailureKeepsTheValue(t *testing.T) {
	origin := cache.NewMapStore[string, string]()
	w, err := cache.NewWriteBack(cache.Config[string, string]{MaxEntries: 1}, origin)
	require.NoError(t, err)
	require.NoError(t, w.Put("a", "1"))
	origin.Err = errDown
	require.ErrorIs(t, w.Put("b", "2"), errDown)
	assert.True(t, w.IsDirty("a"))
	v, ok, err := w.Get("a")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "1", v)

	require.ErrorIs(t, w.Flush(), errDown)
	origin.Err = nil
	require.NoError(t, w.Flush())
	got, _ := origin.Peek("a")
	assert.Equal(t, "1", got)
	got, _ = origin.Peek("b")
	assert.Equal(t, "2", got)
	assert.Equal(t, 0, w.Dirty())

	require.NoError(t, w.Delete("a"))
	_, ok = origin.Peek("a")
	assert.False(t, ok, "deletes go to the origin at once")
}

// recordingStore records the order of Puts and fails after failAfter of
// them (never, if negative).
type recordingStore struct {
	*cache.MapStore[string, string]
	order     *[]string
	failAfter int
}

func (s *recordingStore) Put(k, v string) error {
	if s.failAfter >= 0 && len(*s.order) >= s.failAfter {
		return errDown
	}
	*s.order = append(*s.order, k)
	return s.MapStore.Put(k, v)
}

// Cache-aside: the application, not the cache, talks to the database. On a
// read it tries the cache and fills it on a miss; on a write it updates the
// database and then invalidates the cache entry (deleting rather than
// updating it, so two racing writers cannot leave the older value cached).
func Example_cacheAside() {
	db := cache.NewMapStore[string, string]()
	_ = db.Put("user:1", "Ada")
	c, _ := cache.New(cache.Config[string, string]{MaxEntries: 100})

	read := func(key string) string {
		if v, ok := c.Get(key); ok {
			return v
		}
		v, _, _ := db.Get(key)
		_ = c.Put(key, v)
		return v
	}
	write := func(key, value string) {
		_ = db.Put(key, value)
		c.Delete(key)
	}

	fmt.Println(read("user:1"), read("user:1"))
	write("user:1", "Ada Lovelace")
	fmt.Println(read("user:1"))
	fmt.Printf("database reads: %d, cache hits: %d\n", db.Reads, c.Stats().Hits)
	// Output:
	// Ada Ada
	// Ada Lovelace
	// database reads: 2, cache hits: 1
}
