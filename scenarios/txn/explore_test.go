package txn

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/scenarios"
)

// The explorer finds 2PC's blocking: every participant voted yes and the
// coordinator crashed before it could decide. dsim run on the
// counterexample shows the same block.
func TestExplorerFindsTwoPhaseCommitBlocking(t *testing.T) {
	s, err := scenarios.Lookup("2pc")
	if err != nil {
		t.Fatal(err)
	}
	o := scenarios.Options{Seed: 1}
	m, err := scenarios.ExploreModel(s, o)
	if err != nil {
		t.Fatal(err)
	}
	r, err := explore.Explore(explore.Config{Model: m, Bounds: s.Explore.BoundsOr(scenarios.DefaultExploreBounds)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Violation == nil || !strings.Contains(r.Violation.Error(), "blocked") {
		t.Fatalf("violation %v, want a blocked transaction", r.Violation)
	}
	last := r.Path[len(r.Path)-1]
	if last.Kind != explore.Crash || last.Node != "coord" {
		t.Errorf("the path ends with %v; want the coordinator's crash", last)
	}
	t.Logf("found in %d states: %v", r.States, r.Violation)
	var file bytes.Buffer
	if err := scenarios.Counterexample(&file, s, o, r); err != nil {
		t.Fatal(err)
	}
	rf, err := scenarios.ParseRunFile(&file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Execute(s, scenarios.Options{Seed: 1, Schedule: rf.Schedule})
	if err != nil {
		t.Fatal(err)
	}
	// Blocking is allowed in 2PC: the replay does not fail, it shows it.
	if res.Err != nil {
		t.Fatalf("the replay failed: %v", res.Err)
	}
	if !slices.Contains(res.Summary, "BLOCKED "+r.Violation.Error()) {
		t.Fatalf("the replay's summary does not show the block %q:\n%s", r.Violation, strings.Join(res.Summary, "\n"))
	}
}
