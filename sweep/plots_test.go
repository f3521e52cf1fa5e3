package sweep_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/sweep"
	"github.com/dsimlab/dsim/viz"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSweepPlotsOneHistogramPerMetric(t *testing.T) {
	sum, err := sweep.Run(lookup(t, "raft-election"), must(sweep.ParseSeeds("1-30")), sweep.Options{})
	require.NoError(t, err)
	figs, err := sweep.Plots(sum)
	require.NoError(t, err)
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
		require.NotNil(t, f.Plot, f.Name)
		assert.Equal(t, "runs", f.Plot.Y.Label.Text, "%s counts runs", f.Name)
	}
	assert.Equal(t, []string{"election_time", "new_term", "stepdown_delay"}, names)
	assert.Regexp(t, `^time to elect a leader \(n=30, median \d+\.\d{3}ms, p99 \d+\.\d{3}ms\)$`, figs[0].Plot.Title.Text)
	assert.Equal(t, "election time (ms)", figs[0].Plot.X.Label.Text)
	assert.Equal(t, "stepdown_delay (ms)", figs[2].Plot.X.Label.Text, "seconds below 10s are drawn in ms")

	// The same sweep writes the same files, byte for byte.
	dir1, dir2 := t.TempDir(), t.TempDir()
	paths, err := sweep.SaveFigures(dir1, "raft-election-sweep-", viz.FormatSVG, figs)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir1, "raft-election-sweep-election_time.svg"), paths[0])
	again, err := sweep.Run(lookup(t, "raft-election"), must(sweep.ParseSeeds("1-30")), sweep.Options{Parallel: 1})
	require.NoError(t, err)
	_, err = sweep.SaveFigures(dir2, "raft-election-sweep-", viz.FormatSVG, must(sweep.Plots(again)))
	require.NoError(t, err)
	for _, p := range paths {
		a, b := read(t, p), read(t, filepath.Join(dir2, filepath.Base(p)))
		assert.True(t, bytes.Equal(a, b), "%s differs between two sweeps of the same seeds", filepath.Base(p))
	}
}

// A metric with a few whole values (a term number) gets one bar per value,
// with the value itself marked under its bar.
func TestWholeNumberMetricsGetOneBarPerValue(t *testing.T) {
	p, err := sweep.MetricHistogram(sweep.Stat("new_term", "term", []float64{4, 4, 4, 5, 7}))
	require.NoError(t, err)
	assert.Equal(t, "new_term over 5 runs (median 4 term, p99 7 term)", p.Title.Text)
	assert.Equal(t, "new_term (term)", p.X.Label.Text)
	var labels []string
	for _, tick := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		labels = append(labels, tick.Label)
	}
	assert.Equal(t, []string{"4", "5", "6", "7"}, labels)
	for _, tick := range p.Y.Tick.Marker.Ticks(0, 3) {
		assert.NotContains(t, tick.Label, ".", "runs are counted in whole numbers")
	}

	p, err = sweep.MetricHistogram(sweep.Stat("duplicates", "messages", []float64{0, 0, 0}))
	require.NoError(t, err)
	ticks := p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max)
	require.Len(t, ticks, 1)
	assert.Equal(t, "0", ticks[0].Label, "not -0")

	_, err = sweep.MetricHistogram(sweep.Stat("nothing", "s", nil))
	assert.ErrorIs(t, err, viz.ErrNoData)
}

func TestRunPlotsDrawOneRun(t *testing.T) {
	var rec sim.Recorder
	_, err := scenarios.Execute(lookup(t, "raft-election"), scenarios.Options{Seed: 3, Tracer: &rec})
	require.NoError(t, err)
	figs, err := sweep.RunPlots(rec.Records, "raft-election, seed 3")
	require.NoError(t, err)
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	require.Equal(t, []string{"latency", "nodes", "types", "activity", "spacetime"}, names)
	assert.Equal(t, "latency (ms)", figs[0].Plot.X.Label.Text)
	assert.Equal(t, "messages per node", figs[1].Plot.Title.Text)
	var nodes []string
	for _, tick := range figs[1].Plot.X.Tick.Marker.Ticks(figs[1].Plot.X.Min, figs[1].Plot.X.Max) {
		nodes = append(nodes, tick.Label)
	}
	assert.Equal(t, []string{"n1", "n2", "n3", "n4", "n5"}, nodes, "nodes in name order, not in the order they first spoke")

	dir := t.TempDir()
	paths, err := sweep.SaveFigures(dir, "run-", viz.FormatPNG, figs)
	require.NoError(t, err)
	assert.Equal(t, []string{"run-latency.png", "run-nodes.png", "run-types.png", "run-activity.png", "run-spacetime.svg"}, bases(paths),
		"the space-time diagram is SVG whatever the plots' format")
	assert.Contains(t, string(read(t, paths[len(paths)-1])), "raft-election, seed 3", "the space-time diagram carries the title")

	none, err := sweep.RunPlots(nil, "empty")
	require.NoError(t, err)
	assert.Empty(t, none, "a run with no trace has nothing to draw")

	_, err = sweep.SaveFigures(dir, "x-", viz.Format("gif"), figs)
	assert.ErrorIs(t, err, viz.ErrFormat)
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func bases(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

func TestMetricPlotsDrawTheCurvesARunReports(t *testing.T) {
	res := scenarios.Result{Metrics: []scenarios.Metric{
		{Name: "apps1_throughput", Value: 70}, {Name: "apps2_throughput", Value: 140}, {Name: "apps4_throughput", Value: 250},
		{Name: "size10_hit_ratio", Value: 0.2}, {Name: "size100_hit_ratio", Value: 0.6},
		{Name: "followers1_read_throughput", Value: 100}, {Name: "followers2_read_throughput", Value: 200},
		{Name: "apps1_p99", Value: 0.1}, // not a curve
	}}
	figs, err := sweep.MetricPlots(res)
	require.NoError(t, err)
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	assert.Equal(t, []string{"scaling", "read-scaling", "hit-ratio"}, names)

	none, err := sweep.MetricPlots(scenarios.Result{Metrics: []scenarios.Metric{{Name: "election_time", Value: 0.2}}})
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestRunPlotsIncludeActivityOverTime(t *testing.T) {
	s, err := scenarios.Lookup("broadcast")
	require.NoError(t, err)
	var rec sim.Recorder
	_, err = scenarios.Execute(s, scenarios.Options{Seed: 1, Tracer: &rec})
	require.NoError(t, err)
	figs, err := sweep.RunPlots(rec.Records, "broadcast")
	require.NoError(t, err)
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	assert.Contains(t, names, "activity")
}
