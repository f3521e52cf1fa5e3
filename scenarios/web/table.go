package web

import (
	"fmt"
	"github.com/dsimlab/dsim/scenarios/internal/report"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// table renders rows under a header as aligned columns (report.Table:
// the first column left-aligned, the numbers right-aligned).
func table(header []string, rows [][]string) []string { return report.Table(header, rows) }

// at is a virtual instant as a wall-clock time on a node without skew.
func at(d time.Duration) time.Time { return sim.Epoch.Add(d) }

// dur prints a latency to a precision a reader can compare: 12.3ms, 1.234s.
func dur(d time.Duration) string {
	if d >= time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Microsecond).String()
}

func pct(part, whole int) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", float64(part)*100/float64(whole))
}

func itoa(n int) string { return fmt.Sprint(n) }

// firstErr keeps the first check that failed.
type firstErr struct{ err error }

func (f *firstErr) failf(format string, args ...any) {
	if f.err == nil {
		f.err = fmt.Errorf(format, args...)
	}
}
