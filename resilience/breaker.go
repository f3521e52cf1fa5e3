package resilience

import (
	"errors"
	"fmt"
	"time"
)

// State is a circuit breaker's state.
type State int

// The three states of a circuit breaker (Nygard, "Release It!", ch. 5).
const (
	// Closed: calls flow; outcomes are counted.
	Closed State = iota
	// Open: calls fail fast without touching the dependency, until the
	// cool-down has passed.
	Open
	// HalfOpen: a bounded number of probe calls may go through; their
	// outcome decides between Closed and Open.
	HalfOpen
)

func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Errors returned by Breaker.Allow. Both mean "do not call the dependency".
var (
	// ErrOpen: the breaker is open; fail fast.
	ErrOpen = errors.New("resilience: circuit breaker is open")
	// ErrTooManyProbes: the breaker is half-open and every probe slot is
	// taken; wait for the probes' verdict.
	ErrTooManyProbes = errors.New("resilience: circuit breaker is half-open and its probes are taken")
)

// ErrInvalidConfig is wrapped by every configuration error in this package.
var ErrInvalidConfig = errors.New("resilience: invalid config")

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// BreakerConfig says when a Breaker trips and how it recovers.
//
// Two trip rules can be enabled, alone or together; the breaker trips on
// whichever fires first:
//
//   - ConsecutiveFailures: N failures in a row. Reacts fast to a dead
//     dependency.
//   - FailureRatePercent over a count-based sliding window of the last
//     Window calls, once at least MinCalls calls are in the window. Catches a
//     dependency that fails, say, 60% of the time — which never produces a
//     long run of consecutive failures.
//
// The window counts calls, not seconds: a count window needs no clock to age
// entries and behaves the same at 10 calls/s and at 10 000 calls/s. Its
// drawback is that at a low call rate a window can hold outcomes that are
// minutes old; MinCalls keeps a handful of calls from tripping it.
type BreakerConfig struct {
	// ConsecutiveFailures trips the breaker after this many failures in a
	// row while closed. 0 disables the rule.
	ConsecutiveFailures int
	// Window is the number of most recent calls the failure rate is computed
	// over. 0 disables the rate rule.
	Window int
	// FailureRatePercent trips the breaker when failures*100 >=
	// FailureRatePercent*calls in the window (integer arithmetic: no float).
	FailureRatePercent int
	// MinCalls is how many calls the window must hold before the rate rule
	// may trip it.
	MinCalls int
	// OpenFor is the cool-down: how long the breaker stays open before it
	// lets probes through.
	OpenFor time.Duration
	// HalfOpenProbes is how many calls are admitted while half-open. All of
	// them must succeed to close the breaker; one failure re-opens it.
	HalfOpenProbes int
	// OnStateChange, if set, is called on every transition, in order. Use it
	// to log a line into the trace or to collect points for a plot of breaker
	// state over time (see TransitionLog).
	OnStateChange func(Transition)
}

// DefaultBreakerConfig trips after 5 consecutive failures or when at least
// half of the last 20 calls (and at least 10 calls) failed, stays open for 5
// seconds and then admits one probe.
func DefaultBreakerConfig() BreakerConfig {
	return BreakerConfig{
		ConsecutiveFailures: 5,
		Window:              20,
		FailureRatePercent:  50,
		MinCalls:            10,
		OpenFor:             5 * time.Second,
		HalfOpenProbes:      1,
	}
}

// Validate reports the first field that is wrong.
func (c BreakerConfig) Validate() error {
	switch {
	case c.ConsecutiveFailures < 0:
		return configError("breaker ConsecutiveFailures is %d, want >= 0", c.ConsecutiveFailures)
	case c.Window < 0:
		return configError("breaker Window is %d, want >= 0", c.Window)
	case c.ConsecutiveFailures == 0 && c.Window == 0:
		return configError("breaker has no trip rule: set ConsecutiveFailures or Window")
	case c.Window > 0 && (c.FailureRatePercent < 1 || c.FailureRatePercent > 100):
		return configError("breaker FailureRatePercent is %d, want 1..100", c.FailureRatePercent)
	case c.Window > 0 && (c.MinCalls < 1 || c.MinCalls > c.Window):
		return configError("breaker MinCalls is %d, want 1..Window (%d)", c.MinCalls, c.Window)
	case c.OpenFor <= 0:
		return configError("breaker OpenFor is %v, want > 0", c.OpenFor)
	case c.HalfOpenProbes < 1:
		return configError("breaker HalfOpenProbes is %d, want >= 1", c.HalfOpenProbes)
	}
	return nil
}

// Transition is one change of a breaker's state.
type Transition struct {
	At       time.Time
	From, To State
}

func (t Transition) String() string {
	return fmt.Sprintf("%s %s -> %s", t.At.Format(time.RFC3339Nano), t.From, t.To)
}

// TransitionLog collects transitions; pass its Add method as
// BreakerConfig.OnStateChange.
type TransitionLog struct {
	Transitions []Transition
}

// Add appends t.
func (l *TransitionLog) Add(t Transition) { l.Transitions = append(l.Transitions, t) }

// BreakerStats counts what a breaker decided and saw.
type BreakerStats struct {
	Allowed   uint64 // calls admitted by Allow
	Rejected  uint64 // calls refused by Allow (ErrOpen or ErrTooManyProbes)
	Successes uint64 // outcomes recorded as success
	Failures  uint64 // outcomes recorded as failure
	Trips     uint64 // transitions into Open
}

// Breaker is a circuit breaker: a state machine that stops calls to a
// dependency that keeps failing, so callers fail fast instead of piling up
// behind it, and the dependency gets room to recover.
//
// Use it around each call:
//
//	if err := b.Allow(now); err != nil {
//		return err // fail fast
//	}
//	err := call()
//	b.Record(later, err == nil)
//
// The breaker never reads a clock: every method takes the current time. The
// move from Open to HalfOpen happens lazily, when a method is called at or
// after the end of the cool-down; it is recorded at the instant the
// cool-down ended, so a plot of the transitions is exact.
//
// A Breaker is not safe for concurrent use (a node runs one handler at a
// time and needs no locks).
type Breaker struct {
	cfg   BreakerConfig
	state State
	// openedAt is when the breaker last entered Open; meaningful only in Open.
	openedAt time.Time

	// Closed-state counters.
	// consecutive is the length of the current run of failures.
	consecutive int
	// window is a ring of the last len(window) outcomes (true = failure);
	// filled of them are valid, next is where the next one goes.
	// failures == number of true entries among the valid ones.
	window   []bool
	filled   int
	next     int
	failures int

	// Half-open counters. admitted <= cfg.HalfOpenProbes always: that is the
	// probe limit. succeeded <= admitted.
	admitted  int
	succeeded int

	stats BreakerStats
}

// NewBreaker returns a closed breaker, or an error naming the bad field.
func NewBreaker(cfg BreakerConfig) (*Breaker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Breaker{cfg: cfg, window: make([]bool, cfg.Window)}, nil
}

// State reports the state at now, moving from Open to HalfOpen if the
// cool-down is over.
func (b *Breaker) State(now time.Time) State {
	b.advance(now)
	return b.state
}

// Peek reports the state State(now) would, without moving the breaker:
// tools that only look (the TUI's cards) must not change what a run does.
func (b *Breaker) Peek(now time.Time) State {
	if b.state == Open && !now.Before(b.openedAt.Add(b.cfg.OpenFor)) {
		return HalfOpen
	}
	return b.state
}

// Stats returns the counters.
func (b *Breaker) Stats() BreakerStats { return b.stats }

// Allow asks whether a call may go to the dependency now. nil means yes: the
// caller must then Record the call's outcome. ErrOpen and ErrTooManyProbes
// mean no.
func (b *Breaker) Allow(now time.Time) error {
	b.advance(now)
	switch b.state {
	case Open:
		b.stats.Rejected++
		return ErrOpen
	case HalfOpen:
		if b.admitted >= b.cfg.HalfOpenProbes {
			b.stats.Rejected++
			return ErrTooManyProbes
		}
		b.admitted++
	}
	b.stats.Allowed++
	return nil
}

// Record reports the outcome of a call that Allow admitted.
//
// An outcome that arrives while the breaker is open (a slow call admitted
// before it tripped) is counted but changes nothing. While half-open, an
// outcome counts as a probe's only if a probe is outstanding; otherwise it is
// such a straggler and is ignored too. (With Allow returning only an error,
// the breaker cannot tell a straggler from a probe when both are
// outstanding; a straggler's verdict is then taken as a probe's.)
func (b *Breaker) Record(now time.Time, success bool) {
	b.advance(now)
	if success {
		b.stats.Successes++
	} else {
		b.stats.Failures++
	}
	switch b.state {
	case Closed:
		b.recordClosed(now, success)
	case HalfOpen:
		if b.admitted == b.succeeded {
			return // no probe outstanding: a straggler
		}
		if !success {
			b.become(now, Open)
			return
		}
		b.succeeded++
		if b.succeeded == b.cfg.HalfOpenProbes {
			b.become(now, Closed)
		}
	}
}

// Done is Record with an error: nil is a success.
func (b *Breaker) Done(now time.Time, err error) { b.Record(now, err == nil) }

func (b *Breaker) recordClosed(now time.Time, success bool) {
	if success {
		b.consecutive = 0
	} else {
		b.consecutive++
	}
	if n := len(b.window); n > 0 {
		if b.filled == n && b.window[b.next] {
			b.failures-- // the oldest outcome leaves the window
		}
		b.window[b.next] = !success
		if !success {
			b.failures++
		}
		b.next = (b.next + 1) % n
		if b.filled < n {
			b.filled++
		}
	}
	if b.shouldTrip() {
		b.become(now, Open)
	}
}

func (b *Breaker) shouldTrip() bool {
	if b.cfg.ConsecutiveFailures > 0 && b.consecutive >= b.cfg.ConsecutiveFailures {
		return true
	}
	return len(b.window) > 0 && b.filled >= b.cfg.MinCalls &&
		b.failures*100 >= b.cfg.FailureRatePercent*b.filled
}

// advance performs the one transition that time alone causes.
func (b *Breaker) advance(now time.Time) {
	if b.state == Open {
		if end := b.openedAt.Add(b.cfg.OpenFor); !now.Before(end) {
			b.become(end, HalfOpen)
		}
	}
}

// become is the only place the state changes: it resets the counters of the
// state being entered and reports the transition.
func (b *Breaker) become(at time.Time, to State) {
	from := b.state
	switch {
	case from == Closed && to == Open,
		from == HalfOpen && to == Open:
		b.openedAt = at
		b.stats.Trips++
	case from == Open && to == HalfOpen:
		b.admitted, b.succeeded = 0, 0
	case from == HalfOpen && to == Closed:
		b.consecutive = 0
		b.filled, b.next, b.failures = 0, 0, 0
	default:
		panic(fmt.Sprintf("resilience: invalid breaker transition [%s -> %s]", from, to))
	}
	b.state = to
	if b.cfg.OnStateChange != nil {
		b.cfg.OnStateChange(Transition{At: at, From: from, To: to})
	}
}
