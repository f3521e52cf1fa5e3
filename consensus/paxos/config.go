package paxos

import (
	"errors"
	"fmt"
	"time"

	"github.com/dsimlab/dsim/resilience"
	"github.com/dsimlab/dsim/sim"
)

// Config tunes a Node. The zero value works: every member of the world is an
// acceptor, a pre-empted proposer retries at once (no backoff), and a round
// that hears nothing is retried after 100ms.
type Config struct {
	// Members are the acceptors and learners; empty means this node and
	// env.Peers(). Set it to run two separate Paxos groups in one world.
	Members []sim.NodeID
	// Backoff makes a pre-empted proposer wait before its next round: wait
	// number k is Backoff.Next(k, ...) drawn from env.Rand(). The zero
	// Backoff (Base 0) retries at once, which lets two proposers pre-empt
	// each other forever (see the paxos-duel scenario).
	Backoff resilience.Backoff
	// RetryTimeout restarts a round that neither succeeded nor was
	// pre-empted in this long: its messages were lost, or too few
	// acceptors are up. Zero means 100ms.
	RetryTimeout time.Duration
}

// DefaultConfig is what we recommend: randomised exponential backoff with
// full jitter, from 5ms up to 200ms, so dueling proposers drift apart.
func DefaultConfig() Config {
	return Config{
		Backoff:      RandomBackoff(),
		RetryTimeout: 100 * time.Millisecond,
	}
}

// RandomBackoff is the backoff of DefaultConfig: full jitter, base 5ms,
// doubling to at most 200ms.
func RandomBackoff() resilience.Backoff {
	return resilience.Backoff{
		Base:       5 * time.Millisecond,
		Cap:        200 * time.Millisecond,
		Multiplier: 2,
		Jitter:     resilience.FullJitter,
	}
}

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("paxos: invalid config")

// Validate reports the first field that is out of range.
func (c Config) Validate() error {
	if c.RetryTimeout < 0 {
		return fmt.Errorf("%w: RetryTimeout %v is negative", ErrInvalidConfig, c.RetryTimeout)
	}
	if c.Backoff != (resilience.Backoff{}) {
		if err := c.Backoff.Validate(); err != nil {
			return fmt.Errorf("%w: Backoff: %w", ErrInvalidConfig, err)
		}
	}
	seen := map[sim.NodeID]bool{}
	for _, m := range c.Members {
		if m == "" {
			return fmt.Errorf("%w: an empty member name", ErrInvalidConfig)
		}
		if seen[m] {
			return fmt.Errorf("%w: member %s listed twice", ErrInvalidConfig, m)
		}
		seen[m] = true
	}
	return nil
}

func (c Config) retryTimeout() time.Duration {
	if c.RetryTimeout == 0 {
		return 100 * time.Millisecond
	}
	return c.RetryTimeout
}
