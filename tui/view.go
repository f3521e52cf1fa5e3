package tui

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

// styles colour the screen; with NO_COLOR they are all plain, and the
// screen still says everything in words (roles are spelled out, the
// selected node has a double border).
type styles struct {
	role   map[string]lipgloss.Style
	title  lipgloss.Style
	dim    lipgloss.Style
	bar    lipgloss.Style
	msg    lipgloss.Style
	header lipgloss.Style
}

func newStyles(color bool) styles {
	plain := lipgloss.NewStyle()
	if !color {
		return styles{role: map[string]lipgloss.Style{}, title: plain, dim: plain, bar: plain, msg: plain, header: plain}
	}
	fg := func(c string) lipgloss.Style { return plain.Foreground(lipgloss.Color(c)) }
	return styles{
		role: map[string]lipgloss.Style{
			"leader":        fg("10").Bold(true),
			"candidate":     fg("11").Bold(true),
			"pre-candidate": fg("3"),
			"follower":      fg("12"),
			"crashed":       fg("9").Bold(true),
			"preparing":     fg("11"), // Paxos proposers at work
			"accepting":     fg("11").Bold(true),
		},
		title:  plain.Bold(true),
		dim:    plain.Faint(true),
		bar:    fg("6"),
		msg:    fg("11"),
		header: plain.Bold(true),
	}
}

func (st styles) roleStyle(role string) lipgloss.Style {
	role, _, _ = strings.Cut(role, " ") // "accepting 3.n1": the phase decides
	if s, ok := st.role[role]; ok {
		return s
	}
	return lipgloss.NewStyle()
}

// cardWidth bounds, and the inner lines of a card: role, three lines,
// timer.
const (
	minCard   = 16
	maxCard   = 26
	cardLines = 5
)

// render draws the whole screen, at most width×height cells.
func (m *Model) render() string {
	w, h := max(m.width, 1), max(m.height, 1)
	cards := m.s.frame().cards
	var top []string
	top = append(top, m.header(w))
	switch {
	case m.help, len(cards) == 0:
	case len(cards)*minCard <= w && h >= 16:
		top = append(top, m.boxes(cards, w)...)
	default:
		top = append(top, m.table(cards, w)...)
	}
	footer := m.footer(w, h)
	rest := h - len(top) - len(footer)
	var body []string
	switch {
	case m.help:
		body = m.helpLines(w)
		m.helpTop = min(m.helpTop, max(0, len(body)-rest))
		body = body[m.helpTop:]
	case rest >= 8:
		mid := max(3, rest*2/5)
		body = append(m.middle(w, mid), m.logLines(w, rest-mid)...)
	case rest >= 2:
		body = m.logLines(w, rest)
	}
	lines := append(top, body...)
	if len(lines) > h-len(footer) {
		lines = lines[:max(h-len(footer), 0)]
	}
	for len(lines) < h-len(footer) {
		lines = append(lines, "")
	}
	lines = append(lines, footer...)
	if len(lines) > h {
		lines = lines[len(lines)-h:]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) header(w int) string {
	s := m.s
	state := m.p().T("paused")
	if m.running {
		state = m.p().T("running %d/s", speeds[m.speed])
	}
	if s.Done() {
		state = m.p().T("end of run")
	}
	text := m.p().T("%s seed %d │ event %d │ %s of %s │ %s", s.Scenario().Name, s.Seed(), s.Events(),
		sim.FormatTime(s.Now()), shortDur(s.End()), state)
	if ansi.StringWidth(text)+9 <= w {
		text = "dsim tui " + text
	}
	return m.st.header.Render(text)
}

// footer is the bottom line: the prompt, the latest message, or the keys.
// A long message (the saved schedule's replay command) takes up to three
// lines, so it is shown whole on an 80-column screen.
func (m *Model) footer(w, h int) []string {
	if m.prompt != nil {
		return []string{m.st.msg.Render(m.p().T("go to time: %s▏ (enter goes, esc cancels)", *m.prompt))}
	}
	if m.msg != "" {
		if h < 16 {
			return []string{m.st.msg.Render(m.msg)} // no room: cut at the edge
		}
		var out []string
		for _, l := range breakLine(m.msg, w) {
			out = append(out, m.st.msg.Render(l))
		}
		return out
	}
	return []string{m.st.dim.Render(m.p().T("spc step b back r run l leader ←→ node c/x crash i/h cut d drop w save ? help q"))}
}

// breakLine cuts s into at most three lines of width cells, at spaces
// where it can, inside a word (a long path) where it must; what a fourth
// line would hold is cut off with an ellipsis.
func breakLine(s string, width int) []string {
	if width < 2 || ansi.StringWidth(s) <= width {
		return []string{s}
	}
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && ansi.StringWidth(line)+1+ansi.StringWidth(word) <= width {
			line += " " + word
			continue
		}
		if line != "" {
			out = append(out, line)
		}
		for ansi.StringWidth(word) > width {
			out = append(out, ansi.Truncate(word, width, ""))
			word = ansi.TruncateLeft(word, width, "")
		}
		line = word
	}
	out = append(out, line)
	if len(out) > 3 {
		out = out[:3]
		out[2] = ansi.Truncate(out[2], width-1, "") + "…"
	}
	return out
}

// boxes draws a row of cards, as wide as the screen allows.
func (m *Model) boxes(cards []card, w int) []string {
	cw := min(maxCard, w/len(cards))
	rows := make([]string, cardLines+2)
	for i, c := range cards {
		box := m.box(c, cw, i == m.selected)
		for j := range rows {
			rows[j] += box[j]
		}
	}
	return rows
}

// box draws one card: a border with the node's name, the role in colour,
// its lines, and the timer bar.
func (m *Model) box(c card, cw int, selected bool) []string {
	iw := cw - 2
	tl, tr, bl, br, hz, vt := "╭", "╮", "╰", "╯", "─", "│"
	if selected {
		tl, tr, bl, br, hz, vt = "╔", "╗", "╚", "╝", "═", "║"
	}
	name := " " + string(c.id) + " "
	if ansi.StringWidth(name) > iw-1 {
		name = ansi.Truncate(name, iw-1, "")
	}
	out := []string{tl + hz + name + strings.Repeat(hz, max(0, iw-1-ansi.StringWidth(name))) + tr}
	inner := m.cardBody(c, iw)
	for _, l := range inner {
		out = append(out, vt+pad(l, iw)+vt)
	}
	out = append(out, bl+strings.Repeat(hz, iw)+br)
	return out
}

// cardBody is a card's inner lines, each at most iw wide: exactly
// cardLines of them.
func (m *Model) cardBody(c card, iw int) []string {
	role := c.role
	if role == "crashed" {
		role = "CRASHED"
	}
	lines := []string{m.st.roleStyle(c.role).Render(ansi.Truncate(role, iw, "…"))}
	for i, l := range c.lines {
		if len(lines) == cardLines-1 {
			break
		}
		if i == c.logLine {
			l = logFit(c.logTail, iw)
		}
		lines = append(lines, ansi.Truncate(l, iw, "…"))
	}
	for len(lines) < cardLines-1 {
		lines = append(lines, "")
	}
	lines = append(lines, m.timerBar(c.timer, iw))
	return lines
}

// logFit shows the newest log entries that fit in width, after "log ".
func logFit(tail []string, width int) string {
	if len(tail) == 0 {
		return "log -"
	}
	shown := ""
	for i := len(tail) - 1; i >= 0; i-- {
		next := tail[i]
		if shown != "" {
			next += " " + shown
		}
		prefix := "log "
		if i > 0 {
			prefix = "log …"
		}
		if ansi.StringWidth(prefix+next) > width {
			if shown == "" {
				return ansi.Truncate("log …"+tail[len(tail)-1], width, "")
			}
			return "log …" + shown
		}
		shown = next
	}
	return "log " + shown
}

// timerBar draws how much of a timer is left: full when just set, empty
// when about to fire.
func (m *Model) timerBar(t *countdown, width int) string {
	if t == nil {
		return m.st.dim.Render(ansi.Truncate("no timer", width, ""))
	}
	label := " " + shortDur(t.left)
	bw := width - ansi.StringWidth(label)
	if bw < 3 {
		return ansi.Truncate(strings.TrimSpace(label), width, "")
	}
	filled := bw
	if t.total > 0 {
		filled = int(int64(t.left) * int64(bw) / int64(t.total))
	}
	filled = min(max(filled, 0), bw)
	return m.st.bar.Render(strings.Repeat("█", filled)) + m.st.dim.Render(strings.Repeat("░", bw-filled)) + label
}

// table draws one line per node, for screens too narrow or short for boxes.
func (m *Model) table(cards []card, w int) []string {
	// Columns line up: the node names padded to the longest (up to 16
	// cells); each field goes in the column of its first word ("busy",
	// "term", "breaker"), padded to that column's widest value.
	idWidth := 4
	var slots []string // column keys, in order of first appearance
	slot := map[string]int{}
	rows := make([]map[int]string, len(cards))
	var widths []int
	for i, c := range cards {
		idWidth = max(idWidth, min(16, ansi.StringWidth(string(c.id))))
		rows[i] = map[int]string{}
		for k, p := range c.lines {
			if p == "" || k == c.logLine {
				continue
			}
			key, _, _ := strings.Cut(p, " ")
			j, ok := slot[key]
			if !ok {
				j = len(slots)
				slot[key] = j
				slots = append(slots, key)
				widths = append(widths, 0)
			}
			rows[i][j] = p
			widths[j] = max(widths[j], ansi.StringWidth(p))
		}
	}
	// The lesson's columns first (a breaker, suspects), then the columns
	// most rows have, so what matters is not cut off at the right edge.
	order := make([]int, len(slots))
	count := make([]int, len(slots))
	for j := range order {
		order[j] = j
		for i := range rows {
			if _, ok := rows[i][j]; ok {
				count[j]++
			}
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if la, lb := lessonKey(slots[a]), lessonKey(slots[b]); la != lb {
			if la {
				return -1
			}
			return 1
		}
		return count[b] - count[a]
	})
	var out []string
	for i, c := range cards {
		mark := "  "
		if i == m.selected {
			mark = "▶ "
		}
		role := c.role
		if role == "crashed" {
			role = "CRASHED"
		}
		line := mark + pad(ansi.Truncate(string(c.id), idWidth, "…"), idWidth) + " " + m.st.roleStyle(c.role).Render(pad(ansi.Truncate(role, 14, "…"), 14)) + " " + pad(m.timerBar(c.timer, 12), 12)
		last := -1
		for n, j := range order {
			if _, ok := rows[i][j]; ok {
				last = n
			}
		}
		aligned := line
		for n := 0; n <= last || (c.logLine >= 0 && n < len(order)); n++ {
			j := order[n]
			f := rows[i][j]
			if n < last || c.logLine >= 0 {
				f = pad(f, widths[j])
			}
			aligned += "  " + f
		}
		// Aligned columns when they fit; when they would push a row's
		// fields past the edge, the row's own fields, lesson first, packed.
		if ansi.StringWidth(strings.TrimRight(aligned, " ")) <= w || c.logLine >= 0 {
			line = aligned
		} else {
			for _, j := range order {
				if f, ok := rows[i][j]; ok {
					line += "  " + f
				}
			}
		}
		if c.logLine >= 0 { // last: the part most worth cutting short
			line += "  " + logFit(c.logTail, max(12, w-ansi.StringWidth(line)-2))
		}
		out = append(out, line)
	}
	return out
}

// middle draws the messages in flight beside the network and the clock.
func (m *Model) middle(w, rows int) []string {
	rw := min(40, w*9/20)
	lw := w - rw - 1
	left := m.inFlight(lw, rows)
	right := m.network(rw, rows)
	out := make([]string, rows)
	for i := range out {
		out[i] = pad(get(left, i), lw) + " " + get(right, i)
	}
	return out
}

func (m *Model) inFlight(w, rows int) []string {
	now := m.s.Now()
	msgs := m.s.frame().inFlight
	out := []string{m.rule(m.p().T("in flight (%d)", len(msgs)), w)}
	for i, p := range msgs {
		if len(out) == rows-1 && len(msgs)-i > 1 {
			out = append(out, m.st.dim.Render(m.p().T("  … %d more", len(msgs)-i)))
			break
		}
		if len(out) == rows {
			break
		}
		line := fmt.Sprintf("%7s %s→%s %s", shortDur(p.At-now), p.From, p.To, flightString(p.Msg))
		out = append(out, ansi.Truncate(line, w, "…"))
	}
	return out
}

func (m *Model) network(w, rows int) []string {
	s := m.s
	out := []string{m.rule(m.p().T("network"), w)}
	f := s.frame()
	faults := f.faults
	switch {
	case !f.hasNet:
		faults = []string{m.p().T("no simulated network")}
	case len(faults) == 0:
		faults = []string{m.p().T("all links up")}
	}
	for _, f := range faults {
		out = append(out, wrap(f, w)...)
	}
	st := f.stats
	out = append(out,
		ansi.Truncate(m.p().T("sent %d lost %d", st.Sent, st.Dropped), w, "…"),
		ansi.Truncate(m.p().T("faults by key: %d", len(s.schedule)), w, "…"))
	if len(out) > rows {
		out = out[:rows]
	}
	return out
}

// logLines draws the latest trace lines, newest last.
func (m *Model) logLines(w, rows int) []string {
	out := []string{m.rule(m.p().T("log"), w)}
	for _, l := range m.s.Log(rows - 1) {
		out = append(out, ansi.Truncate(l, w, "…"))
	}
	return out
}

func (m *Model) rule(title string, w int) string {
	t := "─ " + title + " "
	return m.st.title.Render(t) + m.st.dim.Render(strings.Repeat("─", max(0, w-ansi.StringWidth(t))))
}

func (m *Model) helpLines(w int) []string {
	out := []string{m.rule(m.p().T("keys"), w)}
	for _, k := range keyHelp {
		out = append(out, fmt.Sprintf("  %-12s %s", k[0], m.p().S(k[1])))
	}
	file := m.s.ScheduleFile(m.opts.SaveDir)
	out = append(out, "", m.p().T("  w writes %s in %s; replay it with", filepath.Base(file), filepath.Dir(file)))
	for _, line := range wrap(m.s.ReplayCommand(file), w-2) {
		out = append(out, "  "+line) // shown whole, however narrow the screen
	}
	// Then the scenario's own explanation, as `dsim explain` prints it.
	out = append(out, "", m.rule(m.s.Scenario().Name, w))
	var b strings.Builder
	_ = scenarios.Explain(&b, m.s.Scenario(), m.opts.Printer)
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		if line == "" {
			out = append(out, "")
			continue
		}
		out = append(out, wrap(line, w)...)
	}
	return out
}

// shortDur prints a duration in at most 7 characters, in integer
// arithmetic: 850µs, 4.2ms, 153ms, 1.5s.
func shortDur(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + shortDur(-d)
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d/time.Microsecond)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%d.%dms", d/time.Millisecond, d%time.Millisecond/(100*time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%d.%ds", d/time.Second, d%time.Second/(100*time.Millisecond))
}

// pad fills s with spaces to width cells (s is not longer).
func pad(s string, width int) string {
	if n := ansi.StringWidth(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

func get(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

// wrap breaks s at spaces into lines of at most width cells, indenting the
// continuation lines; a word longer than a line is cut.
func wrap(s string, width int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= width:
			line += " " + word
		default:
			out = append(out, ansi.Truncate(line, width, "…"))
			line = "  " + word
		}
	}
	return append(out, ansi.Truncate(line, width, "…"))
}

// flightString is a message as the in-flight pane shows it: a vote's
// verdict comes first, so a narrow screen never cuts it off, and a refused
// vote reads differently from a granted one.
func flightString(msg sim.Message) string {
	if r, ok := msg.(raft.RequestVoteReply); ok {
		kind := "VoteReply"
		if r.PreVote {
			kind = "PreVoteReply"
		}
		verdict := "granted"
		if !r.VoteGranted {
			verdict = "REFUSED"
		}
		return fmt.Sprintf("%s %s term %d", kind, verdict, r.Term)
	}
	return sim.MessageString(msg)
}
