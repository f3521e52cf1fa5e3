package resilience_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dsimlab/dsim/resilience"
)

// A breaker around a dependency that is down for its first two seconds. The
// clock is a plain variable: the breaker only ever sees the times it is
// given, exactly as in the simulator.
func ExampleBreaker() {
	var log resilience.TransitionLog
	b, err := resilience.NewBreaker(resilience.BreakerConfig{
		ConsecutiveFailures: 3,
		OpenFor:             time.Second,
		HalfOpenProbes:      1,
		OnStateChange:       log.Add,
	})
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dependencyUp := func(now time.Time) bool { return now.Sub(start) >= 2*time.Second }

	calls, failFast := 0, 0
	for now := start; now.Before(start.Add(4 * time.Second)); now = now.Add(100 * time.Millisecond) {
		if err := b.Allow(now); errors.Is(err, resilience.ErrOpen) || errors.Is(err, resilience.ErrTooManyProbes) {
			failFast++
			continue
		}
		calls++
		b.Record(now, dependencyUp(now))
	}
	fmt.Printf("calls reaching the dependency: %d, failed fast: %d\n", calls, failFast)
	for _, t := range log.Transitions {
		fmt.Printf("%v: %s -> %s\n", t.At.Sub(start), t.From, t.To)
	}
	// Output:
	// calls reaching the dependency: 22, failed fast: 18
	// 200ms: closed -> open
	// 1.2s: open -> half-open
	// 1.2s: half-open -> open
	// 2.2s: open -> half-open
	// 2.2s: half-open -> closed
}

// The waits of a retry loop with full jitter, from a seeded random stream:
// the same seed always gives the same waits, each within [0, ceiling(n)].
func ExampleBackoff() {
	b := resilience.Backoff{Base: 100 * time.Millisecond, Cap: time.Second, Multiplier: 2, Jitter: resilience.FullJitter}
	rng := rand.New(rand.NewPCG(1, 1))
	for n := range 5 {
		w := b.Next(n, 0, rng)
		fmt.Printf("retry %d: ceiling %v, waited <= ceiling: %v\n", n, b.Ceiling(n), w <= b.Ceiling(n))
	}
	// Output:
	// retry 0: ceiling 100ms, waited <= ceiling: true
	// retry 1: ceiling 200ms, waited <= ceiling: true
	// retry 2: ceiling 400ms, waited <= ceiling: true
	// retry 3: ceiling 800ms, waited <= ceiling: true
	// retry 4: ceiling 1s, waited <= ceiling: true
}
