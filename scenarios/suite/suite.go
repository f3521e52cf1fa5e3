// Package suite holds what dsim's graded suites (scenarios/raftsuite,
// scenarios/paxos/paxossuite, multipaxossuite, quorumsuite, twopcsuite,
// broadcastsuite) share: the small T interface their tests are written
// against, which *testing.T satisfies; Record, which runs a test under a
// recorder so a grader (or a test of the suite itself) gets the failure
// back instead of failing; the go test command that replays a failure;
// Flight, the flight recorder whose per-node tail a failure shows; and
// Grade, which grades a homework: parts and scores, one report per kind of
// failure, artifacts, Gradescope results.json and JUnit XML, and Refuse,
// which turns away dsim's own implementations handed in as homework.
package suite

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
)

// T is the part of *testing.T a graded test uses.
type T interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Record runs f with a T that keeps failures instead of reporting them.
// Fatalf stops f, as on a *testing.T; a panic in f is recorded as a
// failure. It returns whether f failed and every message it wrote, in order.
func Record(name string, f func(t T)) (failed bool, messages []string) {
	r := &recorder{name: name}
	func() {
		defer func() {
			if v := recover(); v != nil && v != errFatal {
				r.failed = true
				r.msgs = append(r.msgs, fmt.Sprintf("panic: %v\n%s", v, panicSite(debug.Stack())))
			}
		}()
		f(r)
	}()
	return r.failed, r.msgs
}

// errFatal is what the recorder's Fatalf panics with, and Record recovers.
var errFatal = &struct{ string }{"suite: fatal"}

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
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.Logf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(errFatal)
}

// panicSite keeps the frames of a panic's stack below the runtime's own
// and above Record: where the code under test went wrong.
func panicSite(stack []byte) string {
	lines := strings.Split(strings.TrimSpace(string(stack)), "\n")
	var out []string
	inPanic := false
	for i := 1; i+1 < len(lines); i += 2 {
		fn, loc := lines[i], strings.TrimSpace(lines[i+1])
		if strings.HasPrefix(fn, "panic(") {
			inPanic = true // the frames after this one are the panicking code
			continue
		}
		if !inPanic || strings.HasPrefix(fn, "runtime.") {
			continue
		}
		if strings.Contains(fn, "scenarios/suite.Record") {
			break
		}
		out = append(out, "  "+fn+"\n      "+loc)
		if len(out) == 8 {
			break
		}
	}
	return strings.Join(out, "\n")
}

// SeedEnv is the environment variable a homework grader reads to run one
// seed only: the replay of a graded failure.
const SeedEnv = "DSIM_SEED"

// ReplayCommand is the go test command that reruns the test named name (a
// t.Name() such as TestRaft/Figure8/seed=3) in the package under test. A
// last element DSIM_SEED=N (a homework grader's run of one seed) becomes an
// environment variable in front of the command.
func ReplayCommand(name string) string {
	env := ""
	if i := strings.LastIndex(name, "/"+SeedEnv+"="); i >= 0 {
		env = name[i+1:] + " "
		name = name[:i]
	}
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return fmt.Sprintf("%sgo test %s -run '%s' -count=1", env, packageDir(), strings.Join(parts, "/"))
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
