package clock

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"time"
)

// Timestamp is a hybrid logical clock timestamp: a physical part, close to
// the wall clock, and a logical counter that orders events sharing one
// physical value. Timestamps compare by WallTime, then Logical.
type Timestamp struct {
	// WallTime is nanoseconds since the Unix epoch: the largest physical
	// time the clock has heard of (l in the paper).
	WallTime int64
	// Logical counts events since WallTime last changed (c in the paper).
	Logical uint32
}

// Compare returns -1 if t is earlier than u, +1 if later, 0 if equal.
func (t Timestamp) Compare(u Timestamp) int {
	if c := cmp.Compare(t.WallTime, u.WallTime); c != 0 {
		return c
	}
	return cmp.Compare(t.Logical, u.Logical)
}

// Less reports whether t is earlier than u.
func (t Timestamp) Less(u Timestamp) bool { return t.Compare(u) < 0 }

// IsZero reports whether t is the zero Timestamp, earlier than every
// timestamp an HLC hands out after the Unix epoch.
func (t Timestamp) IsZero() bool { return t == Timestamp{} }

// String writes t as seconds.nanoseconds,logical, for example
// 1767225600.000000003,2.
func (t Timestamp) String() string {
	sec, ns := t.WallTime/1e9, t.WallTime%1e9
	sign := ""
	if t.WallTime < 0 {
		sign, sec, ns = "-", -sec, -ns
	}
	return fmt.Sprintf("%s%d.%09d,%d", sign, sec, ns, t.Logical)
}

// ErrClockOffset is returned by HLC.Update when a remote timestamp is
// further ahead of the local physical clock than HLC.MaxOffset allows.
var ErrClockOffset = errors.New("clock: remote timestamp too far ahead of local clock")

// ErrTimestampOverflow is returned by HLC.Update when a remote timestamp is
// so large that no later timestamp exists.
var ErrTimestampOverflow = errors.New("clock: remote timestamp has no successor")

// HLC is a hybrid logical clock (Kulkarni, Demirbas et al., "Logical
// Physical Clocks", OPODIS 2014). Like a Lamport clock it never goes
// backwards and orders every send before its receive; unlike one, its
// timestamps stay within the clock skew of physical time, so they also
// mean "about when".
//
// The clock never reads the time: the caller passes the node's physical
// clock in (env.Now() in a node), which keeps it deterministic in the
// simulator. The zero value is ready to use and does no offset check. It is
// not safe for concurrent use.
type HLC struct {
	// MaxOffset, if positive, is the largest amount a remote timestamp's
	// WallTime may be ahead of the local physical time. Update refuses a
	// timestamp further ahead with ErrClockOffset instead of dragging this
	// clock (and every clock it talks to) into the future. Set it to the
	// skew you assume between any two clocks.
	MaxOffset time.Duration

	// last is the latest timestamp handed out.
	// Invariant: every timestamp handed out is greater than the one before.
	last Timestamp
}

// Now stamps a local event or a send at physical time pt. It is the paper's
// send rule: l = max(l, pt); c counts up if l did not change, else resets.
// Should c ever be full (2^32 events on one physical reading), l moves 1ns
// ahead instead, so the clock still never repeats a timestamp.
//
// Now panics if pt cannot be written as int64 nanoseconds since the Unix
// epoch (before 1678 or after 2262, or the zero time.Time): a physical clock
// that says so is broken.
func (c *HLC) Now(pt time.Time) Timestamp {
	wall := mustUnixNano(pt)
	if wall > c.last.WallTime {
		c.last = Timestamp{WallTime: wall}
	} else {
		c.last = successor(c.last)
	}
	return c.last
}

// Update stamps the receipt, at physical time pt, of a message stamped
// remote. It is the paper's receive rule: l = max(l, remote.l, pt), and c
// goes one past the largest counter among those that reached l (0 if only
// pt did). The result is later than both the clock's last timestamp and
// remote.
//
// If remote is too far ahead (see MaxOffset) or has no successor, Update
// returns an error wrapping ErrClockOffset or ErrTimestampOverflow and
// leaves the clock as it was; the caller should drop the message.
// It panics on a broken physical clock, as Now does.
func (c *HLC) Update(pt time.Time, remote Timestamp) (Timestamp, error) {
	wall := mustUnixNano(pt)
	if c.MaxOffset > 0 && remote.WallTime > wall {
		// Unsigned, because the gap between two int64s can exceed int64.
		ahead := uint64(remote.WallTime) - uint64(wall)
		if ahead > uint64(c.MaxOffset) {
			return c.last, fmt.Errorf("%w: remote %v is %dns ahead of physical time %v (max offset %v)",
				ErrClockOffset, remote, ahead, pt, c.MaxOffset)
		}
	}
	if remote == maxTimestamp {
		return c.last, fmt.Errorf("%w: remote %v", ErrTimestampOverflow, remote)
	}
	// Take the later of the local and remote timestamps, then step past it
	// unless physical time alone is later still.
	latest := c.last
	if latest.Less(remote) {
		latest = remote
	}
	if wall > latest.WallTime {
		c.last = Timestamp{WallTime: wall}
	} else {
		c.last = successor(latest)
	}
	return c.last, nil
}

// Last is the latest timestamp the clock handed out, without making a new
// one. It is the zero Timestamp for a fresh clock.
func (c *HLC) Last() Timestamp { return c.last }

var maxTimestamp = Timestamp{WallTime: math.MaxInt64, Logical: math.MaxUint32}

// successor is the smallest timestamp after t. When the logical counter is
// full it carries into WallTime (one nanosecond ahead), which keeps the
// clock strictly increasing at the price of running 1ns ahead of physical
// time per 2^32 events that share one physical reading.
func successor(t Timestamp) Timestamp {
	switch {
	case t.Logical < math.MaxUint32:
		return Timestamp{WallTime: t.WallTime, Logical: t.Logical + 1}
	case t.WallTime < math.MaxInt64:
		return Timestamp{WallTime: t.WallTime + 1}
	}
	panic("clock: HLC timestamp overflow (2^32 events past the largest wall time)")
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func mustUnixNano(pt time.Time) int64 {
	if pt.Before(minTime) || pt.After(maxTime) {
		panic(fmt.Sprintf("clock: physical time %v is outside what an HLC can represent (years 1678-2262)", pt))
	}
	return pt.UnixNano()
}
