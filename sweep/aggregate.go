package sweep

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Stats aggregates one metric over the runs of a sweep. Every statistic is
// a value some run produced (nearest rank), never an interpolation.
type Stats struct {
	Name, Unit string
	// Runs is how many runs reported the metric. A run whose check failed
	// early may not have.
	Runs                  int
	Min, Median, P99, Max float64
	// Values are the metric's values in seed order, for plots.
	Values []float64
}

// Aggregate collects each metric the runs reported, in the order the
// metrics first appear, and computes its Stats. Runs that failed count too
// if they reported the metric: a slow election that broke a check is part
// of the distribution. A metric reported with two different units is
// aggregated as two metrics.
func Aggregate(runs []SeedResult) []Stats {
	type key struct{ name, unit string }
	index := map[key]int{}
	var out []Stats
	for _, r := range runs {
		for _, m := range r.Result.Metrics {
			k := key{m.Name, m.Unit}
			i, ok := index[k]
			if !ok {
				i = len(out)
				index[k] = i
				out = append(out, Stats{Name: m.Name, Unit: m.Unit})
			}
			out[i].Values = append(out[i].Values, m.Value)
		}
	}
	for i := range out {
		out[i] = Stat(out[i].Name, out[i].Unit, out[i].Values)
	}
	return out
}

// Stat computes the Stats of one metric's values. With no values, every
// statistic is NaN.
func Stat(name, unit string, values []float64) Stats {
	st := Stats{Name: name, Unit: unit, Runs: len(values), Values: values}
	if len(values) == 0 {
		nan := math.NaN()
		st.Min, st.Median, st.P99, st.Max = nan, nan, nan, nan
		return st
	}
	s := slices.Clone(values)
	slices.Sort(s)
	st.Min, st.Max = s[0], s[len(s)-1]
	st.Median = nearestRank(s, 50)
	st.P99 = nearestRank(s, 99)
	return st
}

// nearestRank is the smallest value of sorted that at least p percent of
// the values are at or below. For an even count the median is the lower of
// the two middle values.
func nearestRank(sorted []float64, p int) float64 {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n), in integers
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// WriteTable writes the aggregates as an aligned table, one metric a row:
//
//	metric          runs      min   median      p99      max
//	election_time   1000  154.1ms  201.6ms  370.3ms  401.2ms
//	new_term        1000   4 term   4 term   5 term   6 term
//
// Seconds are shown in milliseconds when every value is below ten seconds,
// as dsim's logs do; whole numbers without decimals.
func WriteTable(w io.Writer, stats []Stats) error {
	rows := [][]string{{"metric", "runs", "min", "median", "p99", "max"}}
	for _, st := range stats {
		f := formatterFor(st)
		rows = append(rows, []string{st.Name, strconv.Itoa(st.Runs), f(st.Min), f(st.Median), f(st.P99), f(st.Max)})
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		// The name reads left to right; numbers line up on their last digit.
		fmt.Fprintf(&b, "%-*s", widths[0], row[0])
		for i := 1; i < len(row); i++ {
			fmt.Fprintf(&b, "  %*s", widths[i], row[i])
		}
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("sweep: writing the table: %w", err)
	}
	return nil
}

// formatterFor picks how a metric's values print: in milliseconds for
// short spans in seconds, without decimals for counts, with the unit.
func formatterFor(st Stats) func(float64) string {
	if st.Runs == 0 {
		return func(float64) string { return "-" }
	}
	if st.Unit == "s" && math.Abs(st.Min) < 10 && math.Abs(st.Max) < 10 {
		return func(v float64) string {
			return (time.Duration(math.Round(float64(v*1e9))) / time.Microsecond * time.Microsecond).String()
		}
	}
	whole := true
	for _, v := range st.Values {
		if v != math.Trunc(v) {
			whole = false
			break
		}
	}
	unit := ""
	if st.Unit != "" {
		unit = " " + st.Unit
	}
	return func(v float64) string {
		if whole {
			return strconv.FormatFloat(v, 'f', 0, 64) + unit
		}
		return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 3, 64), "0"), ".") + unit
	}
}
