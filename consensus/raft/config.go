package raft

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes a Node. Start from DefaultConfig; a zero duration or a zero
// MaxEntriesPerAppend falls back to the default, so Config{} is plain Raft
// (no PreVote, no CheckQuorum, no snapshots) with default timing.
type Config struct {
	// ElectionTimeout is the base election timeout. A follower that hears
	// from no leader for a timeout drawn uniformly from [ET, 2*ET) starts an
	// election (§5.2); the randomness is what keeps split votes rare.
	ElectionTimeout time.Duration
	// HeartbeatInterval is how often a leader sends AppendEntries to every
	// follower even when it has nothing new. It must be well below
	// ElectionTimeout, or followers time out between heartbeats.
	HeartbeatInterval time.Duration
	// PreVote makes a would-be candidate first ask whether it could win
	// (thesis §9.6) before it increments its term, so a node that was cut
	// off does not force a healthy cluster into a new term when it rejoins.
	PreVote bool
	// CheckQuorum makes a leader step down when it has not heard from a
	// majority within an election timeout, and makes followers that heard
	// from a leader within an election timeout ignore RequestVote (thesis
	// §6.2 and §4.2.3).
	CheckQuorum bool
	// SnapshotThreshold triggers log compaction: when more than this many
	// applied entries sit in the log, the node snapshots its state machine
	// and drops them. 0 means never compact.
	SnapshotThreshold int
	// SnapshotThresholdBytes triggers compaction too: once the commands
	// applied since the last snapshot add up to more than this many bytes,
	// whatever their number, so that big values do not pile up in memory
	// waiting for SnapshotThreshold. 0 means no such trigger.
	SnapshotThresholdBytes int
	// SnapshotTrailingEntries is how many entries a node keeps in its log
	// behind its latest snapshot (etcd's SnapshotCatchUpEntries), so that a
	// follower a few entries behind is sent those entries, not the whole
	// snapshot. 0 keeps none. With SnapshotThresholdBytes set, the entries
	// kept also add up to no more than that many bytes of commands.
	SnapshotTrailingEntries int
	// SnapshotChunkSize is the most snapshot bytes one InstallSnapshot
	// carries (Figure 13's chunks): a snapshot of any size travels as a
	// stream of messages, each far below a transport's frame limit. Zero
	// means the default, 1 MiB.
	SnapshotChunkSize int
	// MaxEntriesPerAppend caps the entries one AppendEntries carries.
	MaxEntriesPerAppend int
	// MaxInflightAppends bounds the AppendEntries carrying entries that a
	// leader pipelines to one follower without an answer (etcd's
	// MaxInflightMsgs). Entries proposed while the window is full wait, and
	// the answer that frees it sends them all in one message: under load
	// that batches many commands per message, per disk write on the
	// follower and per round trip. 0 means no limit.
	MaxInflightAppends int
	// MaxBytesPerAppend caps the command bytes one AppendEntries carries
	// (etcd's MaxSizePerMsg), so that a follower catching up on big values
	// is not sent a message larger than a transport accepts. A single entry
	// over the cap still travels alone. Zero means the default, 1 MiB.
	MaxBytesPerAppend int
}

// DefaultConfig is what we recommend: the paper's 150–300ms election timer,
// 50ms heartbeats, and PreVote and CheckQuorum both on, as etcd runs them.
// Together they keep a node that rejoins after a partition from disrupting a
// healthy leader: PreVote stops it from bumping the term, CheckQuorum makes
// a leader that lost its majority step down by itself.
func DefaultConfig() Config {
	return Config{
		ElectionTimeout:         150 * time.Millisecond,
		HeartbeatInterval:       50 * time.Millisecond,
		PreVote:                 true,
		CheckQuorum:             true,
		SnapshotThreshold:       1024,
		SnapshotTrailingEntries: 256,
		SnapshotChunkSize:       DefaultSnapshotChunkSize,
		MaxEntriesPerAppend:     64,
		MaxBytesPerAppend:       1 << 20,
	}
}

// DefaultSnapshotChunkSize is SnapshotChunkSize's default: 1 MiB, a
// sixteenth of the live runtime's frame limit even after base64.
const DefaultSnapshotChunkSize = 1 << 20

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("raft: invalid config")

// Validate reports the first field that is out of range. Zero values are
// valid: they mean "use the default".
func (c Config) Validate() error {
	switch {
	case c.ElectionTimeout < 0:
		return fmt.Errorf("%w: ElectionTimeout %v is negative", ErrInvalidConfig, c.ElectionTimeout)
	case c.HeartbeatInterval < 0:
		return fmt.Errorf("%w: HeartbeatInterval %v is negative", ErrInvalidConfig, c.HeartbeatInterval)
	case c.SnapshotThreshold < 0:
		return fmt.Errorf("%w: SnapshotThreshold %d is negative", ErrInvalidConfig, c.SnapshotThreshold)
	case c.SnapshotThresholdBytes < 0:
		return fmt.Errorf("%w: SnapshotThresholdBytes %d is negative", ErrInvalidConfig, c.SnapshotThresholdBytes)
	case c.SnapshotTrailingEntries < 0:
		return fmt.Errorf("%w: SnapshotTrailingEntries %d is negative", ErrInvalidConfig, c.SnapshotTrailingEntries)
	case c.SnapshotChunkSize < 0:
		return fmt.Errorf("%w: SnapshotChunkSize %d is negative", ErrInvalidConfig, c.SnapshotChunkSize)
	case c.MaxEntriesPerAppend < 0:
		return fmt.Errorf("%w: MaxEntriesPerAppend %d is negative", ErrInvalidConfig, c.MaxEntriesPerAppend)
	case c.MaxInflightAppends < 0:
		return fmt.Errorf("%w: MaxInflightAppends %d is negative", ErrInvalidConfig, c.MaxInflightAppends)
	case c.MaxBytesPerAppend < 0:
		return fmt.Errorf("%w: MaxBytesPerAppend %d is negative", ErrInvalidConfig, c.MaxBytesPerAppend)
	}
	c = c.withDefaults()
	if c.HeartbeatInterval >= c.ElectionTimeout {
		return fmt.Errorf("%w: HeartbeatInterval %v must be shorter than ElectionTimeout %v",
			ErrInvalidConfig, c.HeartbeatInterval, c.ElectionTimeout)
	}
	return nil
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ElectionTimeout == 0 {
		c.ElectionTimeout = d.ElectionTimeout
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = d.HeartbeatInterval
	}
	if c.MaxEntriesPerAppend == 0 {
		c.MaxEntriesPerAppend = d.MaxEntriesPerAppend
	}
	if c.MaxBytesPerAppend == 0 {
		c.MaxBytesPerAppend = d.MaxBytesPerAppend
	}
	if c.SnapshotChunkSize == 0 {
		c.SnapshotChunkSize = d.SnapshotChunkSize
	}
	return c
}

// Role is what a node currently is.
type Role int

const (
	Follower     Role = iota // answers leaders and candidates (§5.1)
	PreCandidate             // asking for pre-votes without bumping its term (thesis §9.6)
	Candidate                // asking for votes in a new term (§5.2)
	Leader                   // accepts commands and replicates its log (§5.3)
)

var roleNames = [...]string{"follower", "pre-candidate", "candidate", "leader"}

func (r Role) String() string {
	if r >= 0 && int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", int(r))
}
