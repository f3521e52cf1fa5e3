package viz

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Format is an image format a plot can be written in.
type Format string

const (
	FormatPNG Format = "png"
	FormatSVG Format = "svg"
)

// ErrFormat is wrapped by errors about an image format viz cannot write.
var ErrFormat = errors.New("viz: unsupported image format (want .png or .svg)")

// The size every plot is written at.
const (
	PlotWidth  = 16 * vg.Centimeter
	PlotHeight = 10 * vg.Centimeter
)

// FormatOf picks the format from a file name's extension, .png or .svg in
// any case.
func FormatOf(path string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))); f {
	case FormatPNG, FormatSVG:
		return f, nil
	}
	return "", fmt.Errorf("%q: %w", path, ErrFormat)
}

// Write renders p at PlotWidth by PlotHeight in format. The bytes depend
// only on the plot: the same plot gives the same file.
func Write(w io.Writer, p *plot.Plot, format Format) error {
	var c vg.CanvasWriterTo
	switch format {
	case FormatPNG:
		c = vgimg.PngCanvas{Canvas: vgimg.New(PlotWidth, PlotHeight)}
	case FormatSVG:
		c = vgsvg.New(PlotWidth, PlotHeight)
	default:
		return fmt.Errorf("%q: %w", format, ErrFormat)
	}
	p.Draw(draw.New(c))
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("viz: writing %s plot: %w", format, err)
	}
	return nil
}

// Save writes p to the file at path, in the format its extension names.
func Save(p *plot.Plot, path string) (err error) {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("viz: saving plot: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("viz: saving plot: %w", cerr)
		}
	}()
	return Write(f, p, format)
}

// Palette: the Okabe-Ito colours, distinct for colour-blind readers.
var (
	colorBlue   = color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}
	colorOrange = color.RGBA{R: 0xE6, G: 0x9F, B: 0x00, A: 0xFF}
	colorGreen  = color.RGBA{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF}
	colorRed    = color.RGBA{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}
	colorPurple = color.RGBA{R: 0xCC, G: 0x79, B: 0xA7, A: 0xFF}
	colorSky    = color.RGBA{R: 0x56, G: 0xB4, B: 0xE9, A: 0xFF}
	colorGrey   = color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xFF}
	colorFault  = color.NRGBA{R: 0xFF, G: 0xCC, B: 0x80, A: 0x90}
	seriesColor = []color.Color{colorBlue, colorOrange, colorGreen, colorRed, colorPurple, colorSky}
)

// newPlot starts a plot whose title sits a little below the top edge,
// where gonum would put it flush against the border.
func newPlot() *plot.Plot {
	p := plot.New()
	p.Title.Padding = vg.Points(6)
	return p
}

// CountTicks marks an axis of counts (messages, runs, terms) at whole numbers
// only, labelled without decimals: gonum's default writes "250.00".
var CountTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value != math.Trunc(t.Value) {
			continue
		}
		if t.Label != "" {
			t.Label = strconv.FormatFloat(t.Value, 'f', 0, 64)
		}
		out = append(out, t)
	}
	return out
})

// Bin is one bar of a histogram: the values in [Min, Max), or [Min, Max]
// for the last bin.
type Bin struct {
	Min, Max float64
	Count    int
}

// Histogram sorts values into n bins of equal width spanning the smallest
// to the largest value. If every value is the same, the one bin is one unit
// wide, centred on it.
func Histogram(values []float64, n int) ([]Bin, error) {
	if len(values) == 0 {
		return nil, fmt.Errorf("histogram: no values: %w", ErrNoData)
	}
	if n < 1 {
		return nil, fmt.Errorf("viz: histogram needs at least one bin, got %d", n)
	}
	lo, hi := values[0], values[0]
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("viz: histogram value %v is not a finite number", v)
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo == hi {
		return []Bin{{Min: lo - 0.5, Max: lo + 0.5, Count: len(values)}}, nil
	}
	width := (hi - lo) / float64(n)
	bins := make([]Bin, n)
	for i := range bins {
		bins[i].Min = lo + float64(float64(i)*width)
		bins[i].Max = lo + float64(float64(i+1)*width)
	}
	bins[n-1].Max = hi
	for _, v := range values {
		i := min(int((v-lo)/width), n-1)
		// Rounding can put a value that sits on an edge one bin off.
		for i > 0 && v < bins[i].Min {
			i--
		}
		for i < n-1 && v >= bins[i+1].Min {
			i++
		}
		bins[i].Count++
	}
	return bins, nil
}

// Percentile is the nearest-rank percentile p (0 < p <= 100) of ds: the
// smallest value at least p percent of ds are at or below. Zero if ds is
// empty.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(float64(p*float64(len(s))) / 100))
	return s[min(max(rank, 1), len(s))-1]
}

// timeUnit picks milliseconds or seconds for an axis that reaches up to d.
func timeUnit(d time.Duration) (time.Duration, string) {
	if d >= 10*time.Second {
		return time.Second, "s"
	}
	return time.Millisecond, "ms"
}

func inUnit(d, unit time.Duration) float64 { return float64(d) / float64(unit) }

// formatIn renders d in the axis unit, to the microsecond for milliseconds
// as every dsim log does.
func formatIn(d, unit time.Duration, name string) string {
	if unit == time.Millisecond {
		return sim.FormatTime(d)
	}
	return strconv.FormatFloat(inUnit(d, unit), 'f', 3, 64) + name
}

// LatencyHistogram plots how long messages took, from Latencies of
// Deliveries. The title gives the count, median and 99th percentile.
func LatencyHistogram(latencies []time.Duration, bins int) (*plot.Plot, error) {
	return durationHistogram("message latency", "latency", "deliveries", latencies, bins)
}

// RequestLatencyHistogram plots how long clients waited for the answers to
// their requests, from each request's send to its response's delivery:
// what a user of a service feels, as opposed to one network hop.
func RequestLatencyHistogram(latencies []time.Duration, bins int) (*plot.Plot, error) {
	return durationHistogram("request latency", "latency", "requests answered", latencies, bins)
}

// ElectionTimeHistogram plots how long it took to elect a leader, one value
// per run (say, per seed). A long right tail is what split votes look like.
func ElectionTimeHistogram(times []time.Duration, bins int) (*plot.Plot, error) {
	return durationHistogram("time to elect a leader", "election time", "runs", times, bins)
}

func durationHistogram(title, xName, yName string, ds []time.Duration, n int) (*plot.Plot, error) {
	if len(ds) == 0 {
		return nil, fmt.Errorf("%s histogram: no values: %w", title, ErrNoData)
	}
	unit, name := timeUnit(slices.Max(ds))
	values := make([]float64, len(ds))
	for i, d := range ds {
		values[i] = inUnit(d, unit)
	}
	bins, err := Histogram(values, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", title, err)
	}
	h := &plotter.Histogram{Width: bins[0].Max - bins[0].Min, FillColor: colorBlue, LineStyle: plotter.DefaultLineStyle}
	for _, b := range bins {
		h.Bins = append(h.Bins, plotter.HistogramBin{Min: b.Min, Max: b.Max, Weight: float64(b.Count)})
	}
	h.LineStyle.Color = color.White
	p := newPlot()
	p.Title.Text = fmt.Sprintf("%s (n=%d, median %s, p99 %s)", title, len(ds),
		formatIn(Percentile(ds, 50), unit, name), formatIn(Percentile(ds, 99), unit, name))
	p.X.Label.Text = xName + " (" + name + ")"
	p.Y.Label.Text = yName
	p.Y.Min = 0
	p.Y.Tick.Marker = CountTicks
	p.Add(plotter.NewGrid(), h)
	return p, nil
}

// NodeTrafficChart draws, per node, the messages it sent, received and
// lost, as grouped bars. Feed it TrafficByNode.
func NodeTrafficChart(traffic []NodeTraffic) (*plot.Plot, error) {
	if len(traffic) == 0 {
		return nil, fmt.Errorf("node traffic chart: %w", ErrNoData)
	}
	var sent, received, dropped plotter.Values
	names := make([]string, len(traffic))
	for i, t := range traffic {
		names[i] = string(t.Node)
		sent = append(sent, float64(t.Sent))
		received = append(received, float64(t.Received))
		dropped = append(dropped, float64(t.Dropped))
	}
	p := newPlot()
	p.Title.Text = "messages per node"
	p.Y.Label.Text = "messages"
	p.Y.Tick.Marker = CountTicks
	// Headroom above the tallest bar keeps the legend off the bars.
	most := slices.Max(slices.Concat(sent, received, dropped))
	p.Y.Min, p.Y.Max = 0, max(float64(most*1.3), 1)
	w := vg.Points(float64(min(60, 240/len(traffic))) / 3)
	for i, s := range []struct {
		name   string
		values plotter.Values
		color  color.Color
	}{{"sent", sent, colorBlue}, {"received", received, colorGreen}, {"lost", dropped, colorRed}} {
		bars, err := plotter.NewBarChart(s.values, w)
		if err != nil {
			return nil, fmt.Errorf("viz: node traffic chart: %w", err)
		}
		bars.Color = s.color
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(i-1) * w
		p.Add(bars)
		p.Legend.Add(s.name, bars)
	}
	p.Legend.Top = true
	p.NominalX(names...)
	return p, nil
}

// MessageTypeChart draws one bar per message type. Feed it SendsByType.
func MessageTypeChart(counts []Count) (*plot.Plot, error) {
	if len(counts) == 0 {
		return nil, fmt.Errorf("message type chart: %w", ErrNoData)
	}
	values := make(plotter.Values, len(counts))
	names := make([]string, len(counts))
	for i, c := range counts {
		values[i], names[i] = float64(c.N), c.Label
	}
	bars, err := plotter.NewBarChart(values, vg.Points(float64(min(40, 300/len(counts)))))
	if err != nil {
		return nil, fmt.Errorf("viz: message type chart: %w", err)
	}
	bars.Color = colorBlue
	bars.LineStyle.Width = 0
	p := newPlot()
	p.Title.Text = "messages sent per type"
	p.Y.Label.Text = "messages"
	p.Y.Tick.Marker = CountTicks
	p.Add(plotter.NewGrid(), bars)
	p.NominalX(names...)
	// Slant the type names when side by side they would run into each
	// other (AppendEntries next to AppendEntriesReply).
	widest := vg.Length(0)
	for _, n := range names {
		widest = max(widest, p.X.Tick.Label.Width(n))
	}
	if float64(widest)*float64(len(names)) > float64(PlotWidth)*0.75 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YTop
	}
	return p, nil
}

// Point is one sample of a quantity over virtual time.
type Point struct {
	At    time.Duration
	Value float64
}

// Series is a named line of a TimeSeriesChart.
type Series struct {
	Name   string
	Points []Point
}

// Rate counts the instants in times that fall in each bucket-long slice of
// [from, to), as events per second, one Point per bucket at the bucket's
// centre (the rate is the bucket's average, so that is where it belongs).
// Feed it the delivery times of client replies to get throughput.
func Rate(times []time.Duration, bucket, from, to time.Duration) ([]Point, error) {
	if bucket <= 0 {
		return nil, fmt.Errorf("viz: rate bucket must be positive, got %s", bucket)
	}
	if to <= from {
		return nil, fmt.Errorf("viz: rate span %s to %s is empty", from, to)
	}
	n := int((to - from + bucket - 1) / bucket)
	counts := make([]int, n)
	for _, t := range times {
		if t >= from && t < to {
			counts[(t-from)/bucket]++
		}
	}
	out := make([]Point, n)
	perSecond := float64(time.Second) / float64(bucket)
	for i, c := range counts {
		out[i] = Point{At: from + time.Duration(i)*bucket + bucket/2, Value: float64(float64(c) * perSecond)}
	}
	return out, nil
}

// TimeSeriesChart draws quantities over virtual time, such as throughput or
// availability, with the fault windows shaded and labelled so a dip can be
// matched with its cause. Feed faults from FaultWindows.
func TimeSeriesChart(title, yLabel string, series []Series, faults []FaultWindow) (*plot.Plot, error) {
	var last time.Duration
	ymin, ymax := 0.0, 0.0
	points := 0
	for _, s := range series {
		for _, pt := range s.Points {
			if math.IsNaN(pt.Value) || math.IsInf(pt.Value, 0) {
				return nil, fmt.Errorf("viz: %s: series %q has a value that is not a finite number at %s", title, s.Name, pt.At)
			}
			last = max(last, pt.At)
			ymin, ymax = min(ymin, pt.Value), max(ymax, pt.Value)
			points++
		}
	}
	if points == 0 {
		return nil, fmt.Errorf("%s: no points: %w", title, ErrNoData)
	}
	for _, f := range faults {
		last = max(last, f.To)
	}
	if ymax == ymin {
		ymax = ymin + 1
	}
	ymax += float64(float64(ymax-ymin) * 0.15) // headroom for the fault labels
	unit, name := timeUnit(last)

	p := newPlot()
	p.Title.Text = title
	p.X.Label.Text = "virtual time (" + name + ")"
	p.Y.Label.Text = yLabel
	p.Y.Min, p.Y.Max = ymin, ymax
	p.Add(plotter.NewGrid())
	var labels plotter.XYLabels
	for _, f := range faults {
		x0, x1 := inUnit(f.From, unit), inUnit(f.To, unit)
		shade, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: ymin}, {X: x1, Y: ymin}, {X: x1, Y: ymax}, {X: x0, Y: ymax}})
		if err != nil {
			return nil, fmt.Errorf("viz: %s: fault window: %w", title, err)
		}
		shade.Color = colorFault
		shade.LineStyle.Width = 0
		p.Add(shade)
		labels.XYs = append(labels.XYs, plotter.XY{X: x0, Y: ymax})
		labels.Labels = append(labels.Labels, " "+f.Text)
	}
	for i, s := range series {
		xys := make(plotter.XYs, len(s.Points))
		for k, pt := range s.Points {
			xys[k] = plotter.XY{X: inUnit(pt.At, unit), Y: pt.Value}
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("viz: %s: series %q: %w", title, s.Name, err)
		}
		line.Color = seriesColor[i%len(seriesColor)]
		line.Width = vg.Points(1.5)
		p.Add(line)
		if s.Name != "" {
			p.Legend.Add(s.Name, line)
		}
	}
	if len(labels.XYs) > 0 {
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, fmt.Errorf("viz: %s: fault labels: %w", title, err)
		}
		for i := range l.TextStyle {
			l.TextStyle[i].YAlign = draw.YTop
			l.TextStyle[i].Font.Size = vg.Points(8)
		}
		p.Add(l)
	}
	p.Legend.Top = true
	return p, nil
}

// CachePoint is the hit ratio a cache reached at one capacity.
type CachePoint struct {
	Capacity int
	HitRatio float64 // hits / lookups, in [0, 1]
}

// HitRatioChart draws a cache's hit ratio against its capacity: where the
// curve flattens, more memory stops paying.
func HitRatioChart(points []CachePoint) (*plot.Plot, error) {
	if len(points) == 0 {
		return nil, fmt.Errorf("hit ratio chart: %w", ErrNoData)
	}
	s := slices.Clone(points)
	slices.SortStableFunc(s, func(a, b CachePoint) int { return a.Capacity - b.Capacity })
	xys := make(plotter.XYs, len(s))
	for i, pt := range s {
		if pt.HitRatio < 0 || pt.HitRatio > 1 || math.IsNaN(pt.HitRatio) {
			return nil, fmt.Errorf("viz: hit ratio %v at capacity %d is not in [0, 1]", pt.HitRatio, pt.Capacity)
		}
		if pt.Capacity < 0 {
			return nil, fmt.Errorf("viz: cache capacity %d is negative", pt.Capacity)
		}
		if i > 0 && s[i-1].Capacity == pt.Capacity {
			return nil, fmt.Errorf("viz: capacity %d appears twice in the hit ratio data", pt.Capacity)
		}
		xys[i] = plotter.XY{X: float64(pt.Capacity), Y: pt.HitRatio}
	}
	p := newPlot()
	p.Title.Text = "cache hit ratio against capacity"
	p.X.Label.Text = "capacity (entries)"
	p.Y.Label.Text = "hit ratio"
	p.Y.Min, p.Y.Max = 0, 1
	if err := addLinePoints(p, xys, colorBlue, ""); err != nil {
		return nil, fmt.Errorf("viz: hit ratio chart: %w", err)
	}
	return p, nil
}

func addLinePoints(p *plot.Plot, xys plotter.XYs, c color.Color, name string) error {
	line, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	line.Color, line.Width = c, vg.Points(1.5)
	pts.Color, pts.Shape = c, draw.CircleGlyph{}
	p.Add(line, pts)
	if name != "" {
		p.Legend.Add(name, line, pts)
	}
	return nil
}

// StateChange is a circuit breaker (or any state machine) entering State
// at virtual time At.
type StateChange struct {
	At    time.Duration
	State string
}

// breakerOrder stacks a breaker's states from healthy (bottom) to tripped.
var breakerOrder = []string{"closed", "half-open", "open"}

// BreakerChart draws a circuit breaker's state over virtual time, as steps
// up to open and back down to closed. changes must be in time order; the
// last state lasts until end. The usual states (closed, half-open, open)
// are stacked in that order; others go above them in order of appearance.
func BreakerChart(changes []StateChange, end time.Duration) (*plot.Plot, error) {
	if len(changes) == 0 {
		return nil, fmt.Errorf("breaker chart: %w", ErrNoData)
	}
	states := slices.Clone(breakerOrder)
	level := func(s string) int {
		if i := slices.Index(states, strings.ToLower(s)); i >= 0 {
			return i
		}
		states = append(states, strings.ToLower(s))
		return len(states) - 1
	}
	for i := 1; i < len(changes); i++ {
		if changes[i].At < changes[i-1].At {
			return nil, fmt.Errorf("viz: breaker state changes out of order: %s after %s", changes[i].At, changes[i-1].At)
		}
	}
	if end < changes[len(changes)-1].At {
		return nil, fmt.Errorf("viz: breaker chart ends at %s, before its last change at %s", end, changes[len(changes)-1].At)
	}
	unit, name := timeUnit(end)
	var xys plotter.XYs
	for i, c := range changes {
		y := float64(level(c.State))
		x := inUnit(c.At, unit)
		if i > 0 {
			xys = append(xys, plotter.XY{X: x, Y: xys[len(xys)-1].Y})
		}
		xys = append(xys, plotter.XY{X: x, Y: y})
	}
	xys = append(xys, plotter.XY{X: inUnit(end, unit), Y: xys[len(xys)-1].Y})
	line, err := plotter.NewLine(xys)
	if err != nil {
		return nil, fmt.Errorf("viz: breaker chart: %w", err)
	}
	line.Color, line.Width = colorRed, vg.Points(2)
	p := newPlot()
	p.Title.Text = "circuit breaker state"
	p.X.Label.Text = "virtual time (" + name + ")"
	p.Y.Min, p.Y.Max = -0.5, float64(len(states))-0.5
	names := slices.Clone(states)
	p.Y.Tick.Marker = plot.TickerFunc(func(_, _ float64) []plot.Tick {
		ticks := make([]plot.Tick, len(names))
		for i, n := range names {
			ticks[i] = plot.Tick{Value: float64(i), Label: n}
		}
		return ticks
	})
	p.Add(plotter.NewGrid(), line)
	return p, nil
}

// ScalingPoint is the throughput measured with so many servers.
type ScalingPoint struct {
	Servers    int
	Throughput float64 // requests per second
}

// ScalingChart draws throughput against the number of servers, with the
// linear ideal extrapolated from the smallest cluster as a dashed line: the
// gap between them is the cost of coordination.
func ScalingChart(points []ScalingPoint) (*plot.Plot, error) {
	if len(points) == 0 {
		return nil, fmt.Errorf("scaling chart: %w", ErrNoData)
	}
	s := slices.Clone(points)
	slices.SortStableFunc(s, func(a, b ScalingPoint) int { return a.Servers - b.Servers })
	xys := make(plotter.XYs, len(s))
	ideal := make(plotter.XYs, len(s))
	for i, pt := range s {
		if pt.Servers < 1 {
			return nil, fmt.Errorf("viz: scaling point with %d servers: need at least one", pt.Servers)
		}
		if pt.Throughput < 0 || math.IsNaN(pt.Throughput) || math.IsInf(pt.Throughput, 0) {
			return nil, fmt.Errorf("viz: throughput %v with %d servers is not a non-negative number", pt.Throughput, pt.Servers)
		}
		if i > 0 && s[i-1].Servers == pt.Servers {
			return nil, fmt.Errorf("viz: %d servers appears twice in the scaling data", pt.Servers)
		}
		xys[i] = plotter.XY{X: float64(pt.Servers), Y: pt.Throughput}
		ideal[i] = plotter.XY{X: float64(pt.Servers), Y: float64(s[0].Throughput/float64(s[0].Servers)) * float64(pt.Servers)}
	}
	p := newPlot()
	p.Title.Text = "throughput against cluster size"
	p.X.Label.Text = "servers"
	p.Y.Label.Text = "throughput (requests/s)"
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	line, err := plotter.NewLine(ideal)
	if err != nil {
		return nil, fmt.Errorf("viz: scaling chart: %w", err)
	}
	line.Color, line.Dashes = colorGrey, []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(line)
	p.Legend.Add("linear (ideal)", line)
	if err := addLinePoints(p, xys, colorBlue, "measured"); err != nil {
		return nil, fmt.Errorf("viz: scaling chart: %w", err)
	}
	p.Legend.Top, p.Legend.Left = true, true
	return p, nil
}
