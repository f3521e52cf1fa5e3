package service

import (
	"slices"
	"time"
)

// Percentile is the p-th percentile (0 < p <= 100) of ds by the nearest-rank
// method: the smallest value that at least p% of the values do not exceed.
// It is always one of the values (no interpolation, so no floating point),
// and 0 for no values. ds is not modified.
func Percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	p = min(max(p, 1), 100)
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100 // ceil(p/100 * n), in integers
	return s[max(rank, 1)-1]
}

// Summary is what an operator watches for one set of requests.
type Summary struct {
	Requests int
	// ByOutcome counts the requests per outcome.
	ByOutcome [numOutcomes]int
	// P50, P99 and Max are latencies of the successful requests.
	P50, P99, Max time.Duration
	// P99All is the p99 over every request, failures included: a timeout
	// counts as the time the caller waited for it.
	P99All time.Duration
}

// OK is the number of successful requests.
func (s Summary) OK() int { return s.ByOutcome[OK] }

// Errors is the number of failed requests.
func (s Summary) Errors() int { return s.Requests - s.ByOutcome[OK] }

// ErrorPercent is the share of failed requests, in percent.
func (s Summary) ErrorPercent() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Errors()) * 100 / float64(s.Requests)
}

// Count is the number of requests with outcome o.
func (s Summary) Count(o Outcome) int {
	if o < 0 || o >= numOutcomes {
		return 0
	}
	return s.ByOutcome[o]
}

// Summarize computes the Summary of records.
func Summarize(records []Record) Summary {
	var s Summary
	s.Requests = len(records)
	ok := make([]time.Duration, 0, len(records))
	all := make([]time.Duration, 0, len(records))
	for _, r := range records {
		if r.Outcome >= 0 && r.Outcome < numOutcomes {
			s.ByOutcome[r.Outcome]++
		}
		all = append(all, r.Latency)
		if r.Outcome == OK {
			ok = append(ok, r.Latency)
		}
	}
	s.P50, s.P99 = Percentile(ok, 50), Percentile(ok, 99)
	s.Max = Percentile(ok, 100)
	s.P99All = Percentile(all, 99)
	return s
}

// Between returns the records sent in [from, to).
func Between(records []Record, from, to time.Time) []Record {
	var out []Record
	for _, r := range records {
		if !r.Sent.Before(from) && r.Sent.Before(to) {
			out = append(out, r)
		}
	}
	return out
}
