// Package resilience holds the patterns that keep one failing part of a
// distributed system from taking the rest down with it: circuit breaker,
// retry with exponential backoff and jitter, retry budget, bulkhead, token
// bucket and leaky bucket, deadlines and adaptive timeouts, and priority
// load shedding.
//
// # Which failure each pattern contains
//
// Failures in distributed systems spread. A dependency slows down; its
// callers wait on it, holding threads and memory; they slow down in turn, and
// so do their callers: a cascading failure. Each pattern here cuts one path
// along which a failure spreads.
//
//   - Deadline and AdaptiveTimeout: nobody waits forever. A timeout turns a
//     hung dependency into an error, which the other patterns can act on.
//   - Breaker (circuit breaker): once a dependency is clearly failing, stop
//     calling it for a while. Callers fail fast instead of queueing behind
//     it, and the dependency gets room to recover; probes in the half-open
//     state find out when it has. Contains cascading failure.
//   - Backoff and Retrier: retry transient failures, but wait longer each
//     time, and randomise the wait (jitter). Clients that failed together
//     otherwise retry together, in synchronised waves: a thundering herd.
//   - RetryBudget: retry at most a fixed share of requests. When a
//     dependency is down, every request fails; if every client retries
//     three times, the dependency sees four times its normal load exactly
//     when it can least take it. The budget stops such a retry storm.
//   - Bulkhead: bound the calls in flight to each dependency separately, so
//     one slow dependency fills only its own compartment, not every worker.
//     Contains cascading failure and noisy neighbours inside one process.
//   - TokenBucket: admit at most Burst + t/Every requests in any time t.
//     Protects a server from a noisy neighbour (one client sending far more
//     than its share) and lets short bursts through.
//   - LeakyBucket: queue requests and let them out at a constant rate;
//     smooths a burst (a thundering herd after a cache expires, say) into a
//     steady stream a fragile database can take.
//   - Shedder: when load passes a threshold, turn away the least important
//     requests first, so an overloaded server keeps doing its most valuable
//     work instead of doing everything slowly.
//
// # Why the time is an argument
//
// Every method that depends on time takes it as an argument:
// b.Allow(now), bucket.AllowN(now, n), deadline.Expired(now). Nothing here
// reads a clock, sets a timer or starts a goroutine, and random choices draw
// from a *rand.Rand the caller passes in (math/rand/v2). Each pattern is a
// small state machine: the same inputs always give the same outputs.
//
// That is what lets the same code run in two worlds. Inside dsim's
// simulator a node passes env.Now(), the virtual time, and env.Rand(); a run
// is then exactly reproducible from its seed, a breaker's whole life
// (closed, open for 5 s, half-open, closed) takes microseconds of real time,
// and a test can step time to the nanosecond where a transition happens.
// Outside the simulator, pass the wall clock's current time and the patterns
// work on real time.
//
// Where a pattern would block (a full bulkhead, a leaky bucket, a token
// bucket that asks the caller to wait), it instead says what the caller
// should do: Bulkhead.Release hands back the queued waiter whose turn it is,
// LeakyBucket.Offer returns the instant the request may leave, and
// TokenBucket.Delay how long to wait; the node sets a timer (env.SetTimer)
// for it.
//
// Time arithmetic is in integer nanoseconds, and exponentials are repeated
// integer multiplication with capping, so results are identical on amd64
// and arm64. None of the types is safe for concurrent use: a node runs one
// handler at a time and needs no locks.
package resilience
