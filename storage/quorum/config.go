package quorum

import (
	"errors"
	"fmt"
	"time"
)

// Config sets up a Server. Start from DefaultConfig.
type Config struct {
	// N is how many replicas hold each key: the first N nodes of the key's
	// preference list on the ring.
	N int
	// R is how many replicas must answer a read, W how many must store a
	// write, before the coordinator answers the client. With R+W > N every
	// read quorum overlaps every write quorum, so a read meets at least one
	// replica that has the latest acknowledged write.
	R, W int
	// VNodes is the number of virtual nodes per server on the ring.
	VNodes int
	// LastWriterWins keeps one version per key, the one with the highest
	// coordinator timestamp, instead of keeping concurrent writes as
	// siblings for the client to resolve. Simpler for clients; loses
	// writes when clocks are skewed or when writes are concurrent.
	LastWriterWins bool
	// SloppyQuorum lets a coordinator write to (and read from) the next
	// healthy nodes of the ring in place of preference-list nodes it
	// suspects are down; the stand-ins keep hints and hand the data over
	// when the node is back (hinted handoff). Without it, a key whose
	// replicas are down is unavailable (a strict quorum).
	SloppyQuorum bool
	// ReadRepair makes a coordinator, once a read's replicas have answered,
	// send the merged versions to every replica that answered with less.
	ReadRepair bool
	// WriteBackReads makes a read write the versions it is about to return
	// to W replicas, and wait for them, before answering (as in ABD). Then a
	// read that saw a value makes every later read see it too: reads become
	// linearizable, at the cost of a second round trip.
	WriteBackReads bool
	// Timeout is how long a coordinator waits for replicas. With a sloppy
	// quorum, it then suspects the silent ones and tries stand-ins once.
	Timeout time.Duration
	// SuspectFor is how long a node that did not answer in time is
	// skipped by a sloppy quorum, unless it is heard from first.
	SuspectFor time.Duration
	// HandoffEvery is how often a node tries to hand over its hints.
	HandoffEvery time.Duration
}

// DefaultConfig is N=3, R=2, W=2 with 16 virtual nodes per server, read
// repair and a sloppy quorum with hinted handoff, and siblings resolved by
// clients: Dynamo's usual setting.
func DefaultConfig() Config {
	return Config{
		N: 3, R: 2, W: 2,
		VNodes:       16,
		SloppyQuorum: true,
		ReadRepair:   true,
		Timeout:      50 * time.Millisecond,
		SuspectFor:   time.Second,
		HandoffEvery: 200 * time.Millisecond,
	}
}

// ErrBadConfig is wrapped by Validate's errors.
var ErrBadConfig = errors.New("quorum: bad config")

// Validate says which field is wrong.
func (c Config) Validate() error {
	switch {
	case c.N < 1:
		return fmt.Errorf("%w: N is %d; need at least 1 replica", ErrBadConfig, c.N)
	case c.R < 1 || c.R > c.N:
		return fmt.Errorf("%w: R is %d; need 1 <= R <= N (%d)", ErrBadConfig, c.R, c.N)
	case c.W < 1 || c.W > c.N:
		return fmt.Errorf("%w: W is %d; need 1 <= W <= N (%d)", ErrBadConfig, c.W, c.N)
	case c.VNodes < 1:
		return fmt.Errorf("%w: VNodes is %d; need at least 1", ErrBadConfig, c.VNodes)
	case c.Timeout <= 0:
		return fmt.Errorf("%w: Timeout is %v; need a positive wait", ErrBadConfig, c.Timeout)
	case c.SuspectFor < 0:
		return fmt.Errorf("%w: SuspectFor is negative (%v)", ErrBadConfig, c.SuspectFor)
	case c.SloppyQuorum && c.HandoffEvery <= 0:
		return fmt.Errorf("%w: HandoffEvery is %v; a sloppy quorum needs a positive handoff interval", ErrBadConfig, c.HandoffEvery)
	}
	return nil
}

// Overlapping reports whether R+W > N: every read quorum shares a replica
// with every write quorum.
func (c Config) Overlapping() bool { return c.R+c.W > c.N }
