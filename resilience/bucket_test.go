package resilience_test

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/resilience"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"pgregory.net/rapid"
)

func TestTokenBucketScript(t *testing.T) {
	ms := time.Millisecond
	b, err := resilience.NewTokenBucket(100*ms, 3, t0)
	require.NoError(t, err)
	steps := []struct {
		at   time.Duration
		n    int
		want bool
		why  string
	}{
		{0, 1, true, "starts full: 3 tokens"},
		{0, 1, true, "2 left"},
		{0, 1, true, "1 left"},
		{0, 1, false, "empty"},
		{99 * ms, 1, false, "refill not yet complete"},
		{100 * ms, 1, true, "one token refilled"},
		{300 * ms, 3, false, "only 2 refilled"},
		{300 * ms, 2, true, "2 refilled"},
		{10 * time.Second, 4, false, "never more than the burst"},
		{10 * time.Second, 3, true, "full again, but no fuller"},
		{10 * time.Second, 1, false, "empty"},
	}
	for i, s := range steps {
		assert.Equal(t, s.want, b.AllowN(at(s.at), s.n), "step %d: %s", i, s.why)
	}
	assert.Equal(t, resilience.LimiterStats{Admitted: 6, Rejected: 5}, b.Stats())
	assert.Equal(t, 100*ms, b.Delay(at(10*time.Second)))
	assert.Equal(t, 30*ms, b.Delay(at(10*time.Second+70*ms)))
	assert.Equal(t, time.Duration(0), b.Delay(at(11*time.Second)))
	assert.Equal(t, 3, b.Tokens(at(time.Hour)))
}

func TestTokenBucketBadArgs(t *testing.T) {
	_, err := resilience.NewTokenBucket(0, 1, t0)
	require.ErrorIs(t, err, resilience.ErrInvalidConfig)
	_, err = resilience.NewTokenBucket(time.Second, 0, t0)
	require.ErrorIs(t, err, resilience.ErrInvalidConfig)
	_, err = resilience.NewTokenBucket(time.Hour, 1<<62, t0)
	require.ErrorIs(t, err, resilience.ErrInvalidConfig)
}

type request struct {
	at time.Duration
	n  int
}

// drawRequests draws request times on a grid of 1/64 s, so that
// golang.org/x/time/rate's float64 arithmetic is exact and can serve as an
// oracle without rounding disagreements at the boundaries.
func drawRequests(t *rapid.T, burst int) []request {
	const grid = time.Second / 64
	gaps := rapid.SliceOfN(rapid.IntRange(0, 40), 1, 200).Draw(t, "gaps")
	reqs := make([]request, len(gaps))
	var now time.Duration
	for i, g := range gaps {
		now += time.Duration(g) * grid
		reqs[i] = request{at: now, n: rapid.IntRange(1, burst+1).Draw(t, "n")}
	}
	return reqs
}

// The token bucket admits exactly what golang.org/x/time/rate admits, given
// the same rate, burst and requests; and in every window of length d it
// admits at most burst + d/every tokens.
func TestTokenBucketProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Intervals whose rates (8, 4, 2, 1, 0.5 per second) are exact floats.
		every := rapid.SampledFrom([]time.Duration{
			125 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
		}).Draw(t, "every")
		burst := rapid.IntRange(1, 5).Draw(t, "burst")
		reqs := drawRequests(t, burst)

		b, err := resilience.NewTokenBucket(every, burst, t0)
		if err != nil {
			t.Fatal(err)
		}
		oracle := rate.NewLimiter(rate.Every(every), burst)
		var admitted []request
		for i, r := range reqs {
			got := b.AllowN(at(r.at), r.n)
			want := oracle.AllowN(at(r.at), r.n)
			if got != want {
				t.Fatalf("request %d (%+v): bucket says %v, x/time/rate says %v", i, r, got, want)
			}
			if got {
				admitted = append(admitted, r)
			}
		}
		for i := range admitted {
			tokens := 0
			for j := i; j < len(admitted); j++ {
				tokens += admitted[j].n
				window := admitted[j].at - admitted[i].at
				if time.Duration(tokens)*every > time.Duration(burst)*every+window {
					t.Fatalf("%d tokens admitted in a window of %v (burst %d, every %v)", tokens, window, burst, every)
				}
			}
		}
	})
}

func TestLeakyBucketScript(t *testing.T) {
	ms := time.Millisecond
	b, err := resilience.NewLeakyBucket(100*ms, 3)
	require.NoError(t, err)
	steps := []struct {
		at     time.Duration
		ok     bool
		depart time.Duration
		why    string
	}{
		{0, true, 0, "empty bucket: leaves at once"},
		{0, true, 100 * ms, "queued behind the first"},
		{0, true, 200 * ms, "third slot"},
		{0, false, 0, "full"},
		{100 * ms, true, 300 * ms, "the first has drained: room for one"},
		{150 * ms, false, 0, "full again"},
		{1000 * ms, true, 1000 * ms, "drained: leaves at once"},
	}
	for i, s := range steps {
		depart, ok := b.Offer(at(s.at))
		require.Equal(t, s.ok, ok, "step %d: %s", i, s.why)
		if ok {
			assert.Equal(t, at(s.depart), depart, "step %d: %s", i, s.why)
		}
	}
	assert.Equal(t, 1, b.Len(at(1050*ms)))
	assert.Equal(t, 0, b.Len(at(1100*ms)))
	assert.Equal(t, resilience.LimiterStats{Admitted: 5, Rejected: 2}, b.Stats())
	_, err = resilience.NewLeakyBucket(0, 1)
	require.ErrorIs(t, err, resilience.ErrInvalidConfig)
	_, err = resilience.NewLeakyBucket(time.Second, 0)
	require.ErrorIs(t, err, resilience.ErrInvalidConfig)
}

// Whatever pours in, what leaks out is spaced at least one interval apart,
// never departs before it arrived, and the bucket never holds more than its
// capacity.
func TestLeakyBucketProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		interval := time.Duration(rapid.IntRange(1, 100).Draw(t, "intervalMs")) * time.Millisecond
		capacity := rapid.IntRange(1, 6).Draw(t, "capacity")
		b, err := resilience.NewLeakyBucket(interval, capacity)
		if err != nil {
			t.Fatal(err)
		}
		gaps := rapid.SliceOfN(rapid.IntRange(0, 150), 1, 200).Draw(t, "gapsMs")
		now := t0
		var departs []time.Time
		for _, g := range gaps {
			now = now.Add(time.Duration(g) * time.Millisecond)
			depart, ok := b.Offer(now)
			if n := b.Len(now); n > capacity {
				t.Fatalf("bucket holds %d > capacity %d", n, capacity)
			}
			if !ok {
				continue
			}
			if depart.Before(now) {
				t.Fatalf("departs at %v before arriving at %v", depart, now)
			}
			if k := len(departs); k > 0 && depart.Sub(departs[k-1]) < interval {
				t.Fatalf("departures %v and %v closer than %v", departs[k-1], depart, interval)
			}
			// Queued requests (those departing after now) plus this one fit.
			queued := 0
			for _, d := range departs {
				if d.Add(interval).After(now) {
					queued++
				}
			}
			if queued >= capacity {
				t.Fatalf("admitted with %d already in a bucket of %d", queued, capacity)
			}
			departs = append(departs, depart)
		}
	})
}
