package paxossuite

import (
	"fmt"
	"regexp"
	"strings"
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
	for _, test := range tests {
		t.Run(test.Name, func(t *testing.T) {
			for _, seed := range seeds {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					t.Parallel()
					RunOne(t, test, Setup{New: newNode, Seed: seed, Config: cfg})
				})
			}
		})
	}
}

// RunOne runs one test and then reports every cluster's safety violations.
func RunOne(t T, test Test, s Setup) {
	t.Helper()
	var made []*Cluster
	s.made = &made
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
	r := &recorder{name: test.Name}
	var made []*Cluster
	s.made = &made
	func() {
		defer func() {
			if v := recover(); v != nil && v != errFatal {
				r.failed = true
				r.msgs = append(r.msgs, fmt.Sprintf("panic: %v", v))
			}
		}()
		test.Run(r, s)
	}()
	res := Result{Failed: r.failed, Messages: r.msgs}
	for _, c := range made {
		res.Violations = append(res.Violations, c.violations...)
	}
	if len(res.Violations) > 0 {
		res.Failed = true
	}
	return res
}

var errFatal = &struct{ string }{"paxossuite: fatal"}

type recorder struct {
	name   string
	failed bool
	msgs   []string
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return r.name }
func (r *recorder) Logf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Errorf(format string, args ...any) { r.failed = true; r.Logf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(errFatal)
}

// ReplayCommand is the go test command that reruns the test named name
// (a t.Name() such as TestPaxos/Duel/seed=3).
func ReplayCommand(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return fmt.Sprintf("go test -run '%s' -count=1", strings.Join(parts, "/"))
}
