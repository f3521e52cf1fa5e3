package resilience

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Jitter says how a backoff randomises its waits. The four modes are those
// of Marc Brooker's AWS Architecture Blog post "Exponential Backoff And
// Jitter" (2015), where ceiling(n) = min(Cap, Base * Multiplier^n):
//
//	NoJitter:           wait = ceiling(n)
//	FullJitter:         wait = random in [0, ceiling(n)]
//	EqualJitter:        wait = ceiling(n)/2 + random in [0, ceiling(n)/2]
//	DecorrelatedJitter: wait = min(Cap, random in [Base, 3*prev])
//
// Without jitter, clients that failed together retry together, in waves that
// hit the recovering server at the same instants. Jitter spreads them out;
// the post measured full and decorrelated jitter doing the least total work.
type Jitter int

// The jitter modes; see Jitter.
const (
	NoJitter Jitter = iota
	FullJitter
	EqualJitter
	DecorrelatedJitter
)

func (j Jitter) String() string {
	switch j {
	case NoJitter:
		return "none"
	case FullJitter:
		return "full"
	case EqualJitter:
		return "equal"
	case DecorrelatedJitter:
		return "decorrelated"
	}
	return fmt.Sprintf("Jitter(%d)", int(j))
}

// decorrelatedGrowth is the "3" of the blog's decorrelated jitter: each wait
// is drawn from [Base, 3*previous wait].
const decorrelatedGrowth = 3

// Backoff computes how long to wait before each retry. Its zero value is not
// useful; start from DefaultBackoff.
//
// Arithmetic is in integer nanoseconds: the exponential is repeated integer
// multiplication that stops at Cap, so it cannot overflow and gives the same
// answer on every machine (math.Pow would not be guaranteed to).
type Backoff struct {
	// Base is the wait before the first retry (attempt 0), before jitter.
	Base time.Duration
	// Cap bounds every wait.
	Cap time.Duration
	// Multiplier is the growth factor per attempt; 2 doubles the wait.
	Multiplier int
	// MaxAttempts is the number of tries in all, the first included, as in
	// gRPC's retry policy: 3 means one call and at most two retries. 0 means
	// no limit.
	MaxAttempts int
	// Jitter picks the randomisation.
	Jitter Jitter
}

// DefaultBackoff: 100ms doubling up to 10s, full jitter, 5 attempts.
func DefaultBackoff() Backoff {
	return Backoff{Base: 100 * time.Millisecond, Cap: 10 * time.Second, Multiplier: 2, MaxAttempts: 5, Jitter: FullJitter}
}

// Validate reports the first field that is wrong.
func (b Backoff) Validate() error {
	switch {
	case b.Base <= 0:
		return configError("backoff Base is %v, want > 0", b.Base)
	case b.Cap < b.Base:
		return configError("backoff Cap %v is below Base %v", b.Cap, b.Base)
	case b.Multiplier < 1:
		return configError("backoff Multiplier is %d, want >= 1", b.Multiplier)
	case b.MaxAttempts < 0:
		return configError("backoff MaxAttempts is %d, want >= 0", b.MaxAttempts)
	case b.Jitter < NoJitter || b.Jitter > DecorrelatedJitter:
		return configError("backoff Jitter is %v", b.Jitter)
	}
	return nil
}

// Ceiling is min(Cap, Base * Multiplier^attempt): the un-jittered wait before
// retry number attempt (counting from 0).
func (b Backoff) Ceiling(attempt int) time.Duration {
	d := b.Base
	for i := 0; i < attempt && d < b.Cap; i++ {
		if d > math.MaxInt64/time.Duration(b.Multiplier) {
			return b.Cap // the next product would overflow; it is past Cap anyway
		}
		d *= time.Duration(b.Multiplier)
	}
	return min(d, b.Cap)
}

// Next is the wait before retry number attempt (0 for the first retry).
// prev is the previous wait returned, used only by DecorrelatedJitter (pass
// 0 for the first retry; it then starts from Base). The result is always in
// [0, Cap].
func (b Backoff) Next(attempt int, prev time.Duration, rng *rand.Rand) time.Duration {
	switch b.Jitter {
	case FullJitter:
		return between(rng, 0, b.Ceiling(attempt))
	case EqualJitter:
		c := b.Ceiling(attempt)
		return c/2 + between(rng, 0, c-c/2)
	case DecorrelatedJitter:
		prev = max(prev, b.Base)
		hi := b.Cap // 3*prev, unless that passes Cap (or overflows)
		if prev <= b.Cap/decorrelatedGrowth {
			hi = decorrelatedGrowth * prev
		}
		return min(b.Cap, between(rng, b.Base, hi))
	default:
		return b.Ceiling(attempt)
	}
}

// between draws uniformly from [lo, hi], both ends included.
func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	span := hi - lo
	if span == math.MaxInt64 {
		return lo + time.Duration(rng.Int64()) // Int64N(span+1) would overflow
	}
	return lo + time.Duration(rng.Int64N(int64(span)+1))
}

// Retrier walks one request through its retries: it counts attempts and
// remembers the previous wait for decorrelated jitter. It decides only how
// long to wait; the caller sets the timer (env.SetTimer) and, if it uses a
// RetryBudget, asks the budget too.
type Retrier struct {
	backoff Backoff
	// retries is how many retries Next has granted; prev is the last wait.
	retries int
	prev    time.Duration
}

// NewRetrier returns a Retrier for one request, or an error naming the bad
// field of b.
func NewRetrier(b Backoff) (*Retrier, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return &Retrier{backoff: b}, nil
}

// Next is called after a failed try. It returns how long to wait before the
// next try, or ok=false if MaxAttempts tries have been made.
func (r *Retrier) Next(rng *rand.Rand) (wait time.Duration, ok bool) {
	if r.backoff.MaxAttempts > 0 && r.retries+1 >= r.backoff.MaxAttempts {
		return 0, false
	}
	wait = r.backoff.Next(r.retries, r.prev, rng)
	r.retries++
	r.prev = wait
	return wait, true
}

// Retries is how many retries have been granted so far.
func (r *Retrier) Retries() int { return r.retries }

// Reset starts over for a new request.
func (r *Retrier) Reset() { r.retries, r.prev = 0, 0 }
