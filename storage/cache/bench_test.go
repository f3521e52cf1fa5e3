package cache_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/dsimlab/dsim/storage/cache"
)

// benchKeys draws keys from a range twice the cache's capacity, so about
// half the Gets miss and most Puts evict: the steady state of a busy cache.
func benchKeys(n, keyRange int) []int {
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]int, n)
	for i := range keys {
		keys[i] = rng.IntN(keyRange)
	}
	return keys
}

func BenchmarkLRUGet(b *testing.B) {
	const size = 10_000
	c, err := cache.New(cache.Config[int, int]{MaxEntries: size})
	if err != nil {
		b.Fatal(err)
	}
	for i := range size {
		_ = c.Put(i, i)
	}
	keys := benchKeys(1<<16, 2*size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.Get(keys[i&(len(keys)-1)])
	}
}

func BenchmarkLRUPut(b *testing.B) {
	const size = 10_000
	c, err := cache.New(cache.Config[int, int]{MaxEntries: size})
	if err != nil {
		b.Fatal(err)
	}
	keys := benchKeys(1<<16, 2*size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := keys[i&(len(keys)-1)]
		_ = c.Put(k, k)
	}
}

func BenchmarkLRUGetOrPut(b *testing.B) {
	const size = 10_000
	c, err := cache.New(cache.Config[string, []byte]{
		MaxBytes: size * 100,
		Size:     func(k string, v []byte) int64 { return int64(len(k) + len(v)) },
	})
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, 2*size)
	for i := range names {
		names[i] = "object-" + strconv.Itoa(i)
	}
	value := make([]byte, 90)
	keys := benchKeys(1<<16, len(names))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := names[keys[i&(len(keys)-1)]]
		if _, ok := c.Get(k); !ok {
			_ = c.Put(k, value)
		}
	}
}
