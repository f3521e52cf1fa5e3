package resilience

import "slices"

// Priority ranks requests for load shedding: 0 is the most important, and
// larger numbers are shed first.
type Priority int

// A conventional set of priorities, after the criticality classes of
// Google's SRE book (ch. 21, "Handling Overload").
const (
	Critical  Priority = iota // user-facing and cannot be retried later
	Default                   // ordinary user traffic
	Sheddable                 // batch, prefetch, retries: can wait or be dropped
)

// Shedder admits requests by priority as load rises. Each priority has a
// limit; a request is admitted only while the load (whatever the caller
// measures: requests in flight, queue length, a bulkhead's InFlight plus
// QueueLen) is below its priority's limit. Limits do not increase with
// priority number, so as load climbs the least important traffic is
// turned away first and critical traffic last — an overloaded server keeps
// doing its most valuable work instead of doing everything slowly and
// timing out on all of it.
type Shedder struct {
	// limits[p] is the load at which priority p is shed;
	// limits[0] >= limits[1] >= ... (lower priorities shed first).
	limits []int
	// admitted[p] and shed[p] count decisions per priority.
	admitted []uint64
	shed     []uint64
}

// NewShedder returns a Shedder with one limit per priority, most important
// first, e.g. NewShedder(100, 80, 50): Critical until load 100, Default
// until 80, Sheddable until 50. The limits must not increase.
func NewShedder(limits ...int) (*Shedder, error) {
	if len(limits) == 0 {
		return nil, configError("shedder needs at least one limit")
	}
	for p, l := range limits {
		if l < 0 {
			return nil, configError("shedder limit for priority %d is %d, want >= 0", p, l)
		}
		if p > 0 && l > limits[p-1] {
			return nil, configError("shedder limit for priority %d (%d) is above the limit for priority %d (%d): lower priorities must shed first", p, l, p-1, limits[p-1])
		}
	}
	return &Shedder{
		limits:   slices.Clone(limits),
		admitted: make([]uint64, len(limits)),
		shed:     make([]uint64, len(limits)),
	}, nil
}

// Admit decides whether a request of priority p may proceed at the current
// load. A priority outside the configured range is treated as the nearest
// one (below 0 as 0, past the last as the last).
func (s *Shedder) Admit(p Priority, load int) bool {
	i := min(max(int(p), 0), len(s.limits)-1)
	if load < s.limits[i] {
		s.admitted[i]++
		return true
	}
	s.shed[i]++
	return false
}

// ShedderStats are the counts for one priority.
type ShedderStats struct {
	Admitted, Shed uint64
}

// Stats returns the counts for priority p (clamped as in Admit).
func (s *Shedder) Stats(p Priority) ShedderStats {
	i := min(max(int(p), 0), len(s.limits)-1)
	return ShedderStats{Admitted: s.admitted[i], Shed: s.shed[i]}
}
