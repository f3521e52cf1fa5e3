package paxos

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/scenarios"
)

// exploreScenario explores name with the scenario's bounds, deviations
// overridden when devs > 0.
func exploreScenario(t *testing.T, name, broken string, devs int) (scenarios.Scenario, scenarios.Options, explore.Result) {
	t.Helper()
	s, err := scenarios.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	o := scenarios.Options{Seed: 1, Broken: broken}
	m, err := scenarios.ExploreModel(s, o)
	if err != nil {
		t.Fatal(err)
	}
	b := s.Explore.BoundsOr(scenarios.DefaultExploreBounds)
	if devs > 0 {
		b.Deviations = devs
	}
	strategy := explore.BFS
	if s.Explore.DFS {
		strategy = explore.DFS
	}
	r, err := explore.Explore(explore.Config{Model: m, Bounds: b, Strategy: strategy})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s %s: %d states, %d transitions, depth %d, complete %v, %v", name, broken, r.States, r.Edges, r.Depth, r.Complete, r.Elapsed)
	return s, o, r
}

// replay writes the counterexample as dsim explore does, reads it back as
// dsim run does, and runs the scenario on it.
func replay(t *testing.T, s scenarios.Scenario, o scenarios.Options, r explore.Result) scenarios.Result {
	t.Helper()
	var file bytes.Buffer
	if err := scenarios.Counterexample(&file, s, o, r); err != nil {
		t.Fatal(err)
	}
	rf, err := scenarios.ParseRunFile(&file)
	if err != nil {
		t.Fatalf("the counterexample does not parse: %v\n%s", err, file.String())
	}
	res, err := scenarios.Execute(s, scenarios.Options{Seed: o.Seed, Schedule: rf.Schedule, Knobs: rf.Knobs, Broken: rf.Broken})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestExplorerFindsNothingWrongWithPaxos(t *testing.T) {
	_, _, r := exploreScenario(t, "paxos-basic", "", 2)
	if r.Violation != nil {
		t.Fatalf("correct Paxos: %v\n%v", r.Violation, r.Path)
	}
	if !r.Complete || r.States < 1000 {
		t.Errorf("searched %d states (complete %v); want every state within the bounds, at least 1,000", r.States, r.Complete)
	}
}

// Each broken Paxos is caught by the explorer, and dsim run, given the
// counterexample, fails with the very violation the explorer saw.
func TestExplorerCatchesBrokenPaxosAndTheReplayFailsTheSameWay(t *testing.T) {
	for _, tc := range []struct {
		broken string
		devs   int
		want   string
	}{
		{"forgets-promise", 0, "promise"}, // it goes down after a restart, or is broken by an accept
		{"ignores-accepted-values", 2, "two different values chosen"},
	} {
		t.Run(tc.broken, func(t *testing.T) {
			s, o, r := exploreScenario(t, "paxos-basic", tc.broken, tc.devs)
			if r.Violation == nil || !strings.Contains(r.Violation.Error(), tc.want) {
				t.Fatalf("violation %v, want one saying %q", r.Violation, tc.want)
			}
			res := replay(t, s, o, r)
			if res.Err == nil || !strings.Contains(res.Err.Error(), r.Violation.Error()) {
				t.Fatalf("the replay ended with %v, want the explorer's violation %q", res.Err, r.Violation)
			}
		})
	}
}

// Without backoff, two proposers can pre-empt each other for ever: the
// explorer finds the cycle.
func TestExplorerFindsTheDuelLivelock(t *testing.T) {
	_, _, r := exploreScenario(t, "paxos-duel", "", 0)
	if !errors.Is(r.Violation, explore.ErrLivelock) {
		t.Fatalf("violation %v, want a livelock", r.Violation)
	}
	if r.Cycle <= 0 || r.Cycle >= len(r.Path) {
		t.Fatalf("the cycle starts at step %d of %d", r.Cycle, len(r.Path))
	}
}

// Keeping materialised states between levels (Config.Cache), and how many
// workers expand them, change the speed, never what the search sees.
func TestExplorerCacheAndWorkersDoNotChangeTheResult(t *testing.T) {
	s, err := scenarios.Lookup("paxos-basic")
	if err != nil {
		t.Fatal(err)
	}
	m, err := scenarios.ExploreModel(s, scenarios.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := s.Explore.BoundsOr(scenarios.DefaultExploreBounds)
	b.Deviations = 1
	var first explore.Result
	for i, c := range []struct{ cache, workers int }{{-1, 1}, {0, 1}, {7, 2}, {0, 2}} {
		r, err := explore.Explore(explore.Config{Model: m, Bounds: b, Cache: c.cache, Workers: c.workers})
		if err != nil {
			t.Fatal(err)
		}
		r.Elapsed = 0
		if i == 0 {
			first = r
			t.Logf("%d states, %d transitions", r.States, r.Edges)
			continue
		}
		if r.States != first.States || r.Edges != first.Edges || r.Depth != first.Depth || r.Complete != first.Complete || r.Violation != nil {
			t.Errorf("cache %d, %d workers: %+v; without a cache, one worker: %+v", c.cache, c.workers, r.Stats, first.Stats)
		}
	}
}
