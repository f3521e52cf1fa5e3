package sweep

import (
	"cmp"
	"errors"
	"fmt"
	"gonum.org/v1/plot/vg"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/viz"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// Figure is one picture to write: a gonum plot, or a diagram that only
// exists as SVG (the space-time diagram).
type Figure struct {
	// Name is the file name's stem, such as "election_time" or "latency".
	Name string
	// Plot is set for plots, which can be PNG or SVG.
	Plot *plot.Plot
	// SVG is set for diagrams, written as SVG whatever the format asked.
	SVG func(io.Writer) error
}

// Plots draws a histogram of each metric across the sweep's seeds, in the
// order of s.Metrics. The election time of a Raft scenario
// ("election_time", in seconds) is drawn by viz.ElectionTimeHistogram:
// most elections end within the first timeout, and the right tail is split
// votes.
func Plots(s Summary) ([]Figure, error) {
	var figs []Figure
	for _, st := range s.Metrics {
		if st.Runs == 0 {
			continue
		}
		p, err := MetricHistogram(st)
		if err != nil {
			return nil, fmt.Errorf("sweep: plotting %s: %w", st.Name, err)
		}
		figs = append(figs, Figure{Name: st.Name, Plot: p})
	}
	return figs, nil
}

// binsFor picks a histogram's bin count for n values: about the square
// root of n (the usual rule of thumb), between 5 and 40.
func binsFor(n int) int {
	return min(max(int(math.Sqrt(float64(n))), 5), 40)
}

// histogramColor is viz's blue (Okabe-Ito), so sweep plots match viz's.
var histogramColor = color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}

// MetricHistogram draws how one metric spread over the runs of a sweep:
// the x axis is the metric in its unit (seconds shown as milliseconds when
// short), the y axis counts runs, and the title names the median and p99.
// A metric that only takes a few whole values (a term number, a count of
// retries) gets one bar per value.
func MetricHistogram(st Stats) (*plot.Plot, error) {
	if len(st.Values) == 0 {
		return nil, fmt.Errorf("%s: %w", st.Name, viz.ErrNoData)
	}
	if st.Unit == "s" && st.Name == "election_time" {
		ds := make([]time.Duration, len(st.Values))
		for i, v := range st.Values {
			ds[i] = time.Duration(math.Round(float64(v * 1e9)))
		}
		return viz.ElectionTimeHistogram(ds, binsFor(len(ds)))
	}
	f := formatterFor(st)
	values, unit := st.Values, st.Unit
	if unit == "s" && math.Abs(st.Min) < 10 && math.Abs(st.Max) < 10 {
		values = make([]float64, len(st.Values))
		for i, v := range st.Values {
			values[i] = float64(v * 1000)
		}
		unit = "ms"
	}
	p := plot.New()
	p.Title.Padding = vg.Points(6) // as viz's plots: off the top edge
	var bins []viz.Bin
	if whole, lo, hi := wholeRange(values); whole && hi-lo < 40 {
		for v := lo; v <= hi; v++ {
			bins = append(bins, viz.Bin{Min: v - 0.5, Max: v + 0.5})
		}
		for _, v := range values {
			bins[int(v-lo)].Count++
		}
		// Mark the values themselves, under their bars, not the bin edges.
		p.X.Tick.Marker = valueTicks
	} else {
		var err error
		if bins, err = viz.Histogram(values, binsFor(len(values))); err != nil {
			return nil, err
		}
	}
	h := &plotter.Histogram{Width: bins[0].Max - bins[0].Min, FillColor: histogramColor, LineStyle: plotter.DefaultLineStyle}
	h.LineStyle.Color = color.White
	for _, b := range bins {
		h.Bins = append(h.Bins, plotter.HistogramBin{Min: b.Min, Max: b.Max, Weight: float64(b.Count)})
	}
	p.Title.Text = fmt.Sprintf("%s over %d runs (median %s, p99 %s)", st.Name, st.Runs, f(st.Median), f(st.P99))
	p.X.Label.Text = st.Name
	if unit != "" {
		p.X.Label.Text += " (" + unit + ")"
	}
	p.Y.Label.Text = "runs"
	p.Y.Min = 0
	p.Y.Tick.Marker = viz.CountTicks
	p.Add(plotter.NewGrid(), h)
	return p, nil
}

// valueTicks labels every whole number in the range (every second, fifth
// or tenth one when there are many), for a histogram with one bar per
// value.
var valueTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	first, last := math.Ceil(lo), math.Floor(hi)
	step := 1.0
	for _, s := range []float64{2, 5, 10} {
		if (last-first)/step <= 12 {
			break
		}
		step = s
	}
	var out []plot.Tick
	for v := first; v <= last; v += step {
		if v == 0 {
			v = 0 // math.Ceil(-0.5) is -0, which would print as "-0"
		}
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return out
})

// wholeRange reports whether every value is a whole number, and the
// smallest and largest.
func wholeRange(values []float64) (whole bool, lo, hi float64) {
	lo, hi = values[0], values[0]
	for _, v := range values {
		if v != math.Trunc(v) || math.IsInf(v, 0) {
			return false, 0, 0
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return true, lo, hi
}

// RunPlots draws one run from its trace: the message latency histogram,
// the messages each node sent, received and lost, the messages sent per
// type, and the space-time diagram (SVG, its first DefaultMaxMessages
// messages). A plot with nothing to draw (no message was delivered, say) is
// left out.
func RunPlots(records []sim.Record, title string) ([]Figure, error) {
	var figs []Figure
	add := func(name string, p *plot.Plot, err error) error {
		if errors.Is(err, viz.ErrNoData) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sweep: plotting %s: %w", name, err)
		}
		figs = append(figs, Figure{Name: name, Plot: p})
		return nil
	}
	// Where clients send requests to services, their answers' latency is
	// the lesson; elsewhere, one network hop's.
	var p *plot.Plot
	var err error
	if req := requestLatencies(records); len(req) > 0 {
		p, err = viz.RequestLatencyHistogram(req, binsFor(len(req)))
	} else {
		lat := viz.Latencies(viz.Deliveries(records))
		p, err = viz.LatencyHistogram(lat, binsFor(len(lat)))
	}
	if err := add("latency", p, err); err != nil {
		return nil, err
	}
	if changes, end := breakerChanges(records); len(changes) > 0 {
		p, err = viz.BreakerChart(changes, end)
		if err := add("breaker", p, err); err != nil {
			return nil, err
		}
	}
	traffic := viz.TrafficByNode(records)
	// n1, n2, ..., n10 read better than the order nodes first spoke in.
	slices.SortFunc(traffic, func(a, b viz.NodeTraffic) int {
		return cmp.Or(cmp.Compare(len(a.Node), len(b.Node)), cmp.Compare(a.Node, b.Node))
	})
	p, err = viz.NodeTrafficChart(traffic)
	if err := add("nodes", p, err); err != nil {
		return nil, err
	}
	p, err = viz.MessageTypeChart(viz.SendsByType(records))
	if err := add("types", p, err); err != nil {
		return nil, err
	}
	p, err = activityChart(records)
	if err := add("activity", p, err); err != nil {
		return nil, err
	}
	if len(records) > 0 {
		figs = append(figs, Figure{Name: "spacetime", SVG: func(w io.Writer) error {
			return viz.WriteSpaceTime(w, records, viz.SpaceTimeOptions{Title: title})
		}})
	}
	return figs, nil
}

// requestLatencies pairs each request a client sent (a service.Request
// from a node that itself serves none) with the delivery of its response,
// and returns the waits, in the order the answers came.
func requestLatencies(records []sim.Record) []time.Duration {
	serves := map[sim.NodeID]bool{}
	for i := range records {
		if _, ok := records[i].Msg.(service.Request); ok && records[i].Kind == sim.KindDeliver {
			serves[records[i].To] = true
		}
	}
	type call struct {
		node    sim.NodeID
		id      uint64
		attempt int
	}
	sent := map[call]time.Duration{}
	var out []time.Duration
	for i := range records {
		r := &records[i]
		switch m := r.Msg.(type) {
		case service.Request:
			if r.Kind == sim.KindSend && !serves[r.From] {
				sent[call{r.From, m.ID, m.Attempt}] = r.At
			}
		case service.Response:
			if r.Kind != sim.KindDeliver {
				continue
			}
			k := call{r.To, m.ID, m.Attempt}
			if at, ok := sent[k]; ok {
				out = append(out, r.At-at)
				delete(sent, k)
			}
		}
	}
	return out
}

// breakerRe matches the log line a scenario writes when a circuit breaker
// changes state: "guarded-front's breaker on reco: closed -> open".
var breakerRe = regexp.MustCompile(`^(.*breaker on \S+): ([a-z-]+) -> ([a-z-]+)$`)

// breakerChanges reads the first breaker's state changes from the trace's
// log lines, starting closed; empty if no breaker changed.
func breakerChanges(records []sim.Record) ([]viz.StateChange, time.Duration) {
	var name string
	var out []viz.StateChange
	for i := range records {
		r := &records[i]
		if r.Kind != sim.KindLog {
			continue
		}
		m := breakerRe.FindStringSubmatch(r.Text)
		if m == nil || (name != "" && m[1] != name) {
			continue
		}
		if name == "" {
			name = m[1]
			out = append(out, viz.StateChange{At: 0, State: m[2]})
		}
		out = append(out, viz.StateChange{At: r.At, State: m[3]})
	}
	if len(records) == 0 {
		return nil, 0
	}
	return out, records[len(records)-1].At
}

// activityChart draws messages delivered and lost per second over the run,
// with the fault windows shaded: a partition shows as a dip in deliveries
// and a burst of drops inside its window.
func activityChart(records []sim.Record) (*plot.Plot, error) {
	series, windows, err := activity(records)
	if err != nil {
		return nil, err
	}
	return viz.TimeSeriesChart("messages over time", "messages per second", series, windows)
}

// activity is what activityChart draws: deliveries and drops per second
// in fifty buckets, and the fault and crash windows.
func activity(records []sim.Record) ([]viz.Series, []viz.FaultWindow, error) {
	if len(records) == 0 {
		return nil, nil, viz.ErrNoData
	}
	end := records[len(records)-1].At
	if end <= 0 {
		return nil, nil, viz.ErrNoData
	}
	// Fifty buckets that just cover [0, end]: the events at the very end
	// fall in the last one, and no trailing bucket that the run hardly
	// reaches into makes its low count read as a collapse.
	const buckets = 50
	bucket := end/buckets + 1
	to := bucket * buckets
	var delivered, dropped []time.Duration
	for i := range records {
		switch records[i].Kind {
		case sim.KindDeliver:
			delivered = append(delivered, records[i].At)
		case sim.KindDrop:
			dropped = append(dropped, records[i].At)
		}
	}
	var series []viz.Series
	for _, s := range []struct {
		name  string
		times []time.Duration
	}{{"delivered", delivered}, {"lost", dropped}} {
		points, err := viz.Rate(s.times, bucket, 0, to)
		if err != nil {
			return nil, nil, err
		}
		series = append(series, viz.Series{Name: s.name, Points: points})
	}
	// Crashes are shaded like partitions: both silence a node.
	windows := viz.FaultWindows(records, end)
	for _, d := range viz.Downtimes(records, end) {
		windows = append(windows, viz.FaultWindow{From: d.From, To: d.To, Text: "crash " + string(d.Node)})
	}
	return series, windows, nil
}

// MetricPlots draws the curves a run's own metrics describe: throughput
// against servers from appsN_throughput (web-scale's scaling curve), read
// throughput against followers from followersN_read_throughput
// (read-replicas'), hit ratio against capacity from sizeN_hit_ratio
// (cdn's). A run with none of them gives none.
func MetricPlots(res scenarios.Result) ([]Figure, error) {
	var scaling, readScaling []viz.ScalingPoint
	var hits []viz.CachePoint
	for _, m := range res.Metrics {
		if n, ok := numbered(m.Name, "apps", "_throughput"); ok {
			scaling = append(scaling, viz.ScalingPoint{Servers: n, Throughput: m.Value})
		}
		if n, ok := numbered(m.Name, "followers", "_read_throughput"); ok {
			readScaling = append(readScaling, viz.ScalingPoint{Servers: n, Throughput: m.Value})
		}
		if n, ok := numbered(m.Name, "size", "_hit_ratio"); ok {
			hits = append(hits, viz.CachePoint{Capacity: n, HitRatio: m.Value})
		}
	}
	var figs []Figure
	if len(scaling) > 1 {
		p, err := viz.ScalingChart(scaling)
		if err != nil {
			return nil, fmt.Errorf("sweep: plotting scaling: %w", err)
		}
		figs = append(figs, Figure{Name: "scaling", Plot: p})
	}
	if len(readScaling) > 1 {
		p, err := viz.ScalingChart(readScaling)
		if err != nil {
			return nil, fmt.Errorf("sweep: plotting read scaling: %w", err)
		}
		p.Title.Text = "read throughput against followers"
		p.X.Label.Text = "followers"
		p.Y.Label.Text = "reads/s"
		figs = append(figs, Figure{Name: "read-scaling", Plot: p})
	}
	if len(hits) > 1 {
		p, err := viz.HitRatioChart(hits)
		if err != nil {
			return nil, fmt.Errorf("sweep: plotting hit ratio: %w", err)
		}
		figs = append(figs, Figure{Name: "hit-ratio", Plot: p})
	}
	return figs, nil
}

// numbered reads N from a metric name prefix+N+suffix.
func numbered(name, prefix, suffix string) (int, bool) {
	if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) {
		return 0, false
	}
	n, err := strconv.Atoi(name[len(prefix) : len(name)-len(suffix)])
	return n, err == nil && n > 0
}

// SaveFigures writes each figure into dir as prefix-NAME.png or .svg (by
// format; diagrams are always .svg) and returns the paths written, in
// order. dir is created if need be.
func SaveFigures(dir, prefix string, format viz.Format, figs []Figure) ([]string, error) {
	if format != viz.FormatPNG && format != viz.FormatSVG {
		return nil, fmt.Errorf("%q: %w", format, viz.ErrFormat)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var paths []string
	for _, fig := range figs {
		name := prefix + fig.Name
		if fig.SVG != nil {
			path := filepath.Join(dir, name+".svg")
			if err := writeFile(path, fig.SVG); err != nil {
				return paths, err
			}
			paths = append(paths, path)
			continue
		}
		path := filepath.Join(dir, name+"."+string(format))
		if err := viz.Save(fig.Plot, path); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func writeFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("sweep: %w", cerr)
		}
	}()
	if err := write(f); err != nil {
		return fmt.Errorf("sweep: writing %s: %w", path, err)
	}
	return nil
}
