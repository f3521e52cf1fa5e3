package service

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Hedged requests (Dean and Barroso, "The Tail at Scale", 2013): send a
// request to one replica; if it has not answered within a short delay
// (about the 95th percentile of normal latency), send a copy to another
// replica, and take whichever answer comes first. Only the slowest few
// percent of requests are sent twice, so the extra load is small, but the
// tail latency no longer belongs to the slowest replica: one slow or lossy
// machine (a gray failure) stops setting everyone's p99.

// HedgeConfig says how a Hedger calls a replicated dependency.
type HedgeConfig struct {
	// Name names the dependency in requests and timers, as CallerConfig.Name.
	Name string
	// After is how long the first copy may go unanswered before the next
	// copy goes to another replica; 0 never hedges.
	After time.Duration
	// Copies is the most copies of one request sent (default 2).
	Copies int
	// Timeout gives up on the whole call; 0 waits forever.
	Timeout time.Duration
}

// Validate reports the first field that is wrong.
func (c HedgeConfig) Validate() error {
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: hedge: Name is empty", ErrInvalidConfig)
	case c.After < 0 || c.Timeout < 0:
		return fmt.Errorf("%w: hedge: After %v and Timeout %v must not be negative", ErrInvalidConfig, c.After, c.Timeout)
	case c.Copies < 0:
		return fmt.Errorf("%w: hedge: Copies %d is negative", ErrInvalidConfig, c.Copies)
	}
	return nil
}

// HedgeStats counts what a Hedger did.
type HedgeStats struct {
	Calls    uint64 // calls begun
	Copies   uint64 // requests sent, hedges included
	Hedges   uint64 // extra copies sent because the first was slow
	HedgeWon uint64 // calls answered first by a hedge copy
	OK       uint64 // calls that succeeded
	Timeouts uint64 // calls that timed out
}

// Hedger calls a replicated dependency with hedged requests. A node owns
// it and passes every message to Receive first; it is not safe for
// concurrent use.
type Hedger struct {
	cfg    HedgeConfig
	next   uint64
	calls  map[uint64]*hedgedCall
	stats  HedgeStats
	copies int
}

type hedgedCall struct {
	id       uint64 // the caller's ID
	targets  []sim.NodeID
	sent     int // copies sent; copy i went to targets[i]
	answered int // copies that came back failed (answered <= sent)
	req      Request
	done     Done
	start    time.Time
	timeout  sim.TimerID
	timing   bool
}

type hedgeTimer struct {
	Caller string
	ID     uint64
	Copy   int
}

type hedgeTimeout struct {
	Caller string
	ID     uint64
}

// NewHedger returns a Hedger, or an error naming the bad field.
func NewHedger(cfg HedgeConfig) (*Hedger, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	copies := cfg.Copies
	if copies == 0 {
		copies = 2
	}
	return &Hedger{cfg: cfg, calls: map[uint64]*hedgedCall{}, copies: copies}, nil
}

// MustHedger is NewHedger for configurations written in the program text.
func MustHedger(cfg HedgeConfig) *Hedger {
	h, err := NewHedger(cfg)
	if err != nil {
		panic(err)
	}
	return h
}

// Call sends req to targets[0] and, while unanswered, a copy to the next
// target every After, up to Copies copies; done runs once, with the first
// answer that is OK (or, if none is, the last answer, or a Timeout).
func (h *Hedger) Call(env sim.Env, targets []sim.NodeID, req Request, done Done) {
	h.stats.Calls++
	h.next++
	c := &hedgedCall{id: req.ID, targets: targets, req: req, done: done, start: env.Now()}
	h.calls[h.next] = c
	if h.cfg.Timeout > 0 {
		c.timeout, c.timing = env.SetTimer(h.cfg.Timeout, hedgeTimeout{Caller: h.cfg.Name, ID: h.next}), true
	}
	h.send(env, h.next, c)
}

func (h *Hedger) send(env sim.Env, id uint64, c *hedgedCall) {
	req := c.req
	req.ID, req.Caller, req.Attempt = id, h.cfg.Name, c.sent
	env.Send(c.targets[c.sent], req)
	c.sent++
	h.stats.Copies++
	if c.sent < h.maxCopies(c) {
		env.SetTimer(h.cfg.After, hedgeTimer{Caller: h.cfg.Name, ID: id, Copy: c.sent})
	}
}

// maxCopies is how many copies call c may send: one without hedging.
func (h *Hedger) maxCopies(c *hedgedCall) int {
	if h.cfg.After == 0 {
		return 1
	}
	return min(h.copies, len(c.targets))
}

// Receive handles the Responses and timers that belong to this Hedger and
// reports whether msg was one of them.
func (h *Hedger) Receive(env sim.Env, from sim.NodeID, msg sim.Message) bool {
	switch m := msg.(type) {
	case Response:
		if m.Caller != h.cfg.Name {
			return false
		}
		c, ok := h.calls[m.ID]
		if !ok {
			return true // answered already: a losing copy
		}
		if m.Outcome != OK {
			c.answered++
			switch {
			case c.answered < c.sent:
				return true // another copy may still succeed
			case c.sent < h.maxCopies(c):
				h.stats.Hedges++ // every copy so far failed: hedge now
				h.send(env, m.ID, c)
				return true
			}
		}
		if m.Outcome == OK && m.Attempt > 0 {
			h.stats.HedgeWon++
		}
		h.finish(env, m.ID, c, m.Outcome, m.Value)
		return true
	case hedgeTimer:
		if m.Caller != h.cfg.Name {
			return false
		}
		if c, ok := h.calls[m.ID]; ok && c.sent == m.Copy {
			h.stats.Hedges++
			h.send(env, m.ID, c)
		}
		return true
	case hedgeTimeout:
		if m.Caller != h.cfg.Name {
			return false
		}
		if c, ok := h.calls[m.ID]; ok {
			c.timing = false
			h.stats.Timeouts++
			h.finish(env, m.ID, c, Timeout, "")
		}
		return true
	}
	return false
}

func (h *Hedger) finish(env sim.Env, id uint64, c *hedgedCall, o Outcome, value string) {
	delete(h.calls, id)
	if c.timing {
		env.CancelTimer(c.timeout)
	}
	if o == OK {
		h.stats.OK++
	}
	c.done(env, Response{ID: c.id, Caller: h.cfg.Name, Key: c.req.Key, Value: value, Outcome: o})
}

// Stats returns the counters.
func (h *Hedger) Stats() HedgeStats { return h.stats }

// InFlight is the number of calls begun and not yet done.
func (h *Hedger) InFlight() int { return len(h.calls) }
