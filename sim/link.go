package sim

import (
	"math/rand/v2"
	"time"
)

// Fate is what the network does with one message.
type Fate struct {
	// Drop loses the message; Reason says why ("partition", "loss", ...).
	Drop   bool
	Reason string
	// Delay is how long after the send the message arrives.
	Delay time.Duration
	// Duplicate delivers a second copy DupDelay after the send.
	Duplicate bool
	DupDelay  time.Duration
	// Msg, if not nil, is delivered in place of the message sent: what a
	// Byzantine sender told this destination (package network's
	// Equivocate). The trace records the send as sent and the swap as a
	// fault.
	Msg Message
}

// LinkModel decides the fate of every message. The world calls Route once
// per Send, in event order, with the world's network random stream, so a
// model that draws only from rng is deterministic.
//
// Package network implements the full model. A LinkModel that also
// implements Attacher is given the world when it is configured, so it can
// trace its own fault changes; one that implements ClockModel sets each
// node's clock.
type LinkModel interface {
	Route(now time.Duration, from, to NodeID, msg Message, rng *rand.Rand) Fate
}

// ClockModel gives each node its own clock. LocalTime maps the world's true
// virtual time to what node id's clock reads; TimerDelay maps a duration the
// node asked for on its own clock to true virtual time (a fast clock fires
// its timers early).
type ClockModel interface {
	LocalTime(id NodeID, now time.Duration) time.Duration
	TimerDelay(id NodeID, d time.Duration) time.Duration
}

// Attacher is implemented by link models that need the world: to record
// fault changes in its trace, or to read the time.
type Attacher interface {
	Attach(w *World)
}

// FixedLatency is the simplest LinkModel: every message arrives after the
// same delay, nothing is lost. It is the world's default, at one millisecond.
type FixedLatency time.Duration

// Route delivers after the fixed delay.
func (l FixedLatency) Route(time.Duration, NodeID, NodeID, Message, *rand.Rand) Fate {
	return Fate{Delay: time.Duration(l)}
}
