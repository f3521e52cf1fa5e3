// Package report holds what the failures, edge and consistency scenario
// families share to tell a run's story: aligned tables, durations and
// shares printed to a precision a reader can compare, metric names, and the
// first failed check.
package report

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dsimlab/dsim/sim"
)

// Table renders rows under a header as aligned columns: the first column
// left-aligned, the rest (numbers) right-aligned.
func Table(header []string, rows [][]string) []string {
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

// Since is the virtual time of t (a node clock without skew).
func Since(t time.Time) time.Duration { return t.Sub(sim.Epoch) }

// Dur prints a latency to a precision a reader can compare.
func Dur(d time.Duration) string {
	if d >= time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Microsecond).String()
}

// Itoa prints n.
func Itoa(n int) string { return fmt.Sprint(n) }

// Pct prints part as a whole percentage of whole, or "-" for no whole.
func Pct(part, whole int) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", float64(part)*100/float64(whole))
}

// MetricName turns a variant's name into part of a metric name.
func MetricName(s string) string {
	return strings.NewReplacer("-", "_", "+", "_", " ", "_").Replace(s)
}

// Checks keeps the first check that failed.
type Checks struct{ err error }

// Failf records a failed check, unless one failed before.
func (c *Checks) Failf(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

// Err is the first failed check, or nil.
func (c *Checks) Err() error { return c.err }
