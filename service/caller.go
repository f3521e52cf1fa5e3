package service

import (
	"errors"
	"fmt"
	"time"

	"github.com/dsimlab/dsim/resilience"
	"github.com/dsimlab/dsim/sim"
)

// ErrInvalidConfig wraps every configuration error of this package.
var ErrInvalidConfig = errors.New("service: invalid config")

// CallerConfig says how a node calls one dependency. The zero value (with a
// Name) sends each call once and waits for its answer forever.
type CallerConfig struct {
	// Name names the dependency in requests and timers ("db", "auth"); a node
	// with several Callers needs distinct names.
	Name string
	// Timeout is how long one try waits for its answer; 0 waits forever
	// (rarely wise: a hung dependency then holds the caller forever).
	Timeout time.Duration
	// Breaker, if set, puts the calls through a circuit breaker: while it is
	// open, calls fail at once with BreakerOpen.
	Breaker *resilience.BreakerConfig
	// MaxConcurrent, if positive, is a bulkhead: at most this many calls in
	// flight to this dependency, MaxQueue more waiting their turn; the rest
	// fail at once with BulkheadFull.
	MaxConcurrent, MaxQueue int
	// Retry, if set, retries a failed try (timeout, rejected, shed, failed)
	// after the backoff's wait, up to its MaxAttempts.
	Retry *resilience.Backoff
	// Budget, if set, caps the retries at a share of the calls.
	Budget *resilience.RetryBudgetConfig
}

// Validate reports the first field that is wrong.
func (c CallerConfig) Validate() error {
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: caller needs a Name", ErrInvalidConfig)
	case c.Timeout < 0:
		return fmt.Errorf("%w: caller %s: negative Timeout %v", ErrInvalidConfig, c.Name, c.Timeout)
	case c.MaxConcurrent < 0 || c.MaxQueue < 0:
		return fmt.Errorf("%w: caller %s: negative bulkhead size", ErrInvalidConfig, c.Name)
	case c.MaxQueue > 0 && c.MaxConcurrent == 0:
		return fmt.Errorf("%w: caller %s: MaxQueue without MaxConcurrent", ErrInvalidConfig, c.Name)
	}
	if c.Breaker != nil {
		if err := c.Breaker.Validate(); err != nil {
			return fmt.Errorf("caller %s: %w", c.Name, err)
		}
	}
	if c.Retry != nil {
		if err := c.Retry.Validate(); err != nil {
			return fmt.Errorf("caller %s: %w", c.Name, err)
		}
	}
	if c.Budget != nil {
		if err := c.Budget.Validate(); err != nil {
			return fmt.Errorf("caller %s: %w", c.Name, err)
		}
	}
	return nil
}

// Done receives the outcome of a call. resp.ID is the ID the caller gave the
// request; the latency is now minus the time Call was called.
type Done func(env sim.Env, resp Response)

// Caller is the client side of calls to one dependency: timeout, breaker,
// bulkhead, retries. A node owns its Callers and passes every message to
// Caller.Receive first. A Caller is not safe for concurrent use.
type Caller struct {
	cfg      CallerConfig
	breaker  *resilience.Breaker
	bulkhead *resilience.Bulkhead[uint64]
	budget   *resilience.RetryBudget // created at the first call: it needs a time
	nextID   uint64
	calls    map[uint64]*call // calls in progress, by wire ID
	stats    CallerStats
}

// CallerStats counts what a Caller did.
type CallerStats struct {
	Calls    uint64 // calls begun
	Tries    uint64 // requests sent, retries included
	Retries  uint64 // retries sent
	Timeouts uint64 // tries that timed out
	FastFail uint64 // calls refused by the breaker or the bulkhead without a request
	OK       uint64 // calls that succeeded
}

type call struct {
	to       sim.NodeID
	req      Request // as the node gave it; ID is the node's
	done     Done
	attempt  int
	timer    sim.TimerID
	timing   bool // a timeout timer is set
	retrier  *resilience.Retrier
	breakerd bool // the current try was admitted by the breaker
}

// callTimeout and callRetry are a Caller's timers.
type callTimeout struct {
	Caller  string
	ID      uint64
	Attempt int
}

type callRetry struct {
	Caller string
	ID     uint64
}

// NewCaller returns a Caller, or an error naming the bad field.
func NewCaller(cfg CallerConfig) (*Caller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Caller{cfg: cfg, calls: map[uint64]*call{}}
	if cfg.Breaker != nil {
		b, err := resilience.NewBreaker(*cfg.Breaker)
		if err != nil {
			return nil, fmt.Errorf("caller %s: %w", cfg.Name, err)
		}
		c.breaker = b
	}
	if cfg.MaxConcurrent > 0 {
		b, err := resilience.NewBulkhead[uint64](cfg.MaxConcurrent, cfg.MaxQueue)
		if err != nil {
			return nil, fmt.Errorf("caller %s: %w", cfg.Name, err)
		}
		c.bulkhead = b
	}
	return c, nil
}

// MustCaller is NewCaller for configurations written in the program text.
func MustCaller(cfg CallerConfig) *Caller {
	c, err := NewCaller(cfg)
	if err != nil {
		panic(err)
	}
	return c
}

// Name is the dependency's name.
func (c *Caller) Name() string { return c.cfg.Name }

// Breaker is the caller's circuit breaker, or nil.
func (c *Caller) Breaker() *resilience.Breaker { return c.breaker }

// Bulkhead is the caller's bulkhead, or nil.
func (c *Caller) Bulkhead() *resilience.Bulkhead[uint64] { return c.bulkhead }

// Budget is the caller's retry budget, or nil (also before the first call).
func (c *Caller) Budget() *resilience.RetryBudget { return c.budget }

// Stats returns the counters.
func (c *Caller) Stats() CallerStats { return c.stats }

// InFlight is the number of calls begun and not yet done.
func (c *Caller) InFlight() int { return len(c.calls) }

// Call sends req to node to and runs done with the outcome, once: the
// answer, or the last failure after any retries, or a fast failure
// (BreakerOpen, BulkheadFull) — which may run done before Call returns.
func (c *Caller) Call(env sim.Env, to sim.NodeID, req Request, done Done) {
	now := env.Now()
	c.stats.Calls++
	if c.cfg.Budget != nil {
		if c.budget == nil {
			b, err := resilience.NewRetryBudget(*c.cfg.Budget, now)
			if err != nil {
				panic(err) // validated in NewCaller
			}
			c.budget = b
		}
		c.budget.Request(now)
	}
	c.nextID++
	id := c.nextID
	cl := &call{to: to, req: req, done: done}
	if c.cfg.Retry != nil {
		r, err := resilience.NewRetrier(*c.cfg.Retry)
		if err != nil {
			panic(err) // validated in NewCaller
		}
		cl.retrier = r
	}
	c.calls[id] = cl
	if c.bulkhead != nil {
		switch c.bulkhead.Acquire(id) {
		case resilience.Queued:
			return // Release hands it a slot later
		case resilience.Rejected:
			c.stats.FastFail++
			c.finish(env, id, cl, BulkheadFull, "", false)
			return
		}
	}
	c.try(env, id, cl)
}

// try sends one attempt of call id, unless the breaker refuses it.
func (c *Caller) try(env sim.Env, id uint64, cl *call) {
	if c.breaker != nil {
		if err := c.breaker.Allow(env.Now()); err != nil {
			c.stats.FastFail++
			c.finish(env, id, cl, BreakerOpen, "", true)
			return
		}
		cl.breakerd = true
	}
	c.stats.Tries++
	if cl.attempt > 0 {
		c.stats.Retries++
	}
	req := cl.req
	req.ID, req.Caller, req.Attempt = id, c.cfg.Name, cl.attempt
	env.Send(cl.to, req)
	if c.cfg.Timeout > 0 {
		cl.timer = env.SetTimer(c.cfg.Timeout, callTimeout{Caller: c.cfg.Name, ID: id, Attempt: cl.attempt})
		cl.timing = true
	}
}

// Receive handles the Responses and timers that belong to this Caller and
// reports whether msg was one of them.
func (c *Caller) Receive(env sim.Env, from sim.NodeID, msg sim.Message) bool {
	switch m := msg.(type) {
	case Response:
		if m.Caller != c.cfg.Name {
			return false
		}
		cl, ok := c.calls[m.ID]
		if !ok || m.Attempt != cl.attempt || from != cl.to {
			return true // the answer to a try we gave up on
		}
		if cl.timing {
			env.CancelTimer(cl.timer)
			cl.timing = false
		}
		c.tryDone(env, m.ID, cl, m.Outcome, m.Value)
		return true
	case callTimeout:
		if m.Caller != c.cfg.Name {
			return false
		}
		cl, ok := c.calls[m.ID]
		if !ok || m.Attempt != cl.attempt || !cl.timing {
			return true
		}
		cl.timing = false
		c.stats.Timeouts++
		c.tryDone(env, m.ID, cl, Timeout, "")
		return true
	case callRetry:
		if m.Caller != c.cfg.Name {
			return false
		}
		if cl, ok := c.calls[m.ID]; ok {
			cl.attempt++
			c.try(env, m.ID, cl)
		}
		return true
	}
	return false
}

// tryDone settles one try: success ends the call; a failure is retried if the
// backoff and the budget allow it.
func (c *Caller) tryDone(env sim.Env, id uint64, cl *call, out Outcome, value string) {
	now := env.Now()
	if cl.breakerd {
		c.breaker.Record(now, out == OK)
		cl.breakerd = false
	}
	if out == OK || out == Denied || cl.retrier == nil {
		c.finish(env, id, cl, out, value, true)
		return
	}
	wait, ok := cl.retrier.Next(env.Rand())
	if ok && c.budget != nil {
		ok = c.budget.AllowRetry(now)
	}
	if !ok {
		c.finish(env, id, cl, out, value, true)
		return
	}
	env.SetTimer(wait, callRetry{Caller: c.cfg.Name, ID: id})
}

// finish ends call id, hands its bulkhead slot on, and reports the outcome.
func (c *Caller) finish(env sim.Env, id uint64, cl *call, out Outcome, value string, holdsSlot bool) {
	delete(c.calls, id)
	if out == OK {
		c.stats.OK++
	}
	if c.bulkhead != nil && holdsSlot {
		if next, ok := c.bulkhead.Release(); ok {
			if ncl, live := c.calls[next]; live {
				c.try(env, next, ncl)
			}
		}
	}
	resp := Response{ID: cl.req.ID, Caller: c.cfg.Name, Attempt: cl.attempt, Key: cl.req.Key, Value: value, Outcome: out}
	cl.done(env, resp)
}
