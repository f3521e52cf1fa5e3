package shard_test

import (
	"fmt"
	"testing"

	"github.com/dsimlab/dsim/storage/shard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestRangeShardBoundaries(t *testing.T) {
	r, err := shard.NewByRange([]string{"g", "p"})
	require.NoError(t, err)
	for _, tc := range []struct {
		key  string
		want int
	}{{"a", 0}, {"f", 0}, {"g", 1}, {"o", 1}, {"p", 2}, {"z", 2}} {
		assert.Equal(t, tc.want, r.Shard(tc.key), tc.key)
	}
	for _, tc := range []struct {
		from, to string
		want     []int
	}{{"a", "c", []int{0}}, {"a", "g", []int{0}}, {"a", "h", []int{0, 1}}, {"h", "q", []int{1, 2}}, {"c", "c", nil}} {
		assert.Equal(t, tc.want, r.ShardsFor(tc.from, tc.to), "[%s, %s)", tc.from, tc.to)
	}
}

func TestBadConfigurationsAreRefused(t *testing.T) {
	_, err := shard.NewByRange([]string{"p", "g"})
	assert.ErrorIs(t, err, shard.ErrConfig)
	_, err = shard.NewByHash(0)
	assert.ErrorIs(t, err, shard.ErrConfig)
	_, err = shard.NewDirectory(-1)
	assert.ErrorIs(t, err, shard.ErrConfig)
	_, err = shard.SplitEvenly([]string{"a"}, 2)
	assert.ErrorContains(t, err, "1 distinct keys cannot be split 2 ways")
	d, _ := shard.NewDirectory(2)
	assert.ErrorIs(t, d.Move("k", 2), shard.ErrConfig)
}

// Sequential keys: range sharding piles every new key on the last shard,
// hashing and a directory spread them.
func TestSequentialKeysHotSpot(t *testing.T) {
	var old, fresh []string
	for i := range 4000 {
		old = append(old, fmt.Sprintf("id-%06d", i))
		fresh = append(fresh, fmt.Sprintf("id-%06d", 4000+i))
	}
	bounds, err := shard.SplitEvenly(old, 4)
	require.NoError(t, err)
	byRange, _ := shard.NewByRange(bounds)
	byHash, _ := shard.NewByHash(4)
	dir, _ := shard.NewDirectory(4)
	spread := map[string]float64{}
	for _, s := range []shard.Sharder{byRange, byHash, dir} {
		oldLoad, load := make([]int, 4), make([]int, 4)
		for _, k := range old {
			oldLoad[s.Shard(k)]++
		}
		for _, k := range fresh {
			load[s.Shard(k)]++
		}
		assert.InDelta(t, 1.0, shard.Spread(oldLoad), 0.1, "%s spreads the keys it was split over", s.Name())
		spread[s.Name()] = shard.Spread(load)
	}
	assert.Equal(t, 4.0, spread["range"], "every new key on one shard")
	assert.Less(t, spread["hash"], 1.1)
	assert.Equal(t, 1.0, spread["directory"])
}

// Properties every sharder keeps: a key's shard is in range and stable,
// and a scan asks every shard that holds a key in its range.
func TestShardersAgreeWithTheirScans(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 8).Draw(t, "n")
		keys := rapid.SliceOfNDistinct(rapid.StringMatching(`[a-z]{1,4}`), n, 60, rapid.ID[string]).Draw(t, "keys")
		bounds, err := shard.SplitEvenly(keys, n)
		if err != nil {
			t.Fatalf("%v", err)
		}
		byRange, err := shard.NewByRange(bounds)
		if err != nil {
			t.Fatalf("%v", err)
		}
		byHash, _ := shard.NewByHash(n)
		dir, _ := shard.NewDirectory(n)
		from := rapid.StringMatching(`[a-z]{0,3}`).Draw(t, "from")
		to := rapid.StringMatching(`[a-z]{1,3}`).Draw(t, "to")
		for _, s := range []shard.Sharder{byRange, byHash, dir} {
			for _, k := range keys {
				sh := s.Shard(k)
				if sh < 0 || sh >= n || s.Shard(k) != sh {
					t.Fatalf("%s: key %q on shard %d of %d, or moved", s.Name(), k, sh, n)
				}
			}
			asked := map[int]bool{}
			for _, sh := range s.ShardsFor(from, to) {
				asked[sh] = true
			}
			for _, k := range keys {
				if k >= from && k < to && !asked[s.Shard(k)] {
					t.Fatalf("%s: scan [%q, %q) misses shard %d holding %q", s.Name(), from, to, s.Shard(k), k)
				}
			}
		}
	})
}
