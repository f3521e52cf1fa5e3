package multipaxos

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes a Node. Zero fields take the defaults.
type Config struct {
	// ElectionTimeout: a follower that hears nothing from a leader for a
	// time drawn uniformly from [ET, 2*ET) starts phase 1 with a higher
	// ballot. The randomness keeps two followers from trying together.
	ElectionTimeout time.Duration
	// HeartbeatInterval is how often a leader sends Heartbeats and resends
	// the Accepts that are not yet answered. Must be below ElectionTimeout.
	HeartbeatInterval time.Duration
	// MaxLearnBatch caps the decisions one Learn carries.
	MaxLearnBatch int
}

// DefaultConfig is Raft's timing: 150–300ms election timer, 50ms heartbeats.
func DefaultConfig() Config {
	return Config{ElectionTimeout: 150 * time.Millisecond, HeartbeatInterval: 50 * time.Millisecond, MaxLearnBatch: 64}
}

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("multipaxos: invalid config")

// Validate reports the first field that is out of range.
func (c Config) Validate() error {
	switch {
	case c.ElectionTimeout < 0:
		return fmt.Errorf("%w: ElectionTimeout %v is negative", ErrInvalidConfig, c.ElectionTimeout)
	case c.HeartbeatInterval < 0:
		return fmt.Errorf("%w: HeartbeatInterval %v is negative", ErrInvalidConfig, c.HeartbeatInterval)
	case c.MaxLearnBatch < 0:
		return fmt.Errorf("%w: MaxLearnBatch %d is negative", ErrInvalidConfig, c.MaxLearnBatch)
	}
	c = c.withDefaults()
	if c.HeartbeatInterval >= c.ElectionTimeout {
		return fmt.Errorf("%w: HeartbeatInterval %v must be shorter than ElectionTimeout %v", ErrInvalidConfig, c.HeartbeatInterval, c.ElectionTimeout)
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ElectionTimeout == 0 {
		c.ElectionTimeout = d.ElectionTimeout
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = d.HeartbeatInterval
	}
	if c.MaxLearnBatch == 0 {
		c.MaxLearnBatch = d.MaxLearnBatch
	}
	return c
}
