package raftsuite

import (
	"github.com/dsimlab/dsim/scenarios/suite"
	"testing"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/sim"
)

// Test is one graded test of the suite.
type Test struct {
	Name string
	// Doc says in a sentence what the test checks.
	Doc string
	// Run builds its clusters with s.MakeCluster and fails t if the
	// implementation misbehaves.
	Run func(t T, s Setup)
}

// DefaultSeeds are the seeds Run uses when given none.
var DefaultSeeds = []uint64{1, 2, 3, 4, 5}

// Run runs every test of Tests against newNode, once per seed (default
// DefaultSeeds), as parallel subtests named Test/seed=N, with DefaultConfig.
// A failure names the seed and the go test command that replays it.
func Run(t *testing.T, newNode Constructor, seeds ...uint64) {
	t.Helper()
	RunTests(t, Tests, newNode, DefaultConfig(), seeds...)
}

// RunTests is Run with a chosen list of tests and base Config.
func RunTests(t *testing.T, tests []Test, newNode Constructor, cfg raft.Config, seeds ...uint64) {
	t.Helper()
	if len(seeds) == 0 {
		seeds = DefaultSeeds
	}
	suite.EachSeed(t, tests, func(x Test) string { return x.Name }, seeds, func(t *testing.T, test Test, seed uint64) {
		RunOne(t, test, Setup{New: newNode, Seed: seed, Config: cfg})
	})
}

// RunOne runs one test with s and then checks every cluster it built: no
// safety violation, logs that match.
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
		t.Logf("%d nodes, %s of virtual time, %d events, %d messages, %d crashes",
			c.N(), sim.FormatTime(c.w.Now()), st.Events, st.Sent, st.Crashes)
	}
}

// Result is how one test went under Grade.
type Result struct {
	Failed bool
	// Messages are the test's failure messages and log lines, in order.
	Messages []string
	// Violation is the first safety violation a cluster saw (it wraps one
	// of the check.Err... or ErrApplyOrder/ErrBadSnapshot), nil if none: a
	// test can also fail for liveness (no leader, no agreement).
	Violation error
}

// Grade runs one test under a recorder instead of a *testing.T: a failure is
// returned, not reported. Use it to score a submission test by test, or to
// show that the suite fails a broken Raft and why.
func Grade(test Test, s Setup, name string) Result {
	var made []*Cluster
	s.made = &made
	if s.Intent == "" {
		s.Intent = test.Doc
	}
	failed, msgs := suite.Record(name, func(t suite.T) {
		test.Run(t, s)
		for _, c := range made {
			c.Finish()
		}
	})
	res := Result{Failed: failed, Messages: msgs}
	for _, c := range made {
		if c.violation != nil {
			res.Violation = c.violation
			res.Failed = true
			break
		}
	}
	return res
}

// ReplayCommand is the go test command that reruns the test named name (a
// t.Name() such as TestRaft/Figure8/seed=3) in the current package.
func ReplayCommand(name string) string { return suite.ReplayCommand(name) }
