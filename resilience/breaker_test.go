package resilience_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dsimlab/dsim/resilience"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

var t0 = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// step is one call on a breaker in a scripted test: at time At, either ask
// Allow (want error Err) or Record an outcome; then the state must be Want.
type step struct {
	At     time.Duration
	Op     string // "allow", "ok", "fail"
	Err    error  // for "allow"
	Want   resilience.State
	Reason string
}

func runSteps(t *testing.T, cfg resilience.BreakerConfig, steps []step) {
	t.Helper()
	b, err := resilience.NewBreaker(cfg)
	require.NoError(t, err)
	for i, s := range steps {
		now := at(s.At)
		switch s.Op {
		case "allow":
			got := b.Allow(now)
			require.ErrorIs(t, got, s.Err, "step %d (%s): Allow", i, s.Reason)
			if s.Err == nil {
				require.NoError(t, got, "step %d (%s)", i, s.Reason)
			}
		case "ok":
			b.Record(now, true)
		case "fail":
			b.Record(now, false)
		default:
			t.Fatalf("bad op %q", s.Op)
		}
		require.Equal(t, s.Want, b.State(now), "step %d (%s): state", i, s.Reason)
	}
}

func TestBreakerTransitions(t *testing.T) {
	consec := resilience.BreakerConfig{ConsecutiveFailures: 3, OpenFor: time.Second, HalfOpenProbes: 2}
	rate := resilience.BreakerConfig{Window: 4, FailureRatePercent: 50, MinCalls: 4, OpenFor: time.Second, HalfOpenProbes: 1}
	ms := time.Millisecond
	tests := []struct {
		name  string
		cfg   resilience.BreakerConfig
		steps []step
	}{
		{"consecutive failures trip it", consec, []step{
			{0, "fail", nil, resilience.Closed, "1 failure"},
			{1 * ms, "fail", nil, resilience.Closed, "2 failures"},
			{2 * ms, "fail", nil, resilience.Open, "3rd failure in a row trips"},
			{3 * ms, "allow", resilience.ErrOpen, resilience.Open, "open fails fast"},
		}},
		{"a success resets the run", consec, []step{
			{0, "fail", nil, resilience.Closed, ""},
			{1 * ms, "fail", nil, resilience.Closed, ""},
			{2 * ms, "ok", nil, resilience.Closed, "success breaks the run"},
			{3 * ms, "fail", nil, resilience.Closed, ""},
			{4 * ms, "fail", nil, resilience.Closed, "only 2 in a row"},
		}},
		{"cool-down then probes close it", consec, []step{
			{0, "fail", nil, resilience.Closed, ""},
			{0, "fail", nil, resilience.Closed, ""},
			{0, "fail", nil, resilience.Open, "trip at 0"},
			{999 * ms, "allow", resilience.ErrOpen, resilience.Open, "still cooling down"},
			{1000 * ms, "allow", nil, resilience.HalfOpen, "cool-down over: probe 1"},
			{1000 * ms, "allow", nil, resilience.HalfOpen, "probe 2"},
			{1000 * ms, "allow", resilience.ErrTooManyProbes, resilience.HalfOpen, "no 3rd probe"},
			{1010 * ms, "ok", nil, resilience.HalfOpen, "one probe succeeded, one outstanding"},
			{1020 * ms, "ok", nil, resilience.Closed, "both probes succeeded"},
			{1030 * ms, "allow", nil, resilience.Closed, "closed again"},
		}},
		{"a failed probe re-opens it for a full cool-down", consec, []step{
			{0, "fail", nil, resilience.Closed, ""},
			{0, "fail", nil, resilience.Closed, ""},
			{0, "fail", nil, resilience.Open, ""},
			{1000 * ms, "allow", nil, resilience.HalfOpen, "probe"},
			{1500 * ms, "fail", nil, resilience.Open, "probe failed"},
			{2000 * ms, "allow", resilience.ErrOpen, resilience.Open, "cool-down restarts at 1.5s"},
			{2500 * ms, "allow", nil, resilience.HalfOpen, "new probe"},
		}},
		{"straggler results while open are ignored", consec, []step{
			{0, "fail", nil, resilience.Closed, ""},
			{0, "fail", nil, resilience.Closed, ""},
			{0, "fail", nil, resilience.Open, ""},
			{10 * ms, "ok", nil, resilience.Open, "late success does not close it"},
			{1000 * ms, "ok", nil, resilience.HalfOpen, "no probe outstanding: ignored"},
			{1000 * ms, "allow", nil, resilience.HalfOpen, "probe 1 still available"},
		}},
		{"failure rate over the window trips it", rate, []step{
			{0, "ok", nil, resilience.Closed, ""},
			{0, "fail", nil, resilience.Closed, ""},
			{0, "ok", nil, resilience.Closed, "3 calls < MinCalls"},
			{0, "fail", nil, resilience.Open, "2 of 4 = 50%"},
		}},
		{"old failures slide out of the window", rate, []step{
			{0, "fail", nil, resilience.Closed, "1 call < MinCalls"},
			{0, "ok", nil, resilience.Closed, ""},
			{0, "ok", nil, resilience.Closed, ""},
			{0, "ok", nil, resilience.Closed, "1 of 4 = 25%"},
			{0, "fail", nil, resilience.Closed, "first failure slid out: still 1 of 4"},
			{0, "fail", nil, resilience.Open, "2 of 4"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.cfg, tt.steps) })
	}
}

func TestBreakerTransitionLogIsExact(t *testing.T) {
	var log resilience.TransitionLog
	cfg := resilience.BreakerConfig{ConsecutiveFailures: 1, OpenFor: time.Second, HalfOpenProbes: 1, OnStateChange: log.Add}
	b, err := resilience.NewBreaker(cfg)
	require.NoError(t, err)
	b.Record(at(100*time.Millisecond), false)
	// Nobody looks at the breaker until 5s; the half-open transition is
	// still stamped at the end of the cool-down, 1.1s.
	require.NoError(t, b.Allow(at(5*time.Second)))
	b.Record(at(5100*time.Millisecond), true)
	assert.Equal(t, []resilience.Transition{
		{At: at(100 * time.Millisecond), From: resilience.Closed, To: resilience.Open},
		{At: at(1100 * time.Millisecond), From: resilience.Open, To: resilience.HalfOpen},
		{At: at(5100 * time.Millisecond), From: resilience.HalfOpen, To: resilience.Closed},
	}, log.Transitions)
	st := b.Stats()
	assert.Equal(t, resilience.BreakerStats{Allowed: 1, Successes: 1, Failures: 1, Trips: 1}, st)
}

func TestBreakerConfigErrors(t *testing.T) {
	good := resilience.DefaultBreakerConfig()
	require.NoError(t, good.Validate())
	tests := []struct {
		name   string
		modify func(*resilience.BreakerConfig)
	}{
		{"no trip rule", func(c *resilience.BreakerConfig) { c.ConsecutiveFailures, c.Window = 0, 0 }},
		{"rate over 100", func(c *resilience.BreakerConfig) { c.FailureRatePercent = 101 }},
		{"min calls above window", func(c *resilience.BreakerConfig) { c.MinCalls = c.Window + 1 }},
		{"no cool-down", func(c *resilience.BreakerConfig) { c.OpenFor = 0 }},
		{"no probes", func(c *resilience.BreakerConfig) { c.HalfOpenProbes = 0 }},
		{"negative consecutive", func(c *resilience.BreakerConfig) { c.ConsecutiveFailures = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.modify(&cfg)
			_, err := resilience.NewBreaker(cfg)
			require.ErrorIs(t, err, resilience.ErrInvalidConfig)
		})
	}
}

func TestStateString(t *testing.T) {
	assert.Equal(t, "closed", resilience.Closed.String())
	assert.Equal(t, "open", resilience.Open.String())
	assert.Equal(t, "half-open", resilience.HalfOpen.String())
	assert.Equal(t, "State(7)", resilience.State(7).String())
}

// In any one half-open period the breaker admits at most HalfOpenProbes
// calls, whatever the callers do.
func TestBreakerProbeLimitProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		admittedThisHalfOpen := 0
		cfg := resilience.BreakerConfig{
			ConsecutiveFailures: rapid.IntRange(1, 4).Draw(t, "consecutive"),
			OpenFor:             time.Duration(rapid.IntRange(1, 50).Draw(t, "openForMs")) * time.Millisecond,
			HalfOpenProbes:      rapid.IntRange(1, 4).Draw(t, "probes"),
			OnStateChange: func(tr resilience.Transition) {
				if tr.To == resilience.HalfOpen {
					admittedThisHalfOpen = 0 // a new half-open period
				}
			},
		}
		b, err := resilience.NewBreaker(cfg)
		if err != nil {
			t.Fatal(err)
		}
		now := t0
		outstanding := 0
		ops := rapid.SliceOfN(rapid.IntRange(0, 2), 1, 300).Draw(t, "ops")
		gaps := rapid.SliceOfN(rapid.IntRange(0, 20), len(ops), len(ops)).Draw(t, "gapsMs")
		for i, op := range ops {
			now = now.Add(time.Duration(gaps[i]) * time.Millisecond)
			before := b.State(now)
			switch op {
			case 0:
				err := b.Allow(now)
				if err == nil {
					outstanding++
					if before == resilience.HalfOpen {
						admittedThisHalfOpen++
					}
				} else if !errors.Is(err, resilience.ErrOpen) && !errors.Is(err, resilience.ErrTooManyProbes) {
					t.Fatalf("unexpected error %v", err)
				}
			default:
				if outstanding > 0 {
					outstanding--
					b.Record(now, op == 1)
				}
			}
			if admittedThisHalfOpen > cfg.HalfOpenProbes {
				t.Fatalf("admitted %d probes in one half-open period, limit %d", admittedThisHalfOpen, cfg.HalfOpenProbes)
			}
		}
	})
}

// Peek tells the state without moving the breaker: no transition is
// logged, so a tool that looks does not change the run it looks at.
func TestBreakerPeekChangesNothing(t *testing.T) {
	var log resilience.TransitionLog
	b, err := resilience.NewBreaker(resilience.BreakerConfig{ConsecutiveFailures: 1, OpenFor: time.Second, HalfOpenProbes: 1, OnStateChange: log.Add})
	require.NoError(t, err)
	b.Record(at(100*time.Millisecond), false)
	assert.Equal(t, resilience.Open, b.Peek(at(500*time.Millisecond)))
	assert.Equal(t, resilience.HalfOpen, b.Peek(at(2*time.Second)), "the cool-down is over")
	assert.Len(t, log.Transitions, 1, "peeking logged no transition")
	assert.Equal(t, resilience.HalfOpen, b.State(at(2*time.Second)))
	assert.Len(t, log.Transitions, 2, "State moves the breaker, once")
}
