package clock_test

import (
	"math"
	"testing"
	"time"

	"github.com/dsimlab/dsim/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// at is the physical time ms milliseconds after epoch.
func at(ms int64) time.Time { return epoch.Add(time.Duration(ms) * time.Millisecond) }

// ts is the timestamp with wall time ms milliseconds after epoch.
func ts(ms int64, logical uint32) clock.Timestamp {
	return clock.Timestamp{WallTime: at(ms).UnixNano(), Logical: logical}
}

func TestHLCNow(t *testing.T) {
	var c clock.HLC
	assert.True(t, c.Last().IsZero())
	assert.Equal(t, ts(10, 0), c.Now(at(10)), "physical time moved: take it, counter 0")
	assert.Equal(t, ts(10, 1), c.Now(at(10)), "physical time stood still: count")
	assert.Equal(t, ts(10, 2), c.Now(at(7)), "physical time went backwards: keep l, count")
	assert.Equal(t, ts(11, 0), c.Now(at(11)), "physical time caught up: counter back to 0")
	assert.Equal(t, ts(11, 0), c.Last(), "Last does not tick")
}

// The four cases of the receive rule in Kulkarni et al., Figure 5.
func TestHLCUpdate(t *testing.T) {
	tests := []struct {
		name         string
		last, remote clock.Timestamp
		pt           int64
		want         clock.Timestamp
	}{
		{"physical time is ahead of both", ts(5, 3), ts(6, 4), 9, ts(9, 0)},
		{"local and remote share l: max counter + 1", ts(8, 3), ts(8, 5), 2, ts(8, 6)},
		{"local l is largest: local counter + 1", ts(8, 3), ts(6, 9), 2, ts(8, 4)},
		{"remote l is largest: remote counter + 1", ts(5, 3), ts(8, 1), 2, ts(8, 2)},
		{"remote l equals physical time: remote counter + 1", ts(5, 3), ts(8, 1), 8, ts(8, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c clock.HLC
			// Bring the clock to tt.last: an update from a peer at tt.last
			// with physical time 0 lands one logical step past it.
			_, err := c.Update(at(0), clock.Timestamp{WallTime: tt.last.WallTime, Logical: tt.last.Logical - 1})
			require.NoError(t, err)
			require.Equal(t, tt.last, c.Last())

			got, err := c.Update(at(tt.pt), tt.remote)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.True(t, tt.last.Less(got), "later than the clock's last timestamp")
			assert.True(t, tt.remote.Less(got), "later than the message's timestamp")
		})
	}
}

func TestHLCMaxOffset(t *testing.T) {
	c := clock.HLC{MaxOffset: 50 * time.Millisecond}
	before := c.Now(at(100))

	_, err := c.Update(at(100), ts(151, 0))
	require.ErrorIs(t, err, clock.ErrClockOffset, "51ms ahead with a 50ms limit")
	assert.Contains(t, err.Error(), "51000000ns ahead")
	assert.Equal(t, before, c.Last(), "a refused timestamp leaves the clock alone")

	got, err := c.Update(at(100), ts(150, 0))
	require.NoError(t, err, "exactly at the limit is accepted")
	assert.Equal(t, ts(150, 1), got)

	got, err = c.Update(at(100), ts(-1e9, 0))
	require.NoError(t, err, "a remote far behind is fine: it cannot drag the clock")
	assert.Equal(t, ts(150, 2), got)

	var unchecked clock.HLC
	got, err = unchecked.Update(at(100), ts(1e6, 0))
	require.NoError(t, err, "without MaxOffset nothing is refused")
	assert.Equal(t, ts(1e6, 1), got)
}

func TestHLCLogicalCarry(t *testing.T) {
	var c clock.HLC
	full := clock.Timestamp{WallTime: at(5).UnixNano(), Logical: math.MaxUint32}
	got, err := c.Update(at(5), full)
	require.NoError(t, err)
	assert.Equal(t, clock.Timestamp{WallTime: full.WallTime + 1}, got,
		"the counter is full: it carries into l, 1ns ahead")
	next := c.Now(at(5))
	assert.Equal(t, clock.Timestamp{WallTime: full.WallTime + 1, Logical: 1}, next)

	_, err = c.Update(at(5), clock.Timestamp{WallTime: math.MaxInt64, Logical: math.MaxUint32})
	require.ErrorIs(t, err, clock.ErrTimestampOverflow)
	assert.Equal(t, next, c.Last())
}

func TestHLCRefusesBrokenPhysicalClock(t *testing.T) {
	var c clock.HLC
	assert.Panics(t, func() { c.Now(time.Time{}) }, "the zero time.Time is not a clock reading")
}

func TestTimestampOrderAndString(t *testing.T) {
	tests := []struct {
		a, b clock.Timestamp
		cmp  int
	}{
		{ts(1, 0), ts(1, 0), 0},
		{ts(1, 5), ts(2, 0), -1},
		{ts(2, 0), ts(1, 5), 1},
		{ts(1, 1), ts(1, 2), -1},
		{ts(1, 2), ts(1, 1), 1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.cmp, tt.a.Compare(tt.b), "%v vs %v", tt.a, tt.b)
		assert.Equal(t, tt.cmp < 0, tt.a.Less(tt.b))
	}
	assert.Equal(t, "1767225600.002000000,3", ts(2, 3).String())
	assert.Equal(t, "0.000000007,0", clock.Timestamp{WallTime: 7}.String())
	assert.Equal(t, "-1.500000000,1", clock.Timestamp{WallTime: -1.5e9, Logical: 1}.String())
}
