package sweep_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatUsesNearestRank(t *testing.T) {
	oneToHundred := make([]float64, 100)
	for i := range oneToHundred {
		oneToHundred[i] = float64(100 - i) // given out of order
	}
	cases := []struct {
		name                  string
		values                []float64
		min, median, p99, max float64
	}{
		{"one value", []float64{5}, 5, 5, 5, 5},
		{"odd count", []float64{3, 1, 2}, 1, 2, 3, 3},
		{"even count: the lower middle", []float64{4, 1, 3, 2}, 1, 2, 4, 4},
		{"1 to 100", oneToHundred, 1, 50, 99, 100},
		{"a tail only p99 and max see", append(make([]float64, 199), 7), 0, 0, 0, 7},
		{"negative values", []float64{-2, -0.5, -1}, -2, -1, -0.5, -0.5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := sweep.Stat("x", "s", tc.values)
			assert.Equal(t, len(tc.values), st.Runs)
			assert.Equal(t, []float64{tc.min, tc.median, tc.p99, tc.max}, []float64{st.Min, st.Median, st.P99, st.Max})
		})
	}
	empty := sweep.Stat("x", "s", nil)
	assert.True(t, math.IsNaN(empty.Median), "no values, no median")
}

func TestAggregateKeepsMetricsInOrderOfFirstAppearance(t *testing.T) {
	metric := func(name string, v float64, unit string) scenarios.Metric {
		return scenarios.Metric{Name: name, Value: v, Unit: unit}
	}
	runs := []sweep.SeedResult{
		{Seed: 1, Result: scenarios.Result{Metrics: []scenarios.Metric{metric("b", 2, "ops"), metric("a", 0.5, "s")}}},
		{Seed: 2}, // failed early, reported nothing
		{Seed: 3, Result: scenarios.Result{Metrics: []scenarios.Metric{metric("a", 0.25, "s"), metric("c", 1, "")}}},
		{Seed: 4, Result: scenarios.Result{Metrics: []scenarios.Metric{metric("a", 0.75, "s"), metric("b", 4, "ops")}}},
	}
	stats := sweep.Aggregate(runs)
	require.Len(t, stats, 3)
	assert.Equal(t, sweep.Stats{Name: "b", Unit: "ops", Runs: 2, Min: 2, Median: 2, P99: 4, Max: 4, Values: []float64{2, 4}}, stats[0])
	assert.Equal(t, sweep.Stats{Name: "a", Unit: "s", Runs: 3, Min: 0.25, Median: 0.5, P99: 0.75, Max: 0.75, Values: []float64{0.5, 0.25, 0.75}}, stats[1])
	assert.Equal(t, "c", stats[2].Name)
	assert.Equal(t, 1, stats[2].Runs)
}

// The table a learner reads: names left, numbers right-aligned, short
// spans in milliseconds, counts without decimals, units named.
func TestWriteTable(t *testing.T) {
	stats := []sweep.Stats{
		sweep.Stat("election_time", "s", []float64{0.1541, 0.2016, 0.4012, 0.3703}),
		sweep.Stat("new_term", "term", []float64{4, 4, 5, 6}),
		sweep.Stat("hit_ratio", "", []float64{0.5, 0.75, 0.125}),
		sweep.Stat("run_length", "s", []float64{12, 30.5}),
		sweep.Stat("never_reported", "ops", nil),
	}
	var b bytes.Buffer
	require.NoError(t, sweep.WriteTable(&b, stats))
	want := "" +
		"metric          runs      min   median      p99      max\n" +
		"election_time      4  154.1ms  201.6ms  401.2ms  401.2ms\n" +
		"new_term           4   4 term   4 term   6 term   6 term\n" +
		"hit_ratio          3    0.125      0.5     0.75     0.75\n" +
		"run_length         2     12 s     12 s   30.5 s   30.5 s\n" +
		"never_reported     0        -        -        -        -\n"
	assert.Equal(t, want, b.String())
}
