package consistency

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dsimlab/dsim/sim"
)

// table renders rows under a header as aligned columns: the first column
// left-aligned, the rest (numbers) right-aligned.
func table(header []string, rows [][]string) []string {
	width := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(r []string) string {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			if i == 0 {
				fmt.Fprintf(&b, "%-*s", width[i], c)
			} else {
				fmt.Fprintf(&b, "%*s", width[i], c)
			}
		}
		return strings.TrimRight(b.String(), " ")
	}
	out := []string{line(header)}
	for _, r := range rows {
		out = append(out, line(r))
	}
	return out
}

// since is the virtual time of t (a node clock without skew).
func since(t time.Time) time.Duration { return t.Sub(sim.Epoch) }

// dur prints a latency to a precision a reader can compare.
func dur(d time.Duration) string {
	if d >= time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Microsecond).String()
}

func itoa(n int) string { return fmt.Sprint(n) }

func pct(part, whole int) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", float64(part)*100/float64(whole))
}

// metricName turns a variant's name into part of a metric name.
func metricName(s string) string {
	return strings.NewReplacer("-", "_", "+", "_", " ", "_").Replace(s)
}

// checks keeps the first check that failed.
type checks struct{ err error }

func (c *checks) failf(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}
