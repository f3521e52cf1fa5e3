package network_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// draw samples l n times and returns the samples sorted.
func draw(l network.Latency, n int, seed uint64) []time.Duration {
	rng := rand.New(rand.NewPCG(seed, 0))
	s := make([]time.Duration, n)
	for i := range s {
		s[i] = l.Sample(rng)
	}
	slices.Sort(s)
	return s
}

func mean(s []time.Duration) float64 {
	var sum float64
	for _, d := range s {
		sum += float64(d)
	}
	return sum / float64(len(s))
}

func quantile(s []time.Duration, p float64) time.Duration { return s[int(p*float64(len(s)))] }

func TestLatencyDistributionsMatchTheirParameters(t *testing.T) {
	ms := float64(time.Millisecond)
	for _, tc := range []struct {
		l            network.Latency
		mean, median float64 // what theory says, in nanoseconds
		lo, hi       time.Duration
	}{
		{network.Constant(7 * time.Millisecond), 7 * ms, 7 * ms, 7 * time.Millisecond, 7 * time.Millisecond},
		{network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}, 3 * ms, 3 * ms, time.Millisecond, 5 * time.Millisecond},
		{network.Normal{Mean: 10 * time.Millisecond, Stddev: 2 * time.Millisecond}, 10 * ms, 10 * ms, 2 * time.Millisecond, 18 * time.Millisecond},
		// min + (mean-min)·Exp(1): median min + (mean-min)·ln 2.
		{network.Exponential{Min: time.Millisecond, Mean: 5 * time.Millisecond}, 5 * ms, ms + 4*ms*math.Ln2, time.Millisecond, 50 * time.Millisecond},
		// Pareto: median min·2^(1/α); the mean min·α/(α-1) converges too slowly to test.
		{network.Pareto{Min: time.Millisecond, Alpha: 3}, 1.5 * ms, ms * math.Pow(2, 1.0/3), time.Millisecond, time.Second},
	} {
		s := draw(tc.l, 100_000, 1)
		assert.InEpsilon(t, tc.mean, mean(s), 0.01, "%v mean", tc.l)
		assert.InEpsilon(t, tc.median, float64(quantile(s, 0.5)), 0.01, "%v median", tc.l)
		assert.GreaterOrEqual(t, s[0], tc.lo, "%v minimum", tc.l)
		assert.LessOrEqual(t, s[len(s)-1], tc.hi, "%v maximum", tc.l)
	}
}

func TestNormalHasTheConfiguredSpread(t *testing.T) {
	s := draw(network.Normal{Mean: 100 * time.Millisecond, Stddev: 10 * time.Millisecond}, 100_000, 2)
	m := mean(s)
	var sq float64
	for _, d := range s {
		sq += (float64(d) - m) * (float64(d) - m)
	}
	assert.InEpsilon(t, float64(10*time.Millisecond), math.Sqrt(sq/float64(len(s))), 0.02)
}

func TestNormalIsClampedAtZero(t *testing.T) {
	s := draw(network.Normal{Mean: time.Millisecond, Stddev: 5 * time.Millisecond}, 10_000, 3)
	assert.Equal(t, time.Duration(0), s[0], "a negative delay becomes zero")
	assert.Greater(t, quantile(s, 0.45), time.Duration(0))
}

func TestLongTailHasP99FarAboveTheMedian(t *testing.T) {
	s := draw(network.Pareto{Min: time.Millisecond, Alpha: 1.5}, 100_000, 4)
	median, p99 := quantile(s, 0.5), quantile(s, 0.99)
	// Theory: median 2^(2/3) ≈ 1.59ms, p99 100^(2/3) ≈ 21.5ms.
	assert.InEpsilon(t, float64(time.Millisecond)*math.Pow(100, 1/1.5), float64(p99), 0.05)
	assert.Greater(t, p99, 10*median, "the tail: p99 is more than ten times the median")

	n := draw(network.Normal{Mean: 1587 * time.Microsecond, Stddev: 500 * time.Microsecond}, 100_000, 4)
	assert.Less(t, quantile(n, 0.99), 3*quantile(n, 0.5), "a normal distribution has no such tail")
}

func TestSamplingIsDeterministic(t *testing.T) {
	for _, l := range []network.Latency{
		network.Uniform{Min: 0, Max: time.Second},
		network.Normal{Mean: time.Second, Stddev: time.Second},
		network.Exponential{Min: 0, Mean: time.Second},
		network.Pareto{Min: time.Millisecond, Alpha: 1.1},
	} {
		assert.Equal(t, draw(l, 1000, 9), draw(l, 1000, 9), "%v", l)
	}
}

func TestParseLatencyReadsWhatStringPrints(t *testing.T) {
	for _, l := range []network.Latency{
		network.Constant(0),
		network.Constant(1500 * time.Microsecond),
		network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond},
		network.Normal{Mean: 10 * time.Millisecond, Stddev: 2 * time.Millisecond},
		network.Exponential{Min: time.Millisecond, Mean: time.Second},
		network.Pareto{Min: time.Millisecond, Alpha: 1.25},
	} {
		got, err := network.ParseLatency(l.String())
		require.NoError(t, err, l.String())
		assert.Equal(t, l, got)
	}
	got, err := network.ParseLatency(" uniform( 1ms , 2ms ) ")
	require.NoError(t, err)
	assert.Equal(t, network.Uniform{Min: time.Millisecond, Max: 2 * time.Millisecond}, got, "spaces are ignored")
}

func TestParseLatencyErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "missing latency",
		"fast":               "want a duration",
		"gauss(1ms,2ms)":     `unknown distribution "gauss"`,
		"uniform(1ms)":       "want two arguments",
		"uniform(5ms,1ms)":   "min <= max",
		"pareto(1ms,x)":      "alpha",
		"pareto(1ms,0.1)":    "alpha must lie in",
		"normal(1ms,2ms":     "missing closing parenthesis",
		"exponential(2s,1s)": "min <= mean",
		"-5ms":               "must lie in",
	} {
		_, err := network.ParseLatency(in)
		assert.ErrorContains(t, err, want, "input %q", in)
	}
}
