package cache_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/dsimlab/dsim/storage/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// op is one step of a scripted LRU test.
type op struct {
	do    string // "put", "get", "del"
	key   string
	value string
}

func TestLRUOrderAndEviction(t *testing.T) {
	tests := []struct {
		name    string
		max     int
		ops     []op
		keys    []string // most recent first
		evicted []string
	}{
		{"puts fill in recency order", 3,
			[]op{{"put", "a", "1"}, {"put", "b", "2"}, {"put", "c", "3"}},
			[]string{"c", "b", "a"}, nil},
		{"the oldest is evicted", 3,
			[]op{{"put", "a", "1"}, {"put", "b", "2"}, {"put", "c", "3"}, {"put", "d", "4"}},
			[]string{"d", "c", "b"}, []string{"a"}},
		{"a get protects an entry", 3,
			[]op{{"put", "a", "1"}, {"put", "b", "2"}, {"put", "c", "3"}, {"get", "a", ""}, {"put", "d", "4"}},
			[]string{"d", "a", "c"}, []string{"b"}},
		{"a put to an existing key refreshes it and evicts nothing", 3,
			[]op{{"put", "a", "1"}, {"put", "b", "2"}, {"put", "c", "3"}, {"put", "a", "9"}},
			[]string{"a", "c", "b"}, nil},
		{"a miss changes nothing", 2,
			[]op{{"put", "a", "1"}, {"put", "b", "2"}, {"get", "zz", ""}},
			[]string{"b", "a"}, nil},
		{"delete frees a slot without eviction", 2,
			[]op{{"put", "a", "1"}, {"put", "b", "2"}, {"del", "a", ""}, {"put", "c", "3"}},
			[]string{"c", "b"}, nil},
		{"capacity one", 1,
			[]op{{"put", "a", "1"}, {"put", "b", "2"}, {"get", "a", ""}, {"put", "c", "3"}},
			[]string{"c"}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var evicted []string
			c, err := cache.New(cache.Config[string, string]{
				MaxEntries: tt.max,
				OnEvict:    func(k, _ string) { evicted = append(evicted, k) },
			})
			require.NoError(t, err)
			for _, o := range tt.ops {
				switch o.do {
				case "put":
					require.NoError(t, c.Put(o.key, o.value))
				case "get":
					c.Get(o.key)
				case "del":
					c.Delete(o.key)
				}
			}
			assert.Equal(t, tt.keys, c.Keys())
			assert.Equal(t, tt.evicted, evicted)
			assert.Equal(t, len(tt.keys), c.Len())
		})
	}
}

func TestLRUCountersAndValues(t *testing.T) {
	c, err := cache.New(cache.Config[string, int]{MaxEntries: 2})
	require.NoError(t, err)
	require.NoError(t, c.Put("a", 1))
	require.NoError(t, c.Put("b", 2))
	v, ok := c.Get("a")
	assert.True(t, ok)
	assert.Equal(t, 1, v)
	_, ok = c.Get("x")
	assert.False(t, ok)
	require.NoError(t, c.Put("c", 3)) // evicts b
	_, ok = c.Peek("b")
	assert.False(t, ok)
	k, v, ok := c.Oldest()
	assert.True(t, ok)
	assert.Equal(t, "a", k)
	assert.Equal(t, 1, v)
	assert.True(t, c.Contains("c"))
	st := c.Stats()
	assert.Equal(t, cache.Stats{Hits: 1, Misses: 1, Evictions: 1}, st)
	assert.InDelta(t, 0.5, st.HitRatio(), 1e-12)
	assert.Equal(t, 0.0, cache.Stats{}.HitRatio())
}

func strSize(k, v string) int64 { return int64(len(k) + len(v)) }

func TestLRUByteBound(t *testing.T) {
	c, err := cache.New(cache.Config[string, string]{MaxBytes: 10, Size: strSize})
	require.NoError(t, err)
	require.NoError(t, c.Put("a", "1234")) // 5 bytes
	require.NoError(t, c.Put("b", "1234")) // 10 bytes
	assert.Equal(t, int64(10), c.Bytes())
	require.NoError(t, c.Put("c", "12")) // 3 more: a must go
	assert.Equal(t, []string{"c", "b"}, c.Keys())
	assert.Equal(t, int64(8), c.Bytes())
	require.NoError(t, c.Put("b", "12345678")) // b grows to 9: c must go
	assert.Equal(t, []string{"b"}, c.Keys())
	assert.Equal(t, int64(9), c.Bytes())

	err = c.Put("b", "this value is far too large")
	require.ErrorIs(t, err, cache.ErrTooLarge)
	assert.False(t, c.Contains("b"), "a refused Put drops the old value: it has been replaced")
	assert.Equal(t, int64(0), c.Bytes())
}

func TestLRUConfigErrors(t *testing.T) {
	for _, cfg := range []cache.Config[string, string]{
		{},
		{MaxEntries: -1},
		{MaxBytes: -1, MaxEntries: 1},
		{MaxBytes: 10},
	} {
		_, err := cache.New(cfg)
		require.ErrorIs(t, err, cache.ErrInvalidConfig, "%+v", cfg)
	}
	neg, err := cache.New(cache.Config[string, string]{MaxBytes: 10, Size: func(string, string) int64 { return -1 }})
	require.NoError(t, err)
	require.Error(t, neg.Put("a", "b"))
	assert.Equal(t, 0, neg.Len())
}

// modelLRU is the obvious LRU: a slice, most recent first. Slow, and easy
// to believe.
type modelLRU struct {
	maxEntries int
	maxBytes   int64
	items      []modelItem
	evicted    []string
	hits, miss uint64
}

type modelItem struct{ k, v string }

func (m *modelLRU) find(k string) int {
	return slices.IndexFunc(m.items, func(it modelItem) bool { return it.k == k })
}

func (m *modelLRU) bytes() int64 {
	var n int64
	for _, it := range m.items {
		n += strSize(it.k, it.v)
	}
	return n
}

func (m *modelLRU) get(k string) (string, bool) {
	i := m.find(k)
	if i < 0 {
		m.miss++
		return "", false
	}
	m.hits++
	it := m.items[i]
	m.items = slices.Insert(slices.Delete(m.items, i, i+1), 0, it)
	return it.v, true
}

func (m *modelLRU) put(k, v string) {
	if i := m.find(k); i >= 0 {
		m.items = slices.Delete(m.items, i, i+1)
	}
	if m.maxBytes > 0 && strSize(k, v) > m.maxBytes {
		return
	}
	m.items = slices.Insert(m.items, 0, modelItem{k, v})
	for (m.maxEntries > 0 && len(m.items) > m.maxEntries) || (m.maxBytes > 0 && m.bytes() > m.maxBytes) {
		last := m.items[len(m.items)-1]
		m.items = m.items[:len(m.items)-1]
		m.evicted = append(m.evicted, last.k)
	}
}

func (m *modelLRU) del(k string) bool {
	i := m.find(k)
	if i >= 0 {
		m.items = slices.Delete(m.items, i, i+1)
	}
	return i >= 0
}

func (m *modelLRU) keys() []string {
	ks := make([]string, len(m.items))
	for i, it := range m.items {
		ks[i] = it.k
	}
	return ks
}

// The LRU behaves exactly like the slice model under any sequence of
// operations, with count bounds, byte bounds or both, and never exceeds its
// bounds.
func TestLRUMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &modelLRU{
			maxEntries: rapid.IntRange(0, 6).Draw(t, "maxEntries"),
			maxBytes:   int64(rapid.IntRange(0, 20).Draw(t, "maxBytes")),
		}
		if m.maxEntries == 0 && m.maxBytes == 0 {
			m.maxEntries = 1
		}
		var evicted []string
		c, err := cache.New(cache.Config[string, string]{
			MaxEntries: m.maxEntries, MaxBytes: m.maxBytes, Size: strSize,
			OnEvict: func(k, _ string) { evicted = append(evicted, k) },
		})
		if err != nil {
			t.Fatal(err)
		}
		key := rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f", "g", "h"})
		value := rapid.StringMatching(`x{0,8}`)
		for step := range rapid.IntRange(1, 200).Draw(t, "steps") {
			k := key.Draw(t, "key")
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				v := value.Draw(t, "value")
				err := c.Put(k, v)
				tooLarge := m.maxBytes > 0 && strSize(k, v) > m.maxBytes
				if tooLarge != (err != nil) {
					t.Fatalf("step %d: Put(%q, %q) error %v, model says too large: %v", step, k, v, err, tooLarge)
				}
				m.put(k, v)
			case 1:
				got, ok := c.Get(k)
				want, wantOK := m.get(k)
				if got != want || ok != wantOK {
					t.Fatalf("step %d: Get(%q) = %q %v, model %q %v", step, k, got, ok, want, wantOK)
				}
			case 2:
				if got, want := c.Delete(k), m.del(k); got != want {
					t.Fatalf("step %d: Delete(%q) = %v, model %v", step, k, got, want)
				}
			}
			if !slices.Equal(c.Keys(), m.keys()) {
				t.Fatalf("step %d: keys %v, model %v", step, c.Keys(), m.keys())
			}
			if c.Bytes() != m.bytes() || c.Len() != len(m.items) {
				t.Fatalf("step %d: %d entries / %d bytes, model %d / %d", step, c.Len(), c.Bytes(), len(m.items), m.bytes())
			}
			if (m.maxBytes > 0 && c.Bytes() > m.maxBytes) || (m.maxEntries > 0 && c.Len() > m.maxEntries) {
				t.Fatalf("step %d: bounds exceeded: %d entries, %d bytes", step, c.Len(), c.Bytes())
			}
		}
		if !slices.Equal(evicted, m.evicted) {
			t.Fatalf("evicted %v, model %v", evicted, m.evicted)
		}
		if st := c.Stats(); st.Hits != m.hits || st.Misses != m.miss || st.Evictions != uint64(len(m.evicted)) {
			t.Fatalf("stats %+v, model hits %d misses %d evictions %d", st, m.hits, m.miss, len(m.evicted))
		}
	})
}

func TestLRUReusesSlots(t *testing.T) {
	c, err := cache.New(cache.Config[int, int]{MaxEntries: 4})
	require.NoError(t, err)
	for i := range 1000 {
		require.NoError(t, c.Put(i, i))
	}
	allocs := testing.AllocsPerRun(100, func() {
		for i := range 100 {
			_ = c.Put(i, i)
			c.Get(i)
		}
	})
	assert.Zero(t, allocs, "a full LRU evicts and reuses slots without allocating")
	assert.Equal(t, 4, c.Len())
	assert.Equal(t, []int{99, 98, 97, 96}, c.Keys())
}

func ExampleLRU() {
	c, err := cache.New(cache.Config[string, string]{MaxEntries: 2,
		OnEvict: func(k, v string) { fmt.Printf("evicted %s=%s\n", k, v) }})
	if err != nil {
		panic(err)
	}
	_ = c.Put("a", "apple")
	_ = c.Put("b", "banana")
	c.Get("a")               // a is now the most recent
	_ = c.Put("c", "cherry") // so b is evicted
	fmt.Println(c.Keys())
	// Output:
	// evicted b=banana
	// [c a]
}
