package shard

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
)

// Sharder decides which shard holds a key.
type Sharder interface {
	// Shards is how many shards there are; shards are numbered from 0.
	Shards() int
	// Shard is the shard key lives on.
	Shard(key string) int
	// ShardsFor lists, sorted, the shards a scan of keys in [from, to)
	// must ask.
	ShardsFor(from, to string) []int
	// Name says which scheme this is: "range", "hash", "directory".
	Name() string
}

// ErrConfig is wrapped by the constructors' errors.
var ErrConfig = errors.New("shard: bad configuration")

// ByHash places a key on hash(key) mod n: 64-bit FNV-1a, finished with
// splitmix64's mixer. FNV alone mixes its low bits poorly (mod 4 they
// depend only on the low two bits of each byte), so sequential decimal
// keys would split into a suspiciously perfect round robin.
type ByHash struct{ n int }

// NewByHash returns hash sharding over n shards.
func NewByHash(n int) (*ByHash, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d shards", ErrConfig, n)
	}
	return &ByHash{n: n}, nil
}

func (h *ByHash) Shards() int  { return h.n }
func (h *ByHash) Name() string { return "hash" }

func (h *ByHash) Shard(key string) int {
	f := fnv.New64a()
	f.Write([]byte(key))
	return int(mix(f.Sum64()) % uint64(h.n))
}

// mix is splitmix64's finaliser: every output bit depends on every input
// bit.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// ShardsFor is every shard: hashing scatters neighbouring keys.
func (h *ByHash) ShardsFor(from, to string) []int { return allShards(h.n) }

// ByRange places a key by split points: shard 0 holds keys below
// Bounds[0], shard i keys in [Bounds[i-1], Bounds[i]), the last shard
// everything from the last bound up.
type ByRange struct{ bounds []string }

// NewByRange returns range sharding with the given split points, which
// must be strictly increasing; there is one shard more than split points.
func NewByRange(bounds []string) (*ByRange, error) {
	for i := 1; i < len(bounds); i++ {
		if bounds[i] <= bounds[i-1] {
			return nil, fmt.Errorf("%w: split points %q and %q are not increasing", ErrConfig, bounds[i-1], bounds[i])
		}
	}
	return &ByRange{bounds: slices.Clone(bounds)}, nil
}

func (r *ByRange) Shards() int  { return len(r.bounds) + 1 }
func (r *ByRange) Name() string { return "range" }

func (r *ByRange) Shard(key string) int {
	// The number of bounds <= key is the shard.
	return sort.Search(len(r.bounds), func(i int) bool { return r.bounds[i] > key })
}

// ShardsFor is the shards whose ranges overlap [from, to).
func (r *ByRange) ShardsFor(from, to string) []int {
	if to <= from {
		return nil
	}
	first, last := r.Shard(from), r.Shard(to)
	if last > first && r.bounds[last-1] == to {
		last-- // to itself is excluded
	}
	out := make([]int, 0, last-first+1)
	for s := first; s <= last; s++ {
		out = append(out, s)
	}
	return out
}

// SplitEvenly picks n-1 split points that divide keys (in any order) into
// n ranges of nearly equal size: what an operator does when sharding a
// table that already holds keys.
func SplitEvenly(keys []string, n int) ([]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d shards", ErrConfig, n)
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	if len(sorted) < n {
		return nil, fmt.Errorf("%w: %d distinct keys cannot be split %d ways", ErrConfig, len(sorted), n)
	}
	bounds := make([]string, 0, n-1)
	for i := 1; i < n; i++ {
		bounds = append(bounds, sorted[i*len(sorted)/n])
	}
	return bounds, nil
}

// Directory keeps a table of where each key lives. A key not in the table
// is placed, when first asked for, on the shard holding the fewest keys
// (the lowest-numbered on a tie), and stays there until moved.
type Directory struct {
	n     int
	table map[string]int
	count []int // keys per shard
}

// NewDirectory returns an empty directory over n shards.
func NewDirectory(n int) (*Directory, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d shards", ErrConfig, n)
	}
	return &Directory{n: n, table: map[string]int{}, count: make([]int, n)}, nil
}

func (d *Directory) Shards() int  { return d.n }
func (d *Directory) Name() string { return "directory" }

// Shard looks key up, placing it first if it is new.
func (d *Directory) Shard(key string) int {
	if s, ok := d.table[key]; ok {
		return s
	}
	s := 0
	for i, c := range d.count {
		if c < d.count[s] {
			s = i
		}
	}
	d.table[key] = s
	d.count[s]++
	return s
}

// Lookup finds key without placing it.
func (d *Directory) Lookup(key string) (int, bool) {
	s, ok := d.table[key]
	return s, ok
}

// Move puts key on shard s: rebalancing one key at a time, which only a
// directory can do. (Moving the data itself is the caller's job.)
func (d *Directory) Move(key string, s int) error {
	if s < 0 || s >= d.n {
		return fmt.Errorf("%w: shard %d of %d", ErrConfig, s, d.n)
	}
	if old, ok := d.table[key]; ok {
		d.count[old]--
	}
	d.table[key] = s
	d.count[s]++
	return nil
}

// ShardsFor is exactly the shards holding keys in [from, to): the table
// knows.
func (d *Directory) ShardsFor(from, to string) []int {
	seen := make([]bool, d.n)
	for k, s := range d.table {
		if k >= from && k < to {
			seen[s] = true
		}
	}
	var out []int
	for s, ok := range seen {
		if ok {
			out = append(out, s)
		}
	}
	return out
}

func allShards(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Spread sums up a load per shard: the most loaded shard against the mean.
// 1.0 is perfectly even; n means everything on one of n shards.
func Spread(load []int) (maxOverMean float64) {
	total, most := 0, 0
	for _, l := range load {
		total += l
		most = max(most, l)
	}
	if total == 0 {
		return 0
	}
	return float64(most) * float64(len(load)) / float64(total)
}
