package paxos

import (
	"testing"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/scenarios"
)

// BenchmarkExplorePaxosBasic explores the correct paxos-basic at two
// deviations (every state within the bounds) and reports distinct states
// per second of wall time and per second of CPU.
func BenchmarkExplorePaxosBasic(b *testing.B) {
	s, err := scenarios.Lookup("paxos-basic")
	if err != nil {
		b.Fatal(err)
	}
	m, err := scenarios.ExploreModel(s, scenarios.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	bounds := s.Explore.BoundsOr(scenarios.DefaultExploreBounds)
	bounds.Deviations = 2
	states := 0
	for b.Loop() {
		r, err := explore.Explore(explore.Config{Model: m, Bounds: bounds, Workers: 1})
		if err != nil || r.Violation != nil || !r.Complete {
			b.Fatalf("%v %v complete %v", err, r.Violation, r.Complete)
		}
		states += r.States
	}
	b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
}
