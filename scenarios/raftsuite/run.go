package raftsuite

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
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

// RunOne runs one test with s and then checks every cluster it built: no
// safety violation, logs that match.
func RunOne(t T, test Test, s Setup) {
	t.Helper()
	var made []*Cluster
	s.made = &made
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
	r := &gradeRecorder{name: name}
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
		for _, c := range made {
			c.Finish()
		}
	}()
	res := Result{Failed: r.failed, Messages: r.msgs}
	for _, c := range made {
		if c.violation != nil {
			res.Violation = c.violation
			res.Failed = true
			break
		}
	}
	return res
}

// errFatal is what the recorder's Fatalf panics with.
var errFatal = &struct{ string }{"raftsuite: fatal"}

// gradeRecorder is a T that keeps failures instead of reporting them.
type gradeRecorder struct {
	name   string
	failed bool
	msgs   []string
}

func (r *gradeRecorder) Helper()      {}
func (r *gradeRecorder) Name() string { return r.name }
func (r *gradeRecorder) Logf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *gradeRecorder) Errorf(format string, args ...any) {
	r.failed = true
	r.Logf(format, args...)
}
func (r *gradeRecorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(errFatal)
}

// ReplayCommand is the go test command that reruns the test named name (a
// t.Name() such as TestRaft/Figure8/seed=3) in the current package.
func ReplayCommand(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return fmt.Sprintf("go test %s -run '%s' -count=1", packageDir(), strings.Join(parts, "/"))
}

var (
	pkgDirOnce sync.Once
	pkgDir     string
)

// packageDir is the directory of the package under test relative to its
// module root, as go test runs a test binary in its package's directory.
func packageDir() string {
	pkgDirOnce.Do(func() {
		pkgDir = "."
		wd, err := os.Getwd()
		if err != nil {
			return
		}
		for dir := wd; ; {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				if rel, err := filepath.Rel(dir, wd); err == nil && rel != "." {
					pkgDir = "./" + filepath.ToSlash(rel)
				}
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return
			}
			dir = parent
		}
	})
	return pkgDir
}
