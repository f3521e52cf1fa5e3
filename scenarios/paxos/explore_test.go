package paxosscenarios

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/scenarios"
)

func TestExploreQuick(t *testing.T) {
	s, _ := scenarios.Lookup("paxos-basic")
	for _, broken := range []string{"", "forgets-promise", "ignores-accepted-values"} {
		m, err := scenarios.ExploreModel(s, scenarios.Options{Seed: 1, Broken: broken})
		if err != nil {
			t.Fatal(err)
		}
		b := s.Explore.BoundsOr(scenarios.DefaultExploreBounds)
		b.MaxStates = 200000
		start := time.Now()
		r, err := explore.Explore(explore.Config{Model: m, Bounds: b})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%q: %d states %d edges depth %d complete=%v in %v: %v", broken, r.States, r.Edges, r.Depth, r.Complete, time.Since(start), r.Violation)
		for _, st := range r.Path {
			t.Log(st)
		}
	}
}
