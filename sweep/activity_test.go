package sweep

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/scenarios"
	_ "github.com/dsimlab/dsim/scenarios/web" // breaker-cascade
	"github.com/dsimlab/dsim/sim"
)

// The activity plot's points sit at the centres of fifty buckets that just
// cover the run (no trailing bucket past its end), and a crash is shaded
// like a partition.
func TestActivityBucketsAndCrashWindows(t *testing.T) {
	s, err := scenarios.Lookup("raft-failover")
	require.NoError(t, err)
	var rec sim.Recorder
	_, err = scenarios.Execute(s, scenarios.Options{Seed: 1, Tracer: &rec, For: 6 * time.Second})
	require.NoError(t, err)
	end := rec.Records[len(rec.Records)-1].At

	series, windows, err := activity(rec.Records)
	require.NoError(t, err)
	require.Len(t, series, 2)
	pts := series[0].Points
	require.Len(t, pts, 50)
	bucket := 2 * pts[0].At
	for i, p := range pts {
		assert.Equal(t, time.Duration(2*i+1)*bucket/2, p.At, "point %d at its bucket's centre", i)
	}
	assert.LessOrEqual(t, pts[len(pts)-1].At+bucket/2-bucket, end, "the last bucket starts before the run's end")
	assert.Greater(t, pts[len(pts)-1].At+bucket/2, end, "and covers it")

	var crash bool
	for _, w := range windows {
		if w.Text == "crash n1" || (len(w.Text) > 6 && w.Text[:6] == "crash ") {
			crash = true
			assert.Equal(t, 2*time.Second, w.From, "the leader crashed at 2s")
			assert.Equal(t, 5*time.Second, w.To, "and restarted at 5s")
		}
	}
	assert.True(t, crash, "the crash window is shaded: %v", windows)
}

// Where clients call services the latency plot is of their requests, and
// breaker-cascade gets its breaker's chart; raft-election keeps message
// latency and has no breaker.
func TestRunPlotsFollowTheLesson(t *testing.T) {
	names := func(name string) ([]string, []sim.Record) {
		s, err := scenarios.Lookup(name)
		require.NoError(t, err)
		var rec sim.Recorder
		_, err = scenarios.Execute(s, scenarios.Options{Seed: 1, Tracer: &rec})
		require.NoError(t, err)
		figs, err := RunPlots(rec.Records, name)
		require.NoError(t, err)
		var out []string
		for _, f := range figs {
			out = append(out, f.Name)
			if f.Name == "latency" && f.Plot != nil {
				out = append(out, "title:"+f.Plot.Title.Text)
			}
		}
		return out, rec.Records
	}
	got, recs := names("breaker-cascade")
	assert.Contains(t, got, "breaker")
	assert.Contains(t, strings.Join(got, "|"), "title:request latency")
	changes, _ := breakerChanges(recs)
	require.GreaterOrEqual(t, len(changes), 3)
	assert.Equal(t, "closed", changes[0].State)
	assert.Equal(t, "open", changes[1].State, "the guarded shop's breaker opens after reco slows down")

	got, _ = names("raft-election")
	assert.NotContains(t, got, "breaker")
	assert.Contains(t, strings.Join(got, "|"), "title:message latency")
}
