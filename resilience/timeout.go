package resilience

import (
	"math"
	"slices"
	"time"
)

// Deadline is a timeout fixed to a start time: the call started at Start
// and gives up Timeout later. A caller without a deadline waits forever on a
// dependency that never answers, and every waiting caller holds a worker, a
// connection and memory; timeouts are what turn a hung dependency into an
// error the rest of the patterns (retry, breaker) can act on.
type Deadline struct {
	Start   time.Time
	Timeout time.Duration
}

// At is the instant the deadline passes.
func (d Deadline) At() time.Time { return d.Start.Add(d.Timeout) }

// Expired reports whether the deadline has passed at now (reaching it
// exactly counts as passed).
func (d Deadline) Expired(now time.Time) bool { return !now.Before(d.At()) }

// Remaining is how long is left at now; never negative. Pass it on to the
// next hop so the whole chain shares one deadline instead of each hop
// starting a fresh timeout.
func (d Deadline) Remaining(now time.Time) time.Duration { return max(0, d.At().Sub(now)) }

// AdaptiveTimeoutConfig sizes an AdaptiveTimeout.
type AdaptiveTimeoutConfig struct {
	// Window is how many recent latencies are kept.
	Window int
	// Percentile of the kept latencies the timeout is based on, 1..100
	// (99: the p99).
	Percentile int
	// FactorPercent scales that percentile: 150 waits 1.5 times the p99.
	FactorPercent int
	// Min and Max clamp the timeout; Initial is used until MinSamples
	// latencies have been observed.
	Min, Max, Initial time.Duration
	MinSamples        int
}

// DefaultAdaptiveTimeoutConfig: 1.5 times the p99 of the last 200 calls,
// between 10ms and 10s, 1s until 20 calls have been seen.
func DefaultAdaptiveTimeoutConfig() AdaptiveTimeoutConfig {
	return AdaptiveTimeoutConfig{
		Window: 200, Percentile: 99, FactorPercent: 150,
		Min: 10 * time.Millisecond, Max: 10 * time.Second, Initial: time.Second,
		MinSamples: 20,
	}
}

// Validate reports the first field that is wrong.
func (c AdaptiveTimeoutConfig) Validate() error {
	switch {
	case c.Window < 1:
		return configError("adaptive timeout Window is %d, want >= 1", c.Window)
	case c.Percentile < 1 || c.Percentile > 100:
		return configError("adaptive timeout Percentile is %d, want 1..100", c.Percentile)
	case c.FactorPercent < 1:
		return configError("adaptive timeout FactorPercent is %d, want >= 1", c.FactorPercent)
	case c.Min <= 0 || c.Max < c.Min:
		return configError("adaptive timeout bounds [%v, %v] are not 0 < Min <= Max", c.Min, c.Max)
	case c.Initial < c.Min || c.Initial > c.Max:
		return configError("adaptive timeout Initial %v is outside [%v, %v]", c.Initial, c.Min, c.Max)
	case c.MinSamples < 1 || c.MinSamples > c.Window:
		return configError("adaptive timeout MinSamples is %d, want 1..Window (%d)", c.MinSamples, c.Window)
	}
	return nil
}

// AdaptiveTimeout sets a timeout from the latencies it has observed: a
// multiple of a high percentile of the last Window calls. A fixed timeout is
// either too short on a slow day (healthy calls time out, and are retried:
// more load) or too long on a bad one (callers wait on a dead dependency);
// one that follows the observed tail avoids both. Timeouts themselves should
// be observed as latencies of at least the timeout, or a dying dependency
// would look fast.
type AdaptiveTimeout struct {
	cfg AdaptiveTimeoutConfig
	// ring holds the last len(ring) latencies, oldest at next once full.
	ring []time.Duration
	next int
	// sorted is scratch space for the percentile, reused to avoid
	// allocating on every Timeout call.
	sorted []time.Duration
}

// NewAdaptiveTimeout returns an AdaptiveTimeout, or an error naming the bad
// field.
func NewAdaptiveTimeout(cfg AdaptiveTimeoutConfig) (*AdaptiveTimeout, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &AdaptiveTimeout{cfg: cfg, ring: make([]time.Duration, 0, cfg.Window)}, nil
}

// Observe records one call's latency.
func (a *AdaptiveTimeout) Observe(latency time.Duration) {
	if len(a.ring) < a.cfg.Window {
		a.ring = append(a.ring, latency)
		return
	}
	a.ring[a.next] = latency
	a.next = (a.next + 1) % a.cfg.Window
}

// Percentile is the configured percentile of the observed latencies (the
// nearest-rank method: the smallest latency at least Percentile% of the
// samples do not exceed), or 0 if none were observed.
func (a *AdaptiveTimeout) Percentile() time.Duration {
	n := len(a.ring)
	if n == 0 {
		return 0
	}
	a.sorted = append(a.sorted[:0], a.ring...)
	slices.Sort(a.sorted)
	rank := (n*a.cfg.Percentile + 99) / 100 // ceil(n*p/100), in 1..n
	return a.sorted[rank-1]
}

// Timeout is the timeout to give the next call.
func (a *AdaptiveTimeout) Timeout() time.Duration {
	if len(a.ring) < a.cfg.MinSamples {
		return a.cfg.Initial
	}
	p := a.Percentile()
	f := time.Duration(a.cfg.FactorPercent)
	if p > math.MaxInt64/f {
		return a.cfg.Max
	}
	return min(a.cfg.Max, max(a.cfg.Min, p*f/100))
}
