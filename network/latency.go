package network

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Latency is a distribution of one-way message delays. Sample draws one
// delay using only rng, so a run is a function of the seed; String prints the
// distribution in the form ParseLatency reads back ("uniform(1ms,5ms)").
//
// The distributions in this package are plain values with exported fields,
// so they print, compare and travel inside fault schedules.
type Latency interface {
	Sample(rng *rand.Rand) time.Duration
	String() string
}

// Constant is a fixed delay: every message takes exactly this long.
type Constant time.Duration

// Uniform delays are spread evenly over [Min, Max].
type Uniform struct{ Min, Max time.Duration }

// Normal delays follow a bell curve around Mean; the rare draw below zero
// becomes zero. Models jitter around a typical round trip.
type Normal struct{ Mean, Stddev time.Duration }

// Exponential delays are Min plus an exponentially distributed wait, with
// mean Mean overall: most messages are fast, a few wait in queues.
type Exponential struct{ Min, Mean time.Duration }

// Pareto delays have a long tail: the median is about Min·2^(1/Alpha), but
// p99 is Min·100^(1/Alpha) — with Alpha 1.5, some 14 times the median. It
// models the stragglers of real networks: a retransmission, a full switch
// buffer, a GC pause on a middlebox. Smaller Alpha, longer tail; Alpha must
// lie in [0.5, 1000].
type Pareto struct {
	Min   time.Duration
	Alpha float64
}

// maxLatency caps every sample, so that scaled tails never overflow the
// virtual clock.
const maxLatency = 24 * time.Hour

// Sample returns the constant.
func (c Constant) Sample(*rand.Rand) time.Duration { return time.Duration(c) }

// Sample draws uniformly from [Min, Max].
func (u Uniform) Sample(rng *rand.Rand) time.Duration {
	if u.Max <= u.Min {
		return u.Min
	}
	return u.Min + time.Duration(rng.Int64N(int64(u.Max-u.Min)+1))
}

// Sample draws Mean + Stddev·z for a standard normal z, clamped at zero.
func (n Normal) Sample(rng *rand.Rand) time.Duration {
	return max(0, n.Mean+scale(n.Stddev, normalTable.sample(rng)))
}

// Sample draws Min + (Mean-Min)·e for a standard exponential e.
func (e Exponential) Sample(rng *rand.Rand) time.Duration {
	return e.Min + scale(e.Mean-e.Min, exponentialTable.sample(rng))
}

// Sample draws Min·x for x from the standard Pareto distribution of shape
// Alpha.
func (p Pareto) Sample(rng *rand.Rand) time.Duration {
	return scale(p.Min, paretoTable(p.Alpha).sample(rng))
}

// tabledPareto is a Pareto with its table looked up once: the Model keeps
// its Pareto latencies in this form, so Route skips the table cache.
type tabledPareto struct {
	Pareto
	q *quantiles
}

func (p tabledPareto) Sample(rng *rand.Rand) time.Duration { return scale(p.Min, p.q.sample(rng)) }

// prepare returns l in the form quickest to sample.
func prepare(l Latency) Latency {
	if p, ok := l.(Pareto); ok {
		return tabledPareto{Pareto: p, q: paretoTable(p.Alpha)}
	}
	return l
}

func (c Constant) String() string { return time.Duration(c).String() }
func (u Uniform) String() string  { return fmt.Sprintf("uniform(%v,%v)", u.Min, u.Max) }
func (n Normal) String() string   { return fmt.Sprintf("normal(%v,%v)", n.Mean, n.Stddev) }
func (e Exponential) String() string {
	return fmt.Sprintf("exponential(%v,%v)", e.Min, e.Mean)
}
func (p Pareto) String() string {
	return fmt.Sprintf("pareto(%v,%s)", p.Min, strconv.FormatFloat(p.Alpha, 'g', -1, 64))
}

// Validate reports whether the delay is usable.
func (c Constant) Validate() error {
	if c < 0 || time.Duration(c) > maxLatency {
		return fmt.Errorf("constant latency %v: must lie in [0, %v]", time.Duration(c), maxLatency)
	}
	return nil
}

// Validate reports whether 0 <= Min <= Max.
func (u Uniform) Validate() error {
	if u.Min < 0 || u.Max < u.Min || u.Max > maxLatency {
		return fmt.Errorf("%v: need 0 <= min <= max <= %v", u, maxLatency)
	}
	return nil
}

// Validate reports whether Mean and Stddev are non-negative.
func (n Normal) Validate() error {
	if n.Mean < 0 || n.Stddev < 0 || n.Mean > maxLatency || n.Stddev > maxLatency/8 {
		return fmt.Errorf("%v: need 0 <= mean <= %v and 0 <= stddev <= %v", n, maxLatency, maxLatency/8)
	}
	return nil
}

// Validate reports whether 0 <= Min <= Mean.
func (e Exponential) Validate() error {
	if e.Min < 0 || e.Mean < e.Min || e.Mean > maxLatency/16 {
		return fmt.Errorf("%v: need 0 <= min <= mean <= %v", e, maxLatency/16)
	}
	return nil
}

// Validate reports whether Min is non-negative and Alpha in [0.5, 1000].
func (p Pareto) Validate() error {
	if p.Min < 0 || p.Min > maxLatency {
		return fmt.Errorf("%v: min must lie in [0, %v]", p, maxLatency)
	}
	if !(p.Alpha >= 0.5 && p.Alpha <= 1000) { // also rejects NaN
		return fmt.Errorf("%v: alpha must lie in [0.5, 1000]", p)
	}
	return nil
}

// validateLatency checks l: not nil, and valid if it can say so.
func validateLatency(l Latency) error {
	if l == nil {
		return errors.New("latency is nil")
	}
	if v, ok := l.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// ParseLatency reads a latency as String prints it: a duration ("5ms") for
// Constant, or one of uniform(min,max), normal(mean,stddev),
// exponential(min,mean) and pareto(min,alpha). Spaces are ignored.
func ParseLatency(s string) (Latency, error) {
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return nil, errors.New("missing latency")
	}
	open := strings.IndexByte(s, '(')
	if open < 0 {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("latency %q: want a duration like 5ms or a distribution like uniform(1ms,5ms)", s)
		}
		l := Constant(d)
		return l, l.Validate()
	}
	name := s[:open]
	if !strings.HasSuffix(s, ")") {
		return nil, fmt.Errorf("latency %q: missing closing parenthesis", s)
	}
	args := strings.Split(s[open+1:len(s)-1], ",")
	if len(args) != 2 {
		return nil, fmt.Errorf("latency %q: want two arguments, got %d", s, len(args))
	}
	a, err := time.ParseDuration(args[0])
	if err != nil {
		return nil, fmt.Errorf("latency %q: first argument: %w", s, err)
	}
	var l Latency
	if name == "pareto" {
		alpha, err := strconv.ParseFloat(args[1], 64)
		if err != nil {
			return nil, fmt.Errorf("latency %q: alpha: %w", s, err)
		}
		p := Pareto{Min: a, Alpha: alpha}
		return p, p.Validate()
	}
	b, err := time.ParseDuration(args[1])
	if err != nil {
		return nil, fmt.Errorf("latency %q: second argument: %w", s, err)
	}
	switch name {
	case "uniform":
		l = Uniform{Min: a, Max: b}
	case "normal":
		l = Normal{Mean: a, Stddev: b}
	case "exponential", "exp":
		l = Exponential{Min: a, Mean: b}
	default:
		return nil, fmt.Errorf("latency %q: unknown distribution %q; known: uniform, normal, exponential, pareto", s, name)
	}
	return l, validateLatency(l)
}

// Sampling without math.Log or math.Exp.
//
// The same seed must give the same trace on amd64 and arm64. Go's math.Log
// and math.Exp run assembly on amd64 and portable Go on arm64, and the arm64
// compiler may fuse a*b+c into one instruction: results can differ in the
// last bit, and one bit is enough to move a message's arrival by a
// nanosecond and change the trace. So no sample is ever computed with
// floating-point transcendental functions. Instead each standard
// distribution is written down once as a table of quantiles, at
// p = (i+0.5)/tableSize, rounded to integers in millionths. A last-bit
// difference in how a table entry was computed vanishes in that rounding.
// Sampling then draws an integer position along the table from rng,
// interpolates linearly between the two neighbouring entries, and scales by
// the distribution's parameters — all in integer arithmetic, identical on
// every machine. The price: the tails are cut at the outermost quantiles
// (about ±3.5 standard deviations for the normal, 9 means for the
// exponential), which no test of a protocol will miss.

const (
	tableSize = 4096
	fracBits  = 16
	unit      = 1_000_000 // table entries are in millionths
)

type quantiles [tableSize]int64

var (
	// normalTable holds quantiles of the standard normal distribution.
	normalTable = newQuantiles(func(p float64) float64 { return math.Sqrt2 * math.Erfinv(float64(2*p)-1) })
	// exponentialTable holds quantiles of the exponential distribution of mean 1.
	exponentialTable = newQuantiles(func(p float64) float64 { return -math.Log1p(-p) })
)

func newQuantiles(quantile func(p float64) float64) *quantiles {
	var q quantiles
	for i := range q {
		p := (float64(i) + 0.5) / tableSize
		q[i] = int64(math.Round(float64(quantile(p) * unit)))
	}
	return &q
}

// sample draws a quantile in millionths: a uniform position along the table,
// interpolated between neighbours in integer arithmetic.
func (q *quantiles) sample(rng *rand.Rand) int64 {
	x := rng.Uint64N((tableSize - 1) << fracBits)
	i := x >> fracBits
	f := int64(x & (1<<fracBits - 1))
	lo, hi := q[i], q[i+1]
	return lo + ((hi-lo)*f)>>fracBits
}

// paretoTables caches a quantile table per shape Alpha. Tables are built on
// first use; the mutex is there because tests run worlds in parallel.
var paretoTables = struct {
	sync.Mutex
	m map[float64]*quantiles
}{m: map[float64]*quantiles{}}

func paretoTable(alpha float64) *quantiles {
	if math.IsNaN(alpha) {
		alpha = 1
	}
	alpha = min(max(alpha, 0.5), 1000) // Validate keeps it here; never overflow
	paretoTables.Lock()
	defer paretoTables.Unlock()
	q, ok := paretoTables.m[alpha]
	if !ok {
		q = newQuantiles(func(p float64) float64 { return math.Pow(1-p, -1/alpha) })
		paretoTables.m[alpha] = q
	}
	return q
}

// scale returns d·q/unit, truncated toward zero and saturated at
// ±maxLatency.
func scale(d time.Duration, q int64) time.Duration {
	r := mulDiv(int64(d), q, unit)
	return time.Duration(min(max(r, -int64(maxLatency)), int64(maxLatency)))
}

// mulDiv returns x·a/b for b > 0, truncated toward zero, computed in 128
// bits and saturated at the int64 range.
func mulDiv(x, a, b int64) int64 {
	neg := (x < 0) != (a < 0)
	hi, lo := bits.Mul64(absU(x), absU(a))
	if hi >= uint64(b) {
		return saturate(neg)
	}
	r, _ := bits.Div64(hi, lo, uint64(b))
	if r > math.MaxInt64 {
		return saturate(neg)
	}
	if neg {
		return -int64(r)
	}
	return int64(r)
}

func saturate(neg bool) int64 {
	if neg {
		return math.MinInt64
	}
	return math.MaxInt64
}

func absU(x int64) uint64 {
	if x < 0 {
		return uint64(-x) // math.MinInt64 maps to 1<<63, as it should
	}
	return uint64(x)
}
