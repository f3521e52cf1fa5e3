package resilience_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dsimlab/dsim/resilience"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestBackoffCeiling(t *testing.T) {
	b := resilience.Backoff{Base: 100 * time.Millisecond, Cap: time.Second, Multiplier: 2}
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{2, 400 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{4, time.Second}, // 1.6s capped
		{1000, time.Second},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, b.Ceiling(tt.attempt), "attempt %d", tt.attempt)
	}
	// No overflow even when the cap is the largest duration there is.
	huge := resilience.Backoff{Base: time.Second, Cap: math.MaxInt64, Multiplier: 10}
	assert.Equal(t, time.Duration(math.MaxInt64), huge.Ceiling(100))
	assert.Equal(t, 1000*time.Second, huge.Ceiling(3))
}

func TestBackoffNoJitterIsDeterministic(t *testing.T) {
	b := resilience.Backoff{Base: 10 * time.Millisecond, Cap: time.Second, Multiplier: 3, Jitter: resilience.NoJitter}
	rng := rand.New(rand.NewPCG(1, 2))
	var got []time.Duration
	for n := range 6 {
		got = append(got, b.Next(n, 0, rng))
	}
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{10 * ms, 30 * ms, 90 * ms, 270 * ms, 810 * ms, time.Second}, got)
}

func TestRetrierStopsAtMaxAttempts(t *testing.T) {
	r, err := resilience.NewRetrier(resilience.Backoff{Base: time.Millisecond, Cap: time.Second, Multiplier: 2, MaxAttempts: 3})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	w, ok := r.Next(rng)
	assert.True(t, ok)
	assert.Equal(t, time.Millisecond, w)
	w, ok = r.Next(rng)
	assert.True(t, ok)
	assert.Equal(t, 2*time.Millisecond, w)
	_, ok = r.Next(rng) // 3 tries made: the first and two retries
	assert.False(t, ok)
	assert.Equal(t, 2, r.Retries())
	r.Reset()
	w, ok = r.Next(rng)
	assert.True(t, ok)
	assert.Equal(t, time.Millisecond, w)
}

func TestBackoffConfigErrors(t *testing.T) {
	require.NoError(t, resilience.DefaultBackoff().Validate())
	bad := []resilience.Backoff{
		{Base: 0, Cap: time.Second, Multiplier: 2},
		{Base: time.Second, Cap: time.Millisecond, Multiplier: 2},
		{Base: time.Second, Cap: time.Second, Multiplier: 0},
		{Base: time.Second, Cap: time.Second, Multiplier: 2, MaxAttempts: -1},
		{Base: time.Second, Cap: time.Second, Multiplier: 2, Jitter: 9},
	}
	for _, b := range bad {
		_, err := resilience.NewRetrier(b)
		require.ErrorIs(t, err, resilience.ErrInvalidConfig, "%+v", b)
	}
}

// Every wait is within [0, Cap]; full jitter stays within [0, ceiling(n)],
// equal jitter within [ceiling(n)/2, ceiling(n)], decorrelated within
// [Base, min(Cap, 3*prev)].
func TestBackoffBoundsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := resilience.Backoff{
			Base:       time.Duration(rapid.Int64Range(1, int64(time.Second)).Draw(t, "base")),
			Multiplier: rapid.IntRange(1, 10).Draw(t, "mult"),
			Jitter:     resilience.Jitter(rapid.IntRange(0, 3).Draw(t, "jitter")),
		}
		b.Cap = b.Base + time.Duration(rapid.Int64Range(0, math.MaxInt64-int64(b.Base)).Draw(t, "capExtra"))
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		prev := time.Duration(0)
		for n := range 80 {
			w := b.Next(n, prev, rng)
			c := b.Ceiling(n)
			if w < 0 || w > b.Cap {
				t.Fatalf("attempt %d: wait %v outside [0, cap %v]", n, w, b.Cap)
			}
			if want := refCeiling(b, n); c != want {
				t.Fatalf("attempt %d: ceiling %v, want min(cap, base*mult^n) = %v", n, c, want)
			}
			switch b.Jitter {
			case resilience.FullJitter:
				if w > c {
					t.Fatalf("full jitter: %v > ceiling %v", w, c)
				}
			case resilience.EqualJitter:
				if w < c/2 || w > c {
					t.Fatalf("equal jitter: %v outside [%v, %v]", w, c/2, c)
				}
			case resilience.DecorrelatedJitter:
				p := max(prev, b.Base)
				if w < b.Base || (p <= b.Cap/3 && w > 3*p) {
					t.Fatalf("decorrelated: %v outside [%v, 3*%v]", w, b.Base, p)
				}
			case resilience.NoJitter:
				if w != c {
					t.Fatalf("no jitter: %v != ceiling %v", w, c)
				}
			}
			prev = w
		}
	})
}

// refCeiling is min(Cap, Base*Multiplier^n) in exact big-integer arithmetic.
func refCeiling(b resilience.Backoff, n int) time.Duration {
	p := new(big.Int).Exp(big.NewInt(int64(b.Multiplier)), big.NewInt(int64(n)), nil)
	p.Mul(p, big.NewInt(int64(b.Base)))
	if p.Cmp(big.NewInt(int64(b.Cap))) > 0 {
		return b.Cap
	}
	return time.Duration(p.Int64())
}

// Full jitter really spreads waits over the whole range, instead of
// clustering near the ceiling: a learner should see the mean near half.
func TestFullJitterSpreads(t *testing.T) {
	b := resilience.Backoff{Base: time.Second, Cap: time.Second, Multiplier: 2, Jitter: resilience.FullJitter}
	rng := rand.New(rand.NewPCG(7, 7))
	var sum time.Duration
	const n = 2000
	for range n {
		sum += b.Next(0, 0, rng)
	}
	mean := sum / n
	assert.InDelta(t, float64(500*time.Millisecond), float64(mean), float64(50*time.Millisecond))
}

func TestJitterString(t *testing.T) {
	assert.Equal(t, "decorrelated", resilience.DecorrelatedJitter.String())
	assert.Equal(t, "Jitter(9)", resilience.Jitter(9).String())
}

func TestRetryBudget(t *testing.T) {
	cfg := resilience.RetryBudgetConfig{Percent: 10, MinPerSecond: 1, MaxSaved: 5}
	b, err := resilience.NewRetryBudget(cfg, t0)
	require.NoError(t, err)
	// It starts with one second's minimum: one retry.
	assert.Equal(t, 1, b.Available(t0))
	assert.True(t, b.AllowRetry(t0))
	assert.False(t, b.AllowRetry(t0), "budget spent")

	// 30 requests earn 3 retries (10%).
	for range 30 {
		b.Request(t0)
	}
	assert.Equal(t, 3, b.Available(t0))

	// 500ms of time earns half a retry; another 500ms makes it whole.
	assert.Equal(t, 3, b.Available(at(500*time.Millisecond)))
	assert.Equal(t, 4, b.Available(at(time.Second)))

	// A long quiet spell saves up no more than MaxSaved.
	assert.Equal(t, 5, b.Available(at(time.Hour)))
	for range 5 {
		assert.True(t, b.AllowRetry(at(time.Hour)))
	}
	assert.False(t, b.AllowRetry(at(time.Hour)))
	assert.Equal(t, resilience.RetryBudgetStats{Requests: 30, Granted: 6, Denied: 2}, b.Stats())
}

// Under a total outage, where every request fails and wants a retry, the
// budget holds retries to about Percent% of requests plus the time minimum:
// no retry storm.
func TestRetryBudgetCapsRetryStorm(t *testing.T) {
	cfg := resilience.RetryBudgetConfig{Percent: 10, MinPerSecond: 5, MaxSaved: 50}
	b, err := resilience.NewRetryBudget(cfg, t0)
	require.NoError(t, err)
	now := t0
	const requests = 10000 // 1000 per second for 10 seconds
	for range requests {
		now = now.Add(time.Millisecond)
		b.Request(now)
		for b.AllowRetry(now) {
		}
	}
	// At most 10% of 10000, 10s * 5/s, and the initial 5.
	st := b.Stats()
	assert.LessOrEqual(t, st.Granted, uint64(1000+50+5))
	assert.GreaterOrEqual(t, st.Granted, uint64(1000+50))
}

func TestRetryBudgetConfigErrors(t *testing.T) {
	require.NoError(t, resilience.DefaultRetryBudgetConfig().Validate())
	for _, cfg := range []resilience.RetryBudgetConfig{
		{Percent: -1, MaxSaved: 1},
		{Percent: 101, MaxSaved: 1},
		{Percent: 10, MinPerSecond: -1, MaxSaved: 1},
		{Percent: 10, MaxSaved: 0},
		{Percent: 10, MaxSaved: 1 << 40},
	} {
		_, err := resilience.NewRetryBudget(cfg, t0)
		require.ErrorIs(t, err, resilience.ErrInvalidConfig, "%+v", cfg)
	}
}
