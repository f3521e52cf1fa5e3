package resilience_test

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/resilience"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestBulkheadQueueAndPromotion(t *testing.T) {
	b, err := resilience.NewBulkhead[string](2, 1)
	require.NoError(t, err)
	assert.Equal(t, resilience.Admitted, b.Acquire("a"))
	assert.Equal(t, resilience.Admitted, b.Acquire("b"))
	assert.Equal(t, resilience.Queued, b.Acquire("c"), "slots full, queue has room")
	assert.Equal(t, resilience.Rejected, b.Acquire("d"), "slots and queue full")
	assert.False(t, b.TryAcquire())

	next, ok := b.Release() // a finishes: c gets its slot
	require.True(t, ok)
	assert.Equal(t, "c", next)
	assert.Equal(t, 2, b.InFlight())
	assert.Equal(t, 0, b.QueueLen())

	_, ok = b.Release()
	assert.False(t, ok)
	_, ok = b.Release()
	assert.False(t, ok)
	assert.Equal(t, 0, b.InFlight())
	assert.Panics(t, func() { b.Release() }, "releasing an unheld slot is a caller bug")

	assert.Equal(t, resilience.BulkheadStats{Admitted: 2, Queued: 1, Promoted: 1, Rejected: 2, MaxInFlight: 2}, b.Stats())
}

func TestBulkheadWithdraw(t *testing.T) {
	b, err := resilience.NewBulkhead[int](1, 3)
	require.NoError(t, err)
	require.Equal(t, resilience.Admitted, b.Acquire(0))
	for i := 1; i <= 3; i++ {
		require.Equal(t, resilience.Queued, b.Acquire(i))
	}
	assert.True(t, b.Withdraw(func(w int) bool { return w == 2 }), "request 2 timed out while queued")
	assert.False(t, b.Withdraw(func(w int) bool { return w == 2 }))
	next, ok := b.Release()
	assert.True(t, ok)
	assert.Equal(t, 1, next)
	next, ok = b.Release()
	assert.True(t, ok)
	assert.Equal(t, 3, next, "2 was withdrawn, FIFO otherwise")
}

func TestBulkheadBadArgs(t *testing.T) {
	_, err := resilience.NewBulkhead[int](0, 0)
	require.ErrorIs(t, err, resilience.ErrInvalidConfig)
	_, err = resilience.NewBulkhead[int](1, -1)
	require.ErrorIs(t, err, resilience.ErrInvalidConfig)
	assert.Equal(t, "queued", resilience.Queued.String())
}

// Whatever the order of acquires and releases, the bulkhead never holds more
// than its limit in flight nor more than its queue bound waiting, and every
// queued waiter is served in order.
func TestBulkheadLimitProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rapid.IntRange(1, 5).Draw(t, "limit")
		queue := rapid.IntRange(0, 5).Draw(t, "queue")
		b, err := resilience.NewBulkhead[int](limit, queue)
		if err != nil {
			t.Fatal(err)
		}
		running := 0      // calls the test believes hold a slot
		var waiting []int // waiters the test believes are queued, in order
		for i, acquire := range rapid.SliceOfN(rapid.Bool(), 1, 300).Draw(t, "ops") {
			if acquire {
				switch b.Acquire(i) {
				case resilience.Admitted:
					running++
				case resilience.Queued:
					waiting = append(waiting, i)
				}
			} else if running > 0 {
				next, ok := b.Release()
				if ok {
					if len(waiting) == 0 || next != waiting[0] {
						t.Fatalf("promoted %d, want head of queue %v", next, waiting)
					}
					waiting = waiting[1:]
				} else {
					running--
				}
			}
			if b.InFlight() > limit || running > limit {
				t.Fatalf("%d in flight, limit %d", b.InFlight(), limit)
			}
			if b.InFlight() != running || b.QueueLen() != len(waiting) {
				t.Fatalf("bulkhead says %d/%d, model %d/%d", b.InFlight(), b.QueueLen(), running, len(waiting))
			}
			if b.QueueLen() > queue {
				t.Fatalf("%d queued, bound %d", b.QueueLen(), queue)
			}
		}
	})
}

func TestDeadline(t *testing.T) {
	d := resilience.Deadline{Start: t0, Timeout: 100 * time.Millisecond}
	assert.Equal(t, at(100*time.Millisecond), d.At())
	assert.False(t, d.Expired(at(99*time.Millisecond)))
	assert.True(t, d.Expired(at(100*time.Millisecond)))
	assert.Equal(t, 40*time.Millisecond, d.Remaining(at(60*time.Millisecond)))
	assert.Equal(t, time.Duration(0), d.Remaining(at(time.Second)))
}

func TestAdaptiveTimeoutFollowsTheTail(t *testing.T) {
	cfg := resilience.AdaptiveTimeoutConfig{
		Window: 100, Percentile: 99, FactorPercent: 200,
		Min: time.Millisecond, Max: time.Second, Initial: 500 * time.Millisecond, MinSamples: 10,
	}
	a, err := resilience.NewAdaptiveTimeout(cfg)
	require.NoError(t, err)
	assert.Equal(t, 500*time.Millisecond, a.Timeout(), "too few samples: Initial")

	// 98 fast calls and 2 slow ones: the p99 (nearest rank 99 of 100) is slow.
	for range 98 {
		a.Observe(10 * time.Millisecond)
	}
	a.Observe(40 * time.Millisecond)
	a.Observe(50 * time.Millisecond)
	assert.Equal(t, 40*time.Millisecond, a.Percentile())
	assert.Equal(t, 80*time.Millisecond, a.Timeout(), "2 x p99")

	// The dependency slows down: the window forgets the fast past.
	for range 100 {
		a.Observe(700 * time.Millisecond)
	}
	assert.Equal(t, time.Second, a.Timeout(), "2 x 700ms clamped to Max")

	for _, bad := range []func(*resilience.AdaptiveTimeoutConfig){
		func(c *resilience.AdaptiveTimeoutConfig) { c.Window = 0 },
		func(c *resilience.AdaptiveTimeoutConfig) { c.Percentile = 0 },
		func(c *resilience.AdaptiveTimeoutConfig) { c.Max = 0 },
		func(c *resilience.AdaptiveTimeoutConfig) { c.Initial = 2 * time.Second },
		func(c *resilience.AdaptiveTimeoutConfig) { c.MinSamples = 101 },
	} {
		c := cfg
		bad(&c)
		_, err := resilience.NewAdaptiveTimeout(c)
		require.ErrorIs(t, err, resilience.ErrInvalidConfig)
	}
	require.NoError(t, resilience.DefaultAdaptiveTimeoutConfig().Validate())
}

func TestShedderShedsLowPriorityFirst(t *testing.T) {
	s, err := resilience.NewShedder(100, 80, 50)
	require.NoError(t, err)
	tests := []struct {
		load                        int
		critical, normal, sheddable bool
	}{
		{0, true, true, true},
		{49, true, true, true},
		{50, true, true, false},
		{79, true, true, false},
		{80, true, false, false},
		{99, true, false, false},
		{100, false, false, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.critical, s.Admit(resilience.Critical, tt.load), "critical at load %d", tt.load)
		assert.Equal(t, tt.normal, s.Admit(resilience.Default, tt.load), "default at load %d", tt.load)
		assert.Equal(t, tt.sheddable, s.Admit(resilience.Sheddable, tt.load), "sheddable at load %d", tt.load)
	}
	assert.Equal(t, resilience.ShedderStats{Admitted: 2, Shed: 5}, s.Stats(resilience.Sheddable))
	assert.Equal(t, resilience.ShedderStats{Admitted: 6, Shed: 1}, s.Stats(resilience.Critical))
	assert.False(t, s.Admit(7, 50), "an unknown low priority is treated as the lowest")

	_, err = resilience.NewShedder()
	require.ErrorIs(t, err, resilience.ErrInvalidConfig)
	_, err = resilience.NewShedder(50, 80)
	require.ErrorIs(t, err, resilience.ErrInvalidConfig)
}
