package viz

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// ErrNoData is wrapped by errors about input with nothing to draw.
var ErrNoData = errors.New("viz: nothing to draw")

// Layout says how a space-time diagram places events along the time axis.
type Layout uint8

const (
	// LayoutTime places events by virtual time: the slope of an arrow is
	// the message's latency. Events at the same instant share a spot.
	LayoutTime Layout = iota
	// LayoutSequence gives every drawn event its own row, in trace order.
	// Nothing overlaps, and happened-before still points downward, but
	// distances say nothing about time (the left margin does).
	LayoutSequence
)

// Stamps says which logical timestamps a diagram writes next to events.
type Stamps uint8

const (
	StampsNone    Stamps = iota
	StampsLamport        // Lamport clock values, from LamportStamps
	StampsVector         // vector clocks, from VectorStamps
)

// DefaultMaxMessages is how many messages a diagram draws when
// SpaceTimeOptions.MaxMessages is zero: beyond that, arrows blur together.
const DefaultMaxMessages = 200

// SpaceTimeOptions selects what WriteSpaceTime draws. The zero value draws
// the whole trace, every node, up to DefaultMaxMessages messages, by time.
type SpaceTimeOptions struct {
	// From and To bound the virtual time shown. To == 0 means the end of
	// the trace. A message is drawn only if its send and at least one of
	// its ends fall inside; the others are counted in a note.
	From, To time.Duration
	// Nodes are the nodes to draw, left to right. Empty means every node,
	// in the order it first appears in the trace. Messages to or from a
	// node not drawn are left out and counted.
	Nodes []sim.NodeID
	// MaxMessages keeps the first so many messages (by send) and ends the
	// diagram where the last of them ends; the note says how many were
	// cut. Zero means DefaultMaxMessages; negative means no limit.
	MaxMessages int
	Layout      Layout
	Stamps      Stamps
	// ShowLogs marks the nodes' log lines as small circles (hover for the
	// text).
	ShowLogs bool
	// Title heads the diagram; empty gives "space-time diagram".
	Title string
	// Height is the height in pixels of the time axis in LayoutTime. Zero
	// picks one so that the quickest message still slopes visibly.
	Height float64
}

// Geometry of the diagram, in pixels.
const (
	stLeft      = 90.0  // time labels live left of this
	stTop       = 80.0  // title and node names live above this
	stColumn    = 150.0 // distance between node lines
	stPad       = 50.0  // from the margin to the first and last node line
	stRow       = 22.0  // one event in LayoutSequence
	stMinSlope  = 24.0  // the quickest message drops at least this far, when Height is auto
	stMinHeight = 400.0
	stMinWidth  = 640.0 // room for the legend
	stMaxHeight = 4000.0
	stDropDrop  = 18.0 // a message lost at its send still drops this far before its X
	stNoteLine  = 16.0
)

// Colours, chosen to stay apart for the common kinds of colour blindness.
const (
	colLine    = "#333333"
	colDown    = "#bbbbbb"
	colMessage = "#1f5fa8"
	colDrop    = "#c62828"
	colRestart = "#2e7d32"
	colTimer   = "#777777"
	colStamp   = "#6a3d9a"
	colFault   = "#ffcc80"
	colFaultTx = "#8a4b00"
)

// stMessage is one message chosen for drawing.
type stMessage struct {
	send int   // index of its send record
	ends []int // indices of its deliver and drop records inside the window
}

// spaceTime holds what WriteSpaceTime decided to draw and where.
type spaceTime struct {
	recs   []sim.Record
	opts   SpaceTimeOptions
	from   time.Duration
	to     time.Duration
	nodes  []sim.NodeID
	column map[sim.NodeID]int
	known  map[sim.NodeID]bool // every node of the trace, drawn or not

	msgs     []stMessage
	events   []int // node events drawn: timers, crashes, restarts, logs
	faults   []int // fault records inside the window
	rank     map[int]int
	rankTime []time.Duration // At of each ranked record, in row order
	scale    float64         // pixels per nanosecond, LayoutTime
	height   float64         // of the time axis
	notes    []string

	lamport []uint64
	vector  [][]uint64
}

// WriteSpaceTime draws records as a space-time (Lamport) diagram in SVG:
// one vertical line per node with time flowing down, an arrow per
// delivered message from its send to its delivery, a red arrow ending in a
// cross for each lost one, crashed spans dashed, fault windows shaded,
// timers as ticks. The output depends only on records and opts, byte for
// byte.
func WriteSpaceTime(w io.Writer, records []sim.Record, opts SpaceTimeOptions) error {
	st, err := planSpaceTime(records, opts)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	st.render(&b)
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("viz: writing space-time diagram: %w", err)
	}
	return nil
}

func planSpaceTime(records []sim.Record, opts SpaceTimeOptions) (*spaceTime, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("space-time diagram: empty trace: %w", ErrNoData)
	}
	if opts.To != 0 && opts.To < opts.From {
		return nil, fmt.Errorf("viz: space-time window ends (%s) before it starts (%s)", sim.FormatTime(opts.To), sim.FormatTime(opts.From))
	}
	if opts.Layout > LayoutSequence {
		return nil, fmt.Errorf("viz: unknown layout %d", opts.Layout)
	}
	if opts.Stamps > StampsVector {
		return nil, fmt.Errorf("viz: unknown stamps %d", opts.Stamps)
	}
	st := &spaceTime{recs: records, opts: opts, from: opts.From, to: opts.To, column: map[sim.NodeID]int{}, known: map[sim.NodeID]bool{}}
	if st.to == 0 {
		st.to = records[len(records)-1].At
	}
	all := traceNodes(records)
	for _, n := range all {
		st.known[n] = true
	}
	st.nodes = all
	if len(opts.Nodes) > 0 {
		for _, n := range opts.Nodes {
			if !st.known[n] {
				return nil, fmt.Errorf("viz: space-time node filter: %q does not appear in the trace", n)
			}
			if _, dup := st.column[n]; dup {
				return nil, fmt.Errorf("viz: space-time node filter names %q twice", n)
			}
			st.column[n] = 0
		}
		st.nodes = opts.Nodes
	}
	for i, n := range st.nodes {
		st.column[n] = i
	}
	st.chooseMessages()
	st.chooseEvents()
	if len(st.msgs) == 0 && len(st.events) == 0 && len(st.faults) == 0 {
		return nil, fmt.Errorf("space-time diagram of %s-%s: no events in the window: %w", sim.FormatTime(st.from), sim.FormatTime(st.to), ErrNoData)
	}
	st.placeRows()
	switch opts.Stamps {
	case StampsLamport:
		st.lamport = LamportStamps(records)
	case StampsVector:
		var order []sim.NodeID
		order, st.vector = VectorStamps(records)
		st.notes = append(st.notes, "vector entries: ["+joinIDs(order)+"]")
	}
	return st, nil
}

func (st *spaceTime) inWindow(at time.Duration) bool { return at >= st.from && at <= st.to }

func (st *spaceTime) drawn(n sim.NodeID) bool { _, ok := st.column[n]; return ok }

// chooseMessages picks the messages to draw and counts the ones left out.
func (st *spaceTime) chooseMessages() {
	byID := map[uint64]int{} // message id -> index in all
	var all []stMessage
	for i := range st.recs {
		r := &st.recs[i]
		switch r.Kind {
		case sim.KindSend:
			byID[r.ID] = len(all)
			all = append(all, stMessage{send: i})
		case sim.KindDeliver, sim.KindDrop:
			if j, ok := byID[r.ID]; ok {
				all[j].ends = append(all[j].ends, i)
			}
		}
	}
	var hidden, crossing, inFlight int
	var chosen []stMessage
	for _, m := range all {
		s := &st.recs[m.send]
		var inside []int
		for _, e := range m.ends {
			if st.inWindow(st.recs[e].At) {
				inside = append(inside, e)
			}
		}
		if !st.inWindow(s.At) {
			if len(inside) > 0 && st.drawn(s.From) && (st.drawn(s.To) || !st.known[s.To]) {
				crossing++
			}
			continue
		}
		if !st.drawn(s.From) || (st.known[s.To] && !st.drawn(s.To)) {
			hidden++
			continue
		}
		switch {
		case len(m.ends) == 0:
			inFlight++
			continue
		case len(inside) == 0:
			crossing++
			continue
		}
		chosen = append(chosen, stMessage{send: m.send, ends: inside})
	}
	limit := st.opts.MaxMessages
	if limit == 0 {
		limit = DefaultMaxMessages
	}
	if limit > 0 && len(chosen) > limit {
		cut := len(chosen) - limit
		chosen = chosen[:limit]
		end := st.from
		for _, m := range chosen {
			for _, e := range m.ends {
				end = max(end, st.recs[e].At)
			}
		}
		st.notes = append(st.notes, fmt.Sprintf("showing the first %d of %d messages: %d cut, so the diagram ends at %s instead of %s",
			limit, limit+cut, cut, sim.FormatTime(end), sim.FormatTime(st.to)))
		st.to = end
	}
	st.msgs = chosen
	if hidden > 0 {
		st.notes = append(st.notes, fmt.Sprintf("%d messages to or from nodes not drawn are left out", hidden))
	}
	if crossing > 0 {
		st.notes = append(st.notes, fmt.Sprintf("%d messages crossing the edge of the time window are left out", crossing))
	}
	if inFlight > 0 {
		st.notes = append(st.notes, fmt.Sprintf("%d messages were still in flight when the trace ended", inFlight))
	}
}

// chooseEvents picks the node events and fault records inside the window.
func (st *spaceTime) chooseEvents() {
	for i := range st.recs {
		r := &st.recs[i]
		if !st.inWindow(r.At) {
			continue
		}
		switch r.Kind {
		case sim.KindStart, sim.KindTimer, sim.KindCrash, sim.KindRestart:
			if st.drawn(r.Node) {
				st.events = append(st.events, i)
			}
		case sim.KindLog:
			if st.opts.ShowLogs && r.Node != "" && st.drawn(r.Node) {
				st.events = append(st.events, i)
			}
		case sim.KindFault:
			st.faults = append(st.faults, i)
		}
	}
}

// placeRows decides the time axis: rows for LayoutSequence, a scale for
// LayoutTime.
func (st *spaceTime) placeRows() {
	var ranked []int
	for _, m := range st.msgs {
		ranked = append(ranked, m.send)
		ranked = append(ranked, m.ends...)
	}
	ranked = append(ranked, st.events...)
	ranked = append(ranked, st.faults...)
	sort.Ints(ranked)
	st.rank = make(map[int]int, len(ranked))
	for _, i := range ranked {
		if _, dup := st.rank[i]; dup {
			continue
		}
		st.rank[i] = len(st.rankTime)
		st.rankTime = append(st.rankTime, st.recs[i].At)
	}
	if st.opts.Layout == LayoutSequence {
		st.height = float64(len(st.rankTime)+1) * stRow
		return
	}
	span := st.to - st.from
	st.height = st.opts.Height
	if st.height <= 0 {
		st.height = stMinHeight
		var quickest time.Duration
		for _, m := range st.msgs {
			for _, e := range m.ends {
				if d := st.recs[e].At - st.recs[m.send].At; d > 0 && (quickest == 0 || d < quickest) {
					quickest = d
				}
			}
		}
		if quickest > 0 {
			st.height = min(max(float64(span)/float64(quickest)*stMinSlope, stMinHeight), stMaxHeight)
		}
	}
	if span > 0 {
		st.scale = st.height / float64(span)
	}
}

// y is where record i sits on the time axis.
func (st *spaceTime) y(i int) float64 {
	if st.opts.Layout == LayoutSequence {
		return stTop + float64(float64(st.rank[i]+1)*stRow)
	}
	return st.yAt(st.recs[i].At)
}

// yAt is where instant t sits on the time axis. In LayoutSequence it is
// just above the first row at or after t.
func (st *spaceTime) yAt(t time.Duration) float64 {
	if st.opts.Layout == LayoutSequence {
		row := sort.Search(len(st.rankTime), func(k int) bool { return st.rankTime[k] >= t })
		return stTop + float64(float64(row)*stRow) + stRow/2
	}
	return stTop + float64(float64(t-st.from)*st.scale)
}

func (st *spaceTime) x(n sim.NodeID) float64 {
	return stLeft + stPad + float64(float64(st.column[n])*stColumn)
}

func (st *spaceTime) bottom() float64 { return stTop + st.height }

func (st *spaceTime) width() float64 {
	return max(stLeft+2*stPad+float64(float64(max(len(st.nodes)-1, 0))*stColumn)+40, stMinWidth)
}

func (st *spaceTime) render(b *bytes.Buffer) {
	legendY := st.bottom() + 30
	notesY := legendY + 24
	height := notesY + float64(float64(len(st.notes))*stNoteLine) + 10
	width := st.width()
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" font-size="11">`+"\n",
		num(width), num(height), num(width), num(height))
	b.WriteString(`<defs>` + "\n")
	fmt.Fprintf(b, `<marker id="st-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="%s"/></marker>`+"\n", colMessage)
	b.WriteString(`</defs>` + "\n")
	fmt.Fprintf(b, `<rect x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", num(width), num(height))
	title := st.opts.Title
	if title == "" {
		title = "space-time diagram"
	}
	fmt.Fprintf(b, `<text x="10" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", esc(title))
	fmt.Fprintf(b, `<text x="10" y="40" fill="#555555">%s</text>`+"\n", esc(st.subtitle()))

	st.renderFaults(b)
	st.renderAxis(b)
	st.renderNodes(b)
	st.renderMessages(b)
	st.renderEvents(b)
	st.renderLegend(b, legendY)
	for k, note := range st.notes {
		fmt.Fprintf(b, `<text x="10" y="%s" fill="#555555">%s</text>`+"\n", num(notesY+float64(float64(k)*stNoteLine)), esc(note))
	}
	b.WriteString("</svg>\n")
}

func (st *spaceTime) subtitle() string {
	layout := "time flows down, to scale"
	if st.opts.Layout == LayoutSequence {
		layout = "time flows down, one row per event (not to scale)"
	}
	return fmt.Sprintf("virtual time %s to %s, %d nodes, %d messages; %s",
		sim.FormatTime(st.from), sim.FormatTime(st.to), len(st.nodes), len(st.msgs), layout)
}

func (st *spaceTime) renderFaults(b *bytes.Buffer) {
	windows := FaultWindows(st.recs, st.recs[len(st.recs)-1].At)
	b.WriteString(`<g class="faults">` + "\n")
	x0, x1 := stLeft, st.width()-10
	for _, f := range windows {
		if f.To < st.from || f.From > st.to {
			continue
		}
		y0, y1 := st.yAt(max(f.From, st.from)), st.yAt(min(f.To, st.to))
		if f.To >= st.to {
			y1 = st.bottom()
		}
		fmt.Fprintf(b, `<g><title>%s</title><rect x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="0.45"/>`,
			esc(fmt.Sprintf("fault from %s to %s: %s", sim.FormatTime(f.From), sim.FormatTime(f.To), f.Text)),
			num(x0), num(y0), num(x1-x0), num(max(y1-y0, 2)), colFault)
		fmt.Fprintf(b, `<text x="%s" y="%s" fill="%s" font-size="10" text-anchor="end">%s</text></g>`+"\n",
			num(x1-4), num(y0+11), colFaultTx, esc(f.Text))
	}
	b.WriteString("</g>\n")
}

// renderAxis labels the time axis on the left.
func (st *spaceTime) renderAxis(b *bytes.Buffer) {
	b.WriteString(`<g class="axis" fill="#555555" font-size="10" text-anchor="end">` + "\n")
	if st.opts.Layout == LayoutSequence {
		last := time.Duration(-1)
		for row, t := range st.rankTime {
			if t == last {
				continue
			}
			last = t
			fmt.Fprintf(b, `<text x="%s" y="%s">%s</text>`+"\n", num(stLeft-8), num(stTop+float64(float64(row+1)*stRow)+4), sim.FormatTime(t))
		}
		b.WriteString("</g>\n")
		return
	}
	span := st.to - st.from
	step := tickStep(span, int(st.height/60))
	var first time.Duration // a trace of one instant has no ticks (step 0)
	if step > 0 && st.from > 0 {
		first = (st.from + step - 1) / step * step
	}
	for t := first; t <= st.to && step > 0; t += step {
		y := st.yAt(t)
		fmt.Fprintf(b, `<text x="%s" y="%s">%s</text><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#eeeeee"/>`+"\n",
			num(stLeft-8), num(y+4), tickLabel(t, step), num(stLeft-4), num(y), num(st.width()-10), num(y))
	}
	b.WriteString("</g>\n")
}

// tickStep picks 1, 2 or 5 times a power of ten so that span holds about
// want ticks at most.
func tickStep(span time.Duration, want int) time.Duration {
	if span <= 0 {
		return 0
	}
	want = max(want, 2)
	for unit := time.Duration(1); ; unit *= 10 {
		for _, m := range []time.Duration{1, 2, 5} {
			if s := unit * m; span/s <= time.Duration(want) {
				return s
			}
		}
	}
}

// tickLabel renders t in milliseconds with as many decimals as step needs.
func tickLabel(t, step time.Duration) string {
	dec := 0
	for s := time.Millisecond; step%s != 0 && dec < 6; s /= 10 {
		dec++
	}
	return strconv.FormatFloat(float64(t)/float64(time.Millisecond), 'f', dec, 64) + "ms"
}

func (st *spaceTime) renderNodes(b *bytes.Buffer) {
	down := Downtimes(st.recs, st.recs[len(st.recs)-1].At)
	b.WriteString(`<g class="nodes">` + "\n")
	for _, n := range st.nodes {
		x := st.x(n)
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="13" font-weight="bold">%s</text>`+"\n", num(x), num(stTop-12), esc(string(n)))
		// The line is solid while the node is up and dashed grey while it is
		// crashed: walk its downtimes in order, drawing the up part before each.
		y := stTop
		for _, d := range down {
			if d.Node != n || d.To < st.from || d.From > st.to {
				continue
			}
			y0 := max(st.yAt(max(d.From, st.from)), y)
			y1 := st.bottom()
			if d.Restarted && d.To <= st.to {
				y1 = st.yAt(d.To)
			}
			if y0 > y {
				fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/>`+"\n", num(x), num(y), num(x), num(y0), colLine)
			}
			fmt.Fprintf(b, `<g><title>%s</title><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="4,4"/></g>`+"\n",
				esc(downText(d)), num(x), num(y0), num(x), num(max(y1, y0)), colDown)
			y = max(y1, y0)
		}
		if y < st.bottom() {
			fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/>`+"\n", num(x), num(y), num(x), num(st.bottom()), colLine)
		}
	}
	b.WriteString("</g>\n")
}

func downText(d Downtime) string {
	if d.Restarted {
		return fmt.Sprintf("%s crashed from %s to %s", d.Node, sim.FormatTime(d.From), sim.FormatTime(d.To))
	}
	return fmt.Sprintf("%s crashed at %s and never restarted", d.Node, sim.FormatTime(d.From))
}

func (st *spaceTime) renderMessages(b *bytes.Buffer) {
	b.WriteString(`<g class="messages">` + "\n")
	for _, m := range st.msgs {
		s := &st.recs[m.send]
		xs, ys := st.x(s.From), st.y(m.send)
		label := MessageType(s.Msg)
		for _, e := range m.ends {
			r := &st.recs[e]
			ye := st.y(e)
			if r.Kind == sim.KindDeliver {
				st.renderDelivery(b, s, e, xs, ys, ye, label)
			} else {
				st.renderDrop(b, s, r, xs, ys, ye, label)
			}
		}
		fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", num(xs), num(ys), colMessage)
		st.renderStamp(b, m.send, xs, ys)
	}
	b.WriteString("</g>\n")
}

func (st *spaceTime) renderDelivery(b *bytes.Buffer, s *sim.Record, e int, xs, ys, ye float64, label string) {
	r := &st.recs[e]
	xr := st.x(r.To)
	tip := fmt.Sprintf("%s->%s %s: sent %s, delivered %s (latency %s)", s.From, s.To, sim.MessageString(s.Msg),
		sim.FormatTime(s.At), sim.FormatTime(r.At), sim.FormatTime(r.At-s.At))
	fmt.Fprintf(b, `<g class="message"><title>%s</title>`, esc(tip))
	var lx, ly float64
	if s.From == r.To {
		// A message to oneself loops out to the right and back.
		fmt.Fprintf(b, `<path d="M%s,%s C%s,%s %s,%s %s,%s" fill="none" stroke="%s" stroke-width="1.3" marker-end="url(#st-arrow)"/>`,
			num(xs), num(ys), num(xs+45), num(ys), num(xs+45), num(ye), num(xs), num(ye), colMessage)
		lx, ly = xs+38, (ys+ye)/2
	} else {
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.3" marker-end="url(#st-arrow)"/>`,
			num(xs), num(ys), num(xr), num(ye), colMessage)
		lx, ly = (xs+xr)/2, (ys+ye)/2-3
	}
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="10" fill="%s" stroke="#ffffff" stroke-width="3" paint-order="stroke">%s</text></g>`+"\n",
		num(lx), num(ly), colMessage, esc(label))
	xe := xr
	if s.From == r.To {
		xe = xs
	}
	fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="2" fill="%s"/>`+"\n", num(xe), num(ye), colMessage)
	st.renderStamp(b, e, xe, ye)
}

func (st *spaceTime) renderDrop(b *bytes.Buffer, s, r *sim.Record, xs, ys, ye float64, label string) {
	// Where the cross goes: at the receiver's line if the receiver was
	// crashed when the message arrived, half way if the network lost it.
	var xd float64
	switch {
	case !st.drawn(r.To):
		xd = xs + 60 // a node that does not exist
	case r.Node == r.To && r.To != s.From:
		dir := 1.0
		if st.x(r.To) < xs {
			dir = -1
		}
		xd = st.x(r.To) - float64(8*dir)
	default:
		xd = (xs + st.x(r.To)) / 2
		if r.To == s.From {
			xd = xs + 30
		}
	}
	if ye-ys < stDropDrop {
		ye = ys + stDropDrop
	}
	tip := fmt.Sprintf("%s-x%s %s: sent %s, dropped %s (%s)", s.From, s.To, sim.MessageString(s.Msg),
		sim.FormatTime(s.At), sim.FormatTime(r.At), r.Text)
	fmt.Fprintf(b, `<g class="drop"><title>%s</title>`, esc(tip))
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.3" stroke-dasharray="5,3"/>`,
		num(xs), num(ys), num(xd), num(ye), colDrop)
	fmt.Fprintf(b, `<path d="M%s,%sL%s,%sM%s,%sL%s,%s" stroke="%s" stroke-width="2.5"/>`,
		num(xd-5), num(ye-5), num(xd+5), num(ye+5), num(xd-5), num(ye+5), num(xd+5), num(ye-5), colDrop)
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="10" fill="%s" stroke="#ffffff" stroke-width="3" paint-order="stroke">%s</text></g>`+"\n",
		num((xs+xd)/2), num((ys+ye)/2-3), colDrop, esc(label))
}

func (st *spaceTime) renderEvents(b *bytes.Buffer) {
	b.WriteString(`<g class="events">` + "\n")
	for _, i := range st.events {
		r := &st.recs[i]
		x, y := st.x(r.Node), st.y(i)
		switch r.Kind {
		case sim.KindTimer:
			fmt.Fprintf(b, `<g class="timer"><title>%s</title><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/></g>`+"\n",
				esc(fmt.Sprintf("%s: timer %s fired at %s", r.Node, sim.MessageString(r.Msg), sim.FormatTime(r.At))),
				num(x-6), num(y), num(x+6), num(y), colTimer)
		case sim.KindCrash:
			tip := fmt.Sprintf("%s crashed at %s", r.Node, sim.FormatTime(r.At))
			if r.Text != "" {
				tip += " (" + r.Text + ")"
			}
			fmt.Fprintf(b, `<g class="crash"><title>%s</title><path d="M%s,%sL%s,%sM%s,%sL%s,%s" stroke="%s" stroke-width="3"/><text x="%s" y="%s" fill="%s" font-weight="bold">crash</text></g>`+"\n",
				esc(tip), num(x-7), num(y-7), num(x+7), num(y+7), num(x-7), num(y+7), num(x+7), num(y-7), colDrop, num(x+10), num(y+4), colDrop)
		case sim.KindRestart:
			fmt.Fprintf(b, `<g class="restart"><title>%s</title><circle cx="%s" cy="%s" r="5" fill="#ffffff" stroke="%s" stroke-width="2"/><text x="%s" y="%s" fill="%s" font-weight="bold">restart</text></g>`+"\n",
				esc(fmt.Sprintf("%s restarted at %s", r.Node, sim.FormatTime(r.At))), num(x), num(y), colRestart, num(x+10), num(y+4), colRestart)
		case sim.KindStart:
			fmt.Fprintf(b, `<g class="start"><title>%s</title><rect x="%s" y="%s" width="6" height="6" fill="%s"/></g>`+"\n",
				esc(fmt.Sprintf("%s started at %s", r.Node, sim.FormatTime(r.At))), num(x-3), num(y-3), colLine)
		case sim.KindLog:
			fmt.Fprintf(b, `<g class="log"><title>%s</title><circle cx="%s" cy="%s" r="3" fill="#ffffff" stroke="%s"/></g>`+"\n",
				esc(fmt.Sprintf("%s %s: %s", sim.FormatTime(r.At), r.Node, r.Text)), num(x), num(y), colTimer)
		}
		st.renderStamp(b, i, x, y)
	}
	b.WriteString("</g>\n")
}

// renderStamp writes the logical timestamp of record i, if asked for.
func (st *spaceTime) renderStamp(b *bytes.Buffer, i int, x, y float64) {
	var s string
	switch {
	case st.lamport != nil && i >= 0 && st.lamport[i] != 0:
		s = strconv.FormatUint(st.lamport[i], 10)
	case st.vector != nil && i >= 0 && st.vector[i] != nil:
		parts := make([]string, len(st.vector[i]))
		for k, v := range st.vector[i] {
			parts[k] = strconv.FormatUint(v, 10)
		}
		s = "[" + strings.Join(parts, ",") + "]"
	default:
		return
	}
	fmt.Fprintf(b, `<text class="stamp" x="%s" y="%s" font-size="9" fill="%s" text-anchor="end">%s</text>`+"\n", num(x-6), num(y-4), colStamp, s)
}

func (st *spaceTime) renderLegend(b *bytes.Buffer, y float64) {
	x := 10.0
	fmt.Fprintf(b, `<g class="legend" font-size="10" fill="#555555">`)
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.3" marker-end="url(#st-arrow)"/><text x="%s" y="%s">message delivered</text>`,
		num(x), num(y), num(x+30), num(y), colMessage, num(x+36), num(y+4))
	x += 150
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.3" stroke-dasharray="5,3"/><path d="M%s,%sL%s,%sM%s,%sL%s,%s" stroke="%s" stroke-width="2.5"/><text x="%s" y="%s">message lost</text>`,
		num(x), num(y), num(x+30), num(y), colDrop, num(x+25), num(y-5), num(x+35), num(y+5), num(x+25), num(y+5), num(x+35), num(y-5), colDrop, num(x+42), num(y+4))
	x += 130
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/><text x="%s" y="%s">timer fired</text>`,
		num(x), num(y), num(x+12), num(y), colTimer, num(x+18), num(y+4))
	x += 90
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="4,4"/><text x="%s" y="%s">node crashed</text>`,
		num(x), num(y), num(x+24), num(y), colDown, num(x+30), num(y+4))
	x += 110
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="20" height="10" fill="%s" fill-opacity="0.45"/><text x="%s" y="%s">fault in force</text>`,
		num(x), num(y-5), colFault, num(x+26), num(y+4))
	b.WriteString("</g>\n")
}

// num formats a coordinate with one decimal, the same on every machine.
func num(x float64) string {
	if x == 0 {
		x = 0 // no "-0.0"
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// esc makes s safe as XML character data or an attribute value, dropping
// the control characters XML 1.0 cannot carry.
func esc(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '<':
			b.WriteString("&lt;")
		case c == '>':
			b.WriteString("&gt;")
		case c == '&':
			b.WriteString("&amp;")
		case c == '"':
			b.WriteString("&quot;")
		case c == '\'':
			b.WriteString("&apos;")
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r', c == 0xFFFE, c == 0xFFFF:
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func joinIDs(ids []sim.NodeID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ",")
}
