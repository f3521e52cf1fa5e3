package resilience

import (
	"time"
)

// RetryBudgetConfig sizes a RetryBudget.
type RetryBudgetConfig struct {
	// Percent is how many retries are earned per 100 requests: 10 lets
	// retries add at most about 10% to the load on the dependency.
	Percent int
	// MinPerSecond is earned every second whatever the traffic, so a client
	// that sends little can still retry now and then.
	MinPerSecond int
	// MaxSaved caps the retries that can be saved up, so a long quiet (or
	// healthy) spell cannot fund a retry storm later.
	MaxSaved int
}

// DefaultRetryBudgetConfig is Finagle's default: 20% of requests, at least
// 10 retries per second, saved up for at most 10 seconds' minimum (100).
func DefaultRetryBudgetConfig() RetryBudgetConfig {
	return RetryBudgetConfig{Percent: 20, MinPerSecond: 10, MaxSaved: 100}
}

// Validate reports the first field that is wrong.
func (c RetryBudgetConfig) Validate() error {
	switch {
	case c.Percent < 0 || c.Percent > 100:
		return configError("retry budget Percent is %d, want 0..100", c.Percent)
	case c.MinPerSecond < 0:
		return configError("retry budget MinPerSecond is %d, want >= 0", c.MinPerSecond)
	case c.MaxSaved < 1 || c.MaxSaved > maxSavedLimit:
		return configError("retry budget MaxSaved is %d, want 1..%d", c.MaxSaved, maxSavedLimit)
	}
	return nil
}

// Budget units: one retry costs unitsPerRetry. A request earns
// Percent/100 of a retry = Percent*1e9 units, and each nanosecond earns
// MinPerSecond/1e9 of a retry = MinPerSecond*100 units, both exact integers.
const (
	unitsPerRetry = 100 * int64(time.Second)
	maxSavedLimit = 1 << 26 // MaxSaved*unitsPerRetry must fit in an int64
)

// RetryBudget limits retries to a share of requests, in the manner of
// Finagle's RetryBudget and gRPC's retry throttling. It is a token bucket
// filled by traffic: every request deposits a fraction of a retry, time
// deposits a small minimum, and every retry withdraws one. When a dependency
// is down every request fails, and without a budget each client multiplies
// its load by MaxAttempts exactly when the dependency can least take it (a
// retry storm); with one, retries stop at about Percent% of the load.
//
// The budget starts with one second's minimum (MinPerSecond retries).
// Times passed in must not go backwards; an earlier time is treated as the
// latest one seen.
type RetryBudget struct {
	cfg RetryBudgetConfig
	// balance is in units (see unitsPerRetry); 0 <= balance <= cap.
	balance int64
	cap     int64
	last    time.Time

	stats RetryBudgetStats
}

// RetryBudgetStats counts what a RetryBudget saw and decided.
type RetryBudgetStats struct {
	Requests uint64 // original requests recorded
	Granted  uint64 // retries allowed
	Denied   uint64 // retries refused
}

// Stats returns the counters.
func (b *RetryBudget) Stats() RetryBudgetStats { return b.stats }

// NewRetryBudget returns a budget, or an error naming the bad field.
func NewRetryBudget(cfg RetryBudgetConfig, now time.Time) (*RetryBudget, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &RetryBudget{cfg: cfg, cap: int64(cfg.MaxSaved) * unitsPerRetry, last: now}
	b.balance = min(b.cap, int64(min(cfg.MinPerSecond, cfg.MaxSaved))*unitsPerRetry)
	return b, nil
}

// Request records one original request (not a retry): it earns Percent% of
// a retry.
func (b *RetryBudget) Request(now time.Time) {
	b.refill(now)
	b.stats.Requests++
	b.balance = min(b.cap, b.balance+int64(b.cfg.Percent)*(unitsPerRetry/100))
}

// AllowRetry asks to spend one retry now. false means: give up, and report
// the original failure.
func (b *RetryBudget) AllowRetry(now time.Time) bool {
	b.refill(now)
	if b.balance < unitsPerRetry {
		b.stats.Denied++
		return false
	}
	b.balance -= unitsPerRetry
	b.stats.Granted++
	return true
}

// Available is how many whole retries could be spent now.
func (b *RetryBudget) Available(now time.Time) int {
	b.refill(now)
	return int(b.balance / unitsPerRetry)
}

func (b *RetryBudget) refill(now time.Time) {
	if !now.After(b.last) {
		return
	}
	elapsed := int64(now.Sub(b.last))
	b.last = now
	perNano := int64(b.cfg.MinPerSecond) * (unitsPerRetry / int64(time.Second))
	if perNano == 0 {
		return
	}
	room := b.cap - b.balance
	if elapsed >= (room+perNano-1)/perNano {
		b.balance = b.cap // also keeps elapsed*perNano from overflowing
		return
	}
	b.balance += elapsed * perNano
}
