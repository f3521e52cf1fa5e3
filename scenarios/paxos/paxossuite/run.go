package paxossuite

import (
	"github.com/dsimlab/dsim/scenarios/suite"
	"testing"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/sim"
)

// Test is one graded test of the suite.
type Test struct {
	Name string
	// Doc says in a sentence what the test checks.
	Doc string
	Run func(t T, s Setup)
}

// DefaultSeeds are the seeds Run uses when given none.
var DefaultSeeds = []uint64{1, 2, 3, 4, 5}

// Run runs every test of Tests against newNode at each seed (default
// DefaultSeeds) as parallel subtests named Test/seed=N.
func Run(t *testing.T, newNode Constructor, seeds ...uint64) {
	t.Helper()
	RunTests(t, Tests, newNode, DefaultConfig(), seeds...)
}

// RunTests is Run with a chosen list of tests and Config.
func RunTests(t *testing.T, tests []Test, newNode Constructor, cfg paxos.Config, seeds ...uint64) {
	t.Helper()
	if len(seeds) == 0 {
		seeds = DefaultSeeds
	}
	suite.EachSeed(t, tests, func(x Test) string { return x.Name }, seeds, func(t *testing.T, test Test, seed uint64) {
		RunOne(t, test, Setup{New: newNode, Seed: seed, Config: cfg})
	})
}

// RunOne runs one test and then reports every cluster's safety violations.
func RunOne(t T, test Test, s Setup) {
	t.Helper()
	var made []*Cluster
	s.made = &made
	if s.Intent == "" {
		s.Intent = test.Doc
	}
	test.Run(t, s)
	for _, c := range made {
		c.Finish()
		st := c.w.Stats()
		t.Logf("%d nodes, %s of virtual time, %d events, %d messages", len(c.ids), sim.FormatTime(c.w.Now()), st.Events, st.Sent)
	}
}

// Result is how one test went under Grade.
type Result struct {
	Failed bool
	// Messages are the failure messages and log lines, in order.
	Messages []string
	// Violations are the safety violations the clusters saw, the first of
	// each kind; each wraps ErrTwoValuesChosen, ErrChosenValueChanged or
	// ErrPromiseBroken. A test can also fail for liveness, with none.
	Violations []error
}

// Grade runs one test under a recorder instead of a *testing.T: a failure
// is returned, not reported. Use it to score a submission, or to show that
// the suite fails a broken Paxos and why.
func Grade(test Test, s Setup) Result {
	var made []*Cluster
	s.made = &made
	if s.Intent == "" {
		s.Intent = test.Doc
	}
	failed, msgs := suite.Record(test.Name, func(t suite.T) { test.Run(t, s) })
	res := Result{Failed: failed, Messages: msgs}
	for _, c := range made {
		res.Violations = append(res.Violations, c.violations...)
	}
	if len(res.Violations) > 0 {
		res.Failed = true
	}
	return res
}

// ReplayCommand is the go test command that reruns the test named name
// (a t.Name() such as TestPaxos/Duel/seed=3) in the current package.
func ReplayCommand(name string) string { return suite.ReplayCommand(name) }
