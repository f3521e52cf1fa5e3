package resilience

import (
	"math"
	"time"
)

// TokenBucket is a rate limiter: a bucket holding up to Burst tokens, refilled
// with one token every Every, from which each admitted request takes one (or
// n). Over any stretch of time t it admits at most Burst + t/Every requests:
// short bursts pass, sustained overload does not. Use it to protect a server
// from a noisy neighbour, or a client from hammering a dependency.
//
// The rate is given as an interval per token, not as tokens per second, so
// the state can be kept exactly in integer nanoseconds: credit is the refill
// time accumulated, and a token costs Every of it. (golang.org/x/time/rate
// keeps a float64 token count instead.)
//
// A bucket starts full. Times passed in must not go backwards; an earlier
// time is treated as the latest one seen.
type TokenBucket struct {
	every time.Duration
	burst int
	// credit is refill time banked, in nanoseconds; 0 <= credit <= max,
	// where max = burst*every. credit/every whole tokens are available.
	credit time.Duration
	max    time.Duration
	last   time.Time

	stats LimiterStats
}

// LimiterStats counts a rate limiter's decisions, in requests (AllowN(n)
// counts once).
type LimiterStats struct {
	Admitted uint64
	Rejected uint64
}

// NewTokenBucket returns a full bucket that refills one token every every
// and holds at most burst tokens, or an error for a bad argument.
func NewTokenBucket(every time.Duration, burst int, now time.Time) (*TokenBucket, error) {
	if every <= 0 {
		return nil, configError("token bucket interval is %v, want > 0", every)
	}
	if burst < 1 || int64(burst) > math.MaxInt64/int64(every) {
		return nil, configError("token bucket burst is %d, want 1..%d for interval %v", burst, math.MaxInt64/int64(every), every)
	}
	max := time.Duration(burst) * every
	return &TokenBucket{every: every, burst: burst, credit: max, max: max, last: now}, nil
}

// Allow takes one token if there is one.
func (b *TokenBucket) Allow(now time.Time) bool { return b.AllowN(now, 1) }

// AllowN takes n tokens if there are n; otherwise it takes none. n larger
// than the burst is never allowed.
func (b *TokenBucket) AllowN(now time.Time, n int) bool {
	b.refill(now)
	if n < 0 || n > b.burst || time.Duration(n)*b.every > b.credit {
		b.stats.Rejected++
		return false
	}
	b.credit -= time.Duration(n) * b.every
	b.stats.Admitted++
	return true
}

// Delay is how long from now until one token is available: 0 if one is.
// It takes nothing; a caller that wants to wait sets a timer for Delay and
// calls Allow then.
func (b *TokenBucket) Delay(now time.Time) time.Duration {
	b.refill(now)
	return max(0, b.every-b.credit)
}

// Tokens is how many whole tokens are available now.
func (b *TokenBucket) Tokens(now time.Time) int {
	b.refill(now)
	return int(b.credit / b.every)
}

// Stats returns the counters.
func (b *TokenBucket) Stats() LimiterStats { return b.stats }

func (b *TokenBucket) refill(now time.Time) {
	if !now.After(b.last) {
		return
	}
	elapsed := now.Sub(b.last) // saturates rather than overflows
	b.last = now
	if elapsed >= b.max-b.credit {
		b.credit = b.max
	} else {
		b.credit += elapsed
	}
}

// LeakyBucket is the leaky bucket "as a queue" (Tanenbaum): requests pour in
// at any rate, wait in a bucket of Capacity slots, and leak out one every
// Interval. A request that finds the bucket full is rejected. Unlike the
// token bucket it smooths bursts instead of passing them: what leaves is
// never faster than one per Interval, which is what a fragile downstream
// (or a thundering herd against a database) needs.
//
// No goroutine drains it: Offer says when the request will leave the bucket,
// and the caller sets a timer for that instant (env.SetTimer(depart.Sub(now),
// ...)). The bucket itself only tracks the time the last queued request
// leaves.
//
// (The other leaky bucket, "as a meter", admits or rejects without queueing;
// that is the token bucket above with the decision inverted, so it is not
// repeated here.)
type LeakyBucket struct {
	interval time.Duration
	capacity int
	// nextFree is the instant the next request offered would leave if the
	// bucket were empty then; requests leave at nextFree - k*interval for
	// the k queued ahead. Invariant: (nextFree-now)/interval rounded up is
	// the number in the bucket, and never exceeds capacity.
	nextFree time.Time

	stats LimiterStats
}

// NewLeakyBucket returns an empty bucket that lets one request leave every
// interval and holds at most capacity requests (the one leaving now
// included), or an error for a bad argument.
func NewLeakyBucket(interval time.Duration, capacity int) (*LeakyBucket, error) {
	if interval <= 0 {
		return nil, configError("leaky bucket interval is %v, want > 0", interval)
	}
	if capacity < 1 {
		return nil, configError("leaky bucket capacity is %d, want >= 1", capacity)
	}
	return &LeakyBucket{interval: interval, capacity: capacity}, nil
}

// Offer puts a request into the bucket. If it fits, ok is true and depart is
// when it leaves (now, if the bucket was empty). If the bucket is full the
// request is rejected.
func (b *LeakyBucket) Offer(now time.Time) (depart time.Time, ok bool) {
	if b.nextFree.Before(now) {
		b.nextFree = now
	}
	if b.Len(now) >= b.capacity {
		b.stats.Rejected++
		return time.Time{}, false
	}
	depart = b.nextFree
	b.nextFree = b.nextFree.Add(b.interval)
	b.stats.Admitted++
	return depart, true
}

// Len is how many requests are in the bucket at now. A request leaving at d
// holds its slot at the outlet until d+interval, so a request that just
// left still counts until the next may leave.
func (b *LeakyBucket) Len(now time.Time) int {
	if !b.nextFree.After(now) {
		return 0
	}
	ahead := b.nextFree.Sub(now)
	return int((ahead + b.interval - 1) / b.interval)
}

// Stats returns the counters.
func (b *LeakyBucket) Stats() LimiterStats { return b.stats }
