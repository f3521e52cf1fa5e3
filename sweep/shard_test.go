package sweep

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/scenarios"
)

// The N shards of a list hold every seed exactly once, interleaved.
func TestShardsPartitionTheSeeds(t *testing.T) {
	seeds, err := ParseSeeds("1-10,20")
	require.NoError(t, err)
	cases := []struct {
		spec string
		want []uint64
	}{
		{"1/1", seeds},
		{"1/3", []uint64{1, 4, 7, 10}},
		{"2/3", []uint64{2, 5, 8, 20}},
		{"3/3", []uint64{3, 6, 9}},
		{"12/12", nil}, // more shards than seeds: some are empty
	}
	for _, tc := range cases {
		s, err := ParseShard(tc.spec)
		require.NoError(t, err)
		assert.Equal(t, tc.want, s.Seeds(seeds), tc.spec)
		assert.Equal(t, tc.spec, s.String())
	}
	var all []uint64
	for k := 1; k <= 4; k++ {
		all = append(all, Shard{k, 4}.Seeds(seeds)...)
	}
	slices.Sort(all)
	assert.Equal(t, seeds, all)
}

// What a shard file holds comes back exactly: metric values to the last
// bit (NaN and infinities too), failed checks, runs that panicked.
func TestShardFileRoundTrips(t *testing.T) {
	runs := []SeedResult{
		{Seed: 3, Result: scenarios.Result{Metrics: []scenarios.Metric{{Name: "t", Value: 0.1 + 0.2, Unit: "s"}, {Name: "n", Value: math.Inf(1)}, {Name: "x", Value: math.NaN(), Unit: "ops"}}}},
		{Seed: 5, Result: scenarios.Result{Err: errors.New("no leader \"at all\"\nsecond line")}},
		{Seed: 9, Err: errors.Join(ErrPanic, errors.New("index out of range"))},
	}
	var b bytes.Buffer
	h := ShardHeader{Scenario: "x", Seeds: "3,5,9", Total: 3, Shard: "1/1"}
	require.NoError(t, WriteShard(&b, h, runs))
	f, err := ReadShard(&b, "f")
	require.NoError(t, err)
	assert.Equal(t, h, f.Header)
	require.Len(t, f.Runs, 3)
	got := f.Runs[0].Result.Metrics
	assert.Equal(t, 0.1+0.2, got[0].Value)
	assert.True(t, math.IsInf(got[1].Value, 1))
	assert.True(t, math.IsNaN(got[2].Value))
	assert.Equal(t, runs[1].Result.Err.Error(), f.Runs[1].Problem().Error())
	assert.ErrorIs(t, f.Runs[2].Err, ErrPanic)
	assert.Equal(t, runs[2].Err.Error(), f.Runs[2].Err.Error())
	sum, _, err := Merge([]ShardFile{f})
	require.NoError(t, err)
	assert.Len(t, sum.Failures(), 2)
}
