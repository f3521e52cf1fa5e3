package phi

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config sizes a Detector.
type Config struct {
	// Threshold is the φ at which the node is suspected: 1 to 12 (φ = k
	// means the chance that the node is merely late is 10^-k). Cassandra's
	// default is 8.
	Threshold int
	// Window is how many recent inter-arrival times are kept (Akka: 1000).
	Window int
	// MinStdDev is a floor under the standard deviation, so a perfectly
	// regular sender does not make every tiny delay look impossible.
	MinStdDev time.Duration
	// FirstInterval seeds the window before the first heartbeat pair: the
	// gap expected between heartbeats.
	FirstInterval time.Duration
}

// DefaultConfig is threshold 8, a window of 200 gaps, a 10ms floor on the
// deviation, and 100ms between heartbeats expected.
func DefaultConfig() Config {
	return Config{Threshold: 8, Window: 200, MinStdDev: 10 * time.Millisecond, FirstInterval: 100 * time.Millisecond}
}

// ErrConfig wraps every configuration error.
var ErrConfig = errors.New("phi: invalid config")

// Validate reports the first field that is wrong.
func (c Config) Validate() error {
	switch {
	case c.Threshold < 1 || c.Threshold > len(zMilli):
		return fmt.Errorf("%w: Threshold %d: must be 1..%d", ErrConfig, c.Threshold, len(zMilli))
	case c.Window < 2:
		return fmt.Errorf("%w: Window %d: must be at least 2", ErrConfig, c.Window)
	case c.MinStdDev <= 0:
		return fmt.Errorf("%w: MinStdDev %v: must be positive", ErrConfig, c.MinStdDev)
	case c.FirstInterval <= 0:
		return fmt.Errorf("%w: FirstInterval %v: must be positive", ErrConfig, c.FirstInterval)
	}
	return nil
}

// zMilli[k-1] is the standard normal quantile z with P(Z > z) = 10^-k, in
// thousandths (computed once, offline, by bisection on erfc).
var zMilli = [...]int64{1282, 2326, 3090, 3719, 4265, 4753, 5199, 5612, 5998, 6361, 6706, 7034}

// Detector is a phi accrual failure detector for one monitored node.
// It is not safe for concurrent use (a node runs one handler at a time).
type Detector struct {
	cfg Config
	// gaps is a ring of the last cfg.Window inter-arrival times; n of them
	// are filled (n <= cfg.Window), the oldest at (head-n) mod Window.
	gaps  []time.Duration
	head  int
	n     int
	sum   int64 // sum of the filled gaps, in ns
	last  time.Time
	heard bool // a heartbeat has arrived: last is set
}

// New returns a detector that has heard nothing yet, or an error naming a
// bad field.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg, gaps: make([]time.Duration, cfg.Window)}
	// Seed the window as Akka does: two gaps around the expected one, so the
	// first estimates are sane.
	d.push(cfg.FirstInterval - cfg.FirstInterval/4)
	d.push(cfg.FirstInterval + cfg.FirstInterval/4)
	return d, nil
}

// MustNew is New for configurations written in the program text.
func MustNew(cfg Config) *Detector {
	d, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return d
}

func (d *Detector) push(g time.Duration) {
	if d.n == d.cfg.Window {
		old := d.gaps[(d.head-d.n+d.cfg.Window)%d.cfg.Window]
		d.sum -= int64(old)
		d.n--
	}
	d.gaps[d.head] = g
	d.head = (d.head + 1) % d.cfg.Window
	d.n++
	d.sum += int64(g)
}

// Heartbeat records a heartbeat arriving at now. Times must not go
// backwards; an earlier one counts as a gap of zero.
func (d *Detector) Heartbeat(now time.Time) {
	if d.heard {
		d.push(max(now.Sub(d.last), 0))
	}
	d.last, d.heard = now, true
}

// Mean and StdDev are the estimates over the window (StdDev floored at
// MinStdDev), in integer nanoseconds.
func (d *Detector) Mean() time.Duration { return time.Duration(d.sum / int64(d.n)) }

// StdDev is the window's standard deviation, at least MinStdDev.
func (d *Detector) StdDev() time.Duration {
	mean := d.sum / int64(d.n)
	var sq uint64 // sum of squared deviations, in ns², saturating
	for i := range d.n {
		g := int64(d.gaps[(d.head-1-i+d.cfg.Window)%d.cfg.Window])
		dev := g - mean
		if dev < 0 {
			dev = -dev
		}
		add := uint64(dev) * uint64(dev)
		if dev > math.MaxUint32 || sq+add < sq {
			sq = math.MaxUint64
			break
		}
		sq += add
	}
	sd := time.Duration(isqrt(sq / uint64(d.n)))
	return max(sd, d.cfg.MinStdDev)
}

// isqrt is the integer square root (the largest r with r*r <= x).
func isqrt(x uint64) uint64 {
	if x < 2 {
		return x
	}
	r := uint64(math.Sqrt(float64(x))) // a first guess; corrected below in integers
	for r*r > x || r > math.MaxUint32 {
		r--
	}
	for (r+1) <= math.MaxUint32 && (r+1)*(r+1) <= x {
		r++
	}
	return r
}

// SuspectAfter is how long after the last heartbeat φ reaches the
// threshold: mean + z·σ.
func (d *Detector) SuspectAfter() time.Duration {
	return d.Mean() + time.Duration(zMilli[d.cfg.Threshold-1]*int64(d.StdDev())/1000)
}

// Suspect reports whether φ ≥ the threshold at now, decided in integers.
// Before the first heartbeat nothing is suspected.
func (d *Detector) Suspect(now time.Time) bool {
	return d.heard && now.Sub(d.last) >= d.SuspectAfter()
}

// Phi is φ at now, for display: -log10 of the chance that a gap of the
// normal distribution fitted to the window exceeds the time since the last
// heartbeat. It is 0 before the first heartbeat and capped at 99.
func (d *Detector) Phi(now time.Time) float64 {
	if !d.heard {
		return 0
	}
	t := float64(now.Sub(d.last))
	mean, sd := float64(d.Mean()), float64(d.StdDev())
	p := 0.5 * math.Erfc((t-mean)/(sd*math.Sqrt2))
	if p <= 1e-99 {
		return 99
	}
	return -math.Log10(p)
}

// Last is when the last heartbeat arrived, and whether one has.
func (d *Detector) Last() (time.Time, bool) { return d.last, d.heard }
