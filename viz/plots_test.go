package viz_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dsimlab/dsim/viz"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
)

// plots builds every kind of plot viz offers from fixed inputs. Each is
// built afresh per call, so rendering twice really draws twice.
func plots(t *testing.T) map[string]func() (*plot.Plot, error) {
	records := smallTrace()
	var delivered []time.Duration
	for _, d := range viz.Deliveries(records) {
		delivered = append(delivered, d.DeliveredAt)
	}
	throughput, err := viz.Rate(delivered, 5*time.Millisecond, 0, 60*time.Millisecond)
	require.NoError(t, err)
	availability := []viz.Point{{0, 1}, {10 * time.Millisecond, 1}, {20 * time.Millisecond, 0.4}, {30 * time.Millisecond, 1}}
	return map[string]func() (*plot.Plot, error){
		"latency": func() (*plot.Plot, error) { return viz.LatencyHistogram(viz.Latencies(viz.Deliveries(records)), 6) },
		"election": func() (*plot.Plot, error) {
			return viz.ElectionTimeHistogram([]time.Duration{150 * time.Millisecond, 170 * time.Millisecond, 160 * time.Millisecond, 420 * time.Millisecond}, 4)
		},
		"traffic": func() (*plot.Plot, error) { return viz.NodeTrafficChart(viz.TrafficByNode(records)) },
		"types":   func() (*plot.Plot, error) { return viz.MessageTypeChart(viz.SendsByType(records)) },
		"throughput": func() (*plot.Plot, error) {
			return viz.TimeSeriesChart("throughput under a partition", "deliveries/s",
				[]viz.Series{{Name: "deliveries", Points: throughput}, {Name: "availability x1000", Points: availability}},
				viz.FaultWindows(records, 60*time.Millisecond))
		},
		"hit-ratio": func() (*plot.Plot, error) {
			return viz.HitRatioChart([]viz.CachePoint{{Capacity: 40, HitRatio: 0.61}, {Capacity: 10, HitRatio: 0.2}, {Capacity: 20, HitRatio: 0.42}})
		},
		"breaker": func() (*plot.Plot, error) {
			return viz.BreakerChart([]viz.StateChange{{0, "closed"}, {10 * time.Millisecond, "open"}, {20 * time.Millisecond, "half-open"}, {21 * time.Millisecond, "closed"}}, 30*time.Millisecond)
		},
		"scaling": func() (*plot.Plot, error) {
			return viz.ScalingChart([]viz.ScalingPoint{{Servers: 1, Throughput: 100}, {Servers: 4, Throughput: 330}, {Servers: 2, Throughput: 190}})
		},
	}
}

// Golden tests can only hold plots whose bytes depend on nothing but the
// input: render each plot twice, in each format, and compare.
func TestPlotsRenderDeterministically(t *testing.T) {
	for name, build := range plots(t) {
		for _, format := range []viz.Format{viz.FormatPNG, viz.FormatSVG} {
			t.Run(name+"."+string(format), func(t *testing.T) {
				renderPlot := func() []byte {
					p, err := build()
					require.NoError(t, err)
					var b bytes.Buffer
					require.NoError(t, viz.Write(&b, p, format))
					return b.Bytes()
				}
				first := renderPlot()
				require.NotEmpty(t, first)
				assert.True(t, bytes.Equal(first, renderPlot()), "second rendering differs from the first")
				switch format {
				case viz.FormatPNG:
					img, err := png.Decode(bytes.NewReader(first))
					require.NoError(t, err, "a PNG that decodes")
					assert.Greater(t, img.Bounds().Dx(), 100)
				case viz.FormatSVG:
					d := xml.NewDecoder(bytes.NewReader(first))
					for {
						_, err := d.Token()
						if errors.Is(err, io.EOF) {
							break
						}
						require.NoError(t, err, "SVG must be well-formed XML")
					}
				}
			})
		}
	}
}

func TestSaveChoosesFormatByExtension(t *testing.T) {
	p, err := viz.ScalingChart([]viz.ScalingPoint{{Servers: 1, Throughput: 10}, {Servers: 2, Throughput: 18}})
	require.NoError(t, err)
	dir := t.TempDir()

	require.NoError(t, viz.Save(p, filepath.Join(dir, "a.PNG")))
	b, err := os.ReadFile(filepath.Join(dir, "a.PNG"))
	require.NoError(t, err)
	assert.Equal(t, []byte("\x89PNG"), b[:4])

	require.NoError(t, viz.Save(p, filepath.Join(dir, "a.svg")))
	b, err = os.ReadFile(filepath.Join(dir, "a.svg"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "<svg")

	err = viz.Save(p, filepath.Join(dir, "a.gif"))
	assert.ErrorIs(t, err, viz.ErrFormat)
	assert.NoFileExists(t, filepath.Join(dir, "a.gif"), "nothing is written for a format we refuse")
	assert.ErrorIs(t, viz.Write(io.Discard, p, "pdf"), viz.ErrFormat)
}

func TestHistogramBins(t *testing.T) {
	cases := []struct {
		name   string
		values []float64
		n      int
		want   []viz.Bin
	}{
		{"even spread", []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5,
			[]viz.Bin{{0, 2, 2}, {2, 4, 2}, {4, 6, 2}, {6, 8, 2}, {8, 10, 3}}},
		{"maximum goes in the last bin", []float64{0, 10}, 2, []viz.Bin{{0, 5, 1}, {5, 10, 1}}},
		{"a value on an edge goes up", []float64{0, 5, 10}, 2, []viz.Bin{{0, 5, 1}, {5, 10, 2}}},
		{"all equal", []float64{3, 3, 3}, 4, []viz.Bin{{2.5, 3.5, 3}}},
		{"negative", []float64{-1, -0.5, 1}, 2, []viz.Bin{{-1, 0, 2}, {0, 1, 1}}},
		{"skewed", []float64{1, 1, 1, 1, 2, 9}, 4, []viz.Bin{{1, 3, 5}, {3, 5, 0}, {5, 7, 0}, {7, 9, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := viz.Histogram(c.values, c.n)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			total := 0
			for _, b := range got {
				total += b.Count
			}
			assert.Equal(t, len(c.values), total, "every value is counted once")
		})
	}
	// Tenths do not divide evenly in binary; every value still lands in the
	// bin whose edges hold it.
	var tenths []float64
	for i := range 101 {
		tenths = append(tenths, float64(i)/10)
	}
	bins, err := viz.Histogram(tenths, 7)
	require.NoError(t, err)
	for _, v := range tenths {
		n := 0
		for i, b := range bins {
			if v >= b.Min && (v < b.Max || i == len(bins)-1 && v == b.Max) {
				n++
			}
		}
		assert.Equal(t, 1, n, "%v is in exactly one bin", v)
	}

	_, err = viz.Histogram(nil, 3)
	assert.ErrorIs(t, err, viz.ErrNoData)
	_, err = viz.Histogram([]float64{1}, 0)
	assert.ErrorContains(t, err, "at least one bin")
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	data := ms(5, 1, 4, 2, 3, 10, 9, 8, 7, 6)
	cases := []struct {
		p    float64
		want time.Duration
	}{
		{50, 5 * time.Millisecond}, {90, 9 * time.Millisecond}, {99, 10 * time.Millisecond},
		{100, 10 * time.Millisecond}, {1, time.Millisecond}, {0, time.Millisecond},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, viz.Percentile(data, c.p), "p%v", c.p)
	}
	assert.Equal(t, ms(5, 1, 4, 2, 3, 10, 9, 8, 7, 6), data, "the input is not reordered")
	assert.Zero(t, viz.Percentile(nil, 50))
}

func TestRate(t *testing.T) {
	ms := time.Millisecond
	got, err := viz.Rate([]time.Duration{0, 1 * ms, 9 * ms, 10 * ms, 25 * ms, 30 * ms}, 10*ms, 0, 30*ms)
	require.NoError(t, err)
	// 3 events in [0,10), 1 in [10,20), 1 in [20,30); 30ms is outside.
	// Each point sits at its bucket's centre.
	assert.Equal(t, []viz.Point{{5 * ms, 300}, {15 * ms, 100}, {25 * ms, 100}}, got)

	_, err = viz.Rate(nil, 0, 0, ms)
	assert.ErrorContains(t, err, "bucket must be positive")
	_, err = viz.Rate(nil, ms, ms, ms)
	assert.ErrorContains(t, err, "empty")
}

func TestPlotsRefuseBadInput(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name  string
		build func() (*plot.Plot, error)
		want  string
	}{
		{"no latencies", func() (*plot.Plot, error) { return viz.LatencyHistogram(nil, 5) }, "nothing to draw"},
		{"no traffic", func() (*plot.Plot, error) { return viz.NodeTrafficChart(nil) }, "nothing to draw"},
		{"no types", func() (*plot.Plot, error) { return viz.MessageTypeChart(nil) }, "nothing to draw"},
		{"no series", func() (*plot.Plot, error) { return viz.TimeSeriesChart("t", "y", nil, nil) }, "nothing to draw"},
		{"hit ratio above one", func() (*plot.Plot, error) {
			return viz.HitRatioChart([]viz.CachePoint{{Capacity: 1, HitRatio: 1.5}})
		}, "not in [0, 1]"},
		{"capacity twice", func() (*plot.Plot, error) {
			return viz.HitRatioChart([]viz.CachePoint{{Capacity: 1, HitRatio: .5}, {Capacity: 1, HitRatio: .6}})
		}, "appears twice"},
		{"breaker out of order", func() (*plot.Plot, error) {
			return viz.BreakerChart([]viz.StateChange{{5 * ms, "open"}, {1 * ms, "closed"}}, 10*ms)
		}, "out of order"},
		{"breaker ends early", func() (*plot.Plot, error) {
			return viz.BreakerChart([]viz.StateChange{{5 * ms, "open"}}, ms)
		}, "before its last change"},
		{"zero servers", func() (*plot.Plot, error) {
			return viz.ScalingChart([]viz.ScalingPoint{{Servers: 0, Throughput: 1}})
		}, "at least one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.build()
			assert.Nil(t, p)
			assert.ErrorContains(t, err, c.want)
		})
	}
}

// What makes a plot read badly, checked on every plot: a title flush
// against the top edge, counts labelled "250.00", a legend drawn over the
// bars, message type names running into each other.
func TestPlotsReadWell(t *testing.T) {
	for name, build := range plots(t) {
		p, err := build()
		require.NoError(t, err, name)
		assert.Positive(t, p.Title.Padding, "%s: the title needs room above it", name)
	}
	records := smallTrace()
	counted := map[string]func() (*plot.Plot, error){
		"latency": func() (*plot.Plot, error) { return viz.LatencyHistogram(viz.Latencies(viz.Deliveries(records)), 6) },
		"traffic": func() (*plot.Plot, error) { return viz.NodeTrafficChart(viz.TrafficByNode(records)) },
		"types":   func() (*plot.Plot, error) { return viz.MessageTypeChart(viz.SendsByType(records)) },
	}
	for name, build := range counted {
		p, err := build()
		require.NoError(t, err)
		ticks := p.Y.Tick.Marker.Ticks(0, 250)
		require.NotEmpty(t, ticks)
		for _, tick := range ticks {
			assert.NotContains(t, tick.Label, ".", "%s: counts are whole numbers", name)
		}
	}

	traffic := []viz.NodeTraffic{{Node: "n1", Sent: 200, Received: 50}, {Node: "n2", Sent: 40, Received: 180, Dropped: 10}}
	p, err := viz.NodeTrafficChart(traffic)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, p.Y.Max, 1.25*200, "room above the tallest bar for the legend")

	p, err = viz.MessageTypeChart([]viz.Count{{"Ping", 3}, {"Pong", 3}})
	require.NoError(t, err)
	assert.Zero(t, p.X.Tick.Label.Rotation, "two short names fit side by side")
	p, err = viz.MessageTypeChart([]viz.Count{{"AppendEntries", 40}, {"AppendEntriesReply", 38}, {"PreVote", 4}, {"PreVoteReply", 4}, {"RequestVote", 4}, {"RequestVoteReply", 4}})
	require.NoError(t, err)
	assert.NotZero(t, p.X.Tick.Label.Rotation, "six long names are slanted so they do not overlap")
}
