package phi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func feed(d *Detector, gaps ...time.Duration) time.Time {
	now := t0
	d.Heartbeat(now)
	for _, g := range gaps {
		now = now.Add(g)
		d.Heartbeat(now)
	}
	return now
}

func repeat(g time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = g
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
	}{
		{"threshold 0", func(c *Config) { c.Threshold = 0 }},
		{"threshold 13", func(c *Config) { c.Threshold = 13 }},
		{"window 1", func(c *Config) { c.Window = 1 }},
		{"no std floor", func(c *Config) { c.MinStdDev = 0 }},
		{"no first interval", func(c *Config) { c.FirstInterval = 0 }},
	}
	require.NoError(t, DefaultConfig().Validate())
	for _, tc := range cases {
		c := DefaultConfig()
		tc.edit(&c)
		_, err := New(c)
		assert.ErrorIs(t, err, ErrConfig, tc.name)
	}
}

// A steady sender: the threshold sits a few floors of σ past the mean, and
// φ grows with the silence.
func TestSteadyHeartbeats(t *testing.T) {
	d := MustNew(Config{Threshold: 8, Window: 100, MinStdDev: 5 * time.Millisecond, FirstInterval: 50 * time.Millisecond})
	last := feed(d, repeat(50*time.Millisecond, 200)...)
	assert.Equal(t, 50*time.Millisecond, d.Mean())
	assert.Equal(t, 5*time.Millisecond, d.StdDev(), "the floor")
	assert.Equal(t, 50*time.Millisecond+5612*5*time.Millisecond/1000, d.SuspectAfter())
	assert.False(t, d.Suspect(last.Add(60*time.Millisecond)))
	assert.True(t, d.Suspect(last.Add(80*time.Millisecond)))
	assert.Less(t, d.Phi(last.Add(50*time.Millisecond)), 0.5)
	assert.InDelta(t, 8, d.Phi(last.Add(d.SuspectAfter())), 0.05, "φ at SuspectAfter is the threshold")
	assert.Greater(t, d.Phi(last.Add(time.Second)), 50.0)
}

// A jittery sender earns a longer wait with the same threshold: the
// detector adapts to the link.
func TestJitterWidensTheWait(t *testing.T) {
	cfg := Config{Threshold: 8, Window: 100, MinStdDev: 5 * time.Millisecond, FirstInterval: 50 * time.Millisecond}
	steady, jittery := MustNew(cfg), MustNew(cfg)
	feed(steady, repeat(50*time.Millisecond, 100)...)
	var gaps []time.Duration
	for i := range 100 {
		gaps = append(gaps, []time.Duration{10 * time.Millisecond, 90 * time.Millisecond}[i%2])
	}
	feed(jittery, gaps...)
	assert.Equal(t, 50*time.Millisecond, jittery.Mean())
	assert.Equal(t, 40*time.Millisecond, jittery.StdDev())
	assert.Greater(t, jittery.SuspectAfter(), 3*steady.SuspectAfter(), "274ms against 78ms")
}

// The window forgets: after enough slow gaps, slow is normal.
func TestWindowForgets(t *testing.T) {
	d := MustNew(Config{Threshold: 3, Window: 10, MinStdDev: time.Millisecond, FirstInterval: 10 * time.Millisecond})
	feed(d, append(repeat(10*time.Millisecond, 10), repeat(100*time.Millisecond, 10)...)...)
	assert.Equal(t, 100*time.Millisecond, d.Mean())
}

func TestNothingHeardNothingSuspected(t *testing.T) {
	d := MustNew(DefaultConfig())
	assert.False(t, d.Suspect(t0.Add(time.Hour)))
	assert.Zero(t, d.Phi(t0.Add(time.Hour)))
}

func TestIsqrt(t *testing.T) {
	for _, x := range []uint64{0, 1, 2, 3, 4, 15, 16, 17, 1 << 40, 1<<62 + 12345, 1<<64 - 1} {
		r := isqrt(x)
		assert.LessOrEqual(t, r*r, x, "x=%d", x)
		if r < 1<<32-1 {
			assert.Greater(t, (r+1)*(r+1), x, "x=%d", x)
		}
	}
}
