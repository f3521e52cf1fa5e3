package suite

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/viz"
)

// Grading a homework. A family's grader (raftsuite.Homework, ...) describes
// its assignment as an Assignment and calls Grade from the student's test.
// Grade:
//
//   - refuses a constructor that returns, or wraps, one of dsim's own
//     implementations (Assignment.Reference, Refuse);
//   - runs each part as a subtest, each test of the part as a subtest of
//     it, every seed of a test in turn: a test that fails at several seeds
//     reports its first failure in full and the others in one line;
//   - on a failure, replays its seed with a tracer and writes the whole
//     trace (JSON Lines) and a space-time diagram of its last moments (SVG)
//     into t.ArtifactDir() (or $DSIM_ARTIFACTS), and names the files;
//   - scores each part in proportion to the tests it passes, logs a table,
//     and writes Gradescope's results.json ($DSIM_GRADESCOPE) and JUnit XML
//     ($DSIM_JUNIT) when asked.

// Environment variables Grade reads.
const (
	// GradescopeEnv names the file for Gradescope's results.json.
	GradescopeEnv = "DSIM_GRADESCOPE"
	// JUnitEnv names the file for JUnit XML.
	JUnitEnv = "DSIM_JUNIT"
	// ArtifactsEnv names a directory for failure artifacts, instead of
	// t.ArtifactDir().
	ArtifactsEnv = "DSIM_ARTIFACTS"
)

// Case is one graded test of an assignment.
type Case struct {
	// Part names the Part the test belongs to.
	Part string
	Name string
	// Doc is the test's intent: what it checks and why it matters.
	Doc string
	// Run runs the test at seed and fails t if the node misbehaves. If
	// tracer is not nil it receives every record of the run.
	Run func(t T, seed uint64, tracer sim.Tracer)
}

// Part is a graded part of an assignment.
type Part struct {
	Name   string // "A"
	Title  string // "leader election"
	Points float64
}

// Assignment is what a family's grader hands Grade.
type Assignment struct {
	// Name is the family, as in "raft".
	Name  string
	Parts []Part
	Cases []Case
	// Seeds are the seeds each test runs at; $DSIM_SEED picks one.
	Seeds []uint64
	// Probe builds nodes with the student's constructor and runs them
	// briefly, returning the node values (and anything else the
	// constructor returned) for Refuse to inspect. Nil: no check.
	Probe func() []any
	// Reference names dsim's own implementations, which a homework may
	// not return or wrap: values whose type is one of these, or whose
	// package is one of these package paths.
	Reference []string
}

// Outcome is how one graded test went.
type Outcome struct {
	Part, Name string
	Passed     bool
	Score, Max float64
	// Output is what a student reads: the failure, or how it passed.
	Output  string
	Elapsed time.Duration
}

// Grade grades the student's node as a: every Part, or only the parts named
// in only. It fails t for every test that fails and returns the outcomes.
func Grade(t *testing.T, a Assignment, only ...string) []Outcome {
	t.Helper()
	var outs []Outcome
	parts := a.Parts
	if len(only) > 0 {
		parts = slices.DeleteFunc(slices.Clone(parts), func(p Part) bool { return !slices.Contains(only, p.Name) })
	}
	if why := a.refused(); why != "" {
		t.Errorf("%s", why)
		for _, p := range parts {
			cases := a.cases(p)
			for i, c := range cases {
				outs = append(outs, Outcome{Part: p.Name, Name: c.Name, Max: caseMax(p.Points, i, len(cases)), Output: why})
			}
		}
		a.write(t, outs)
		return outs
	}
	seeds := a.Seeds
	if s := os.Getenv(SeedEnv); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q is not a seed: give a number, such as %s=3", SeedEnv, s, SeedEnv)
		}
		seeds = []uint64{seed}
	}
	seen := map[string]string{} // failure gist -> the first test that failed so
	for _, p := range parts {
		cases := a.cases(p)
		t.Run(p.Name, func(t *testing.T) {
			for i, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					o := gradeCase(t, c, seeds, seen)
					o.Part, o.Max = p.Name, caseMax(p.Points, i, len(cases))
					if o.Passed {
						o.Score = o.Max
					}
					outs = append(outs, o)
				})
			}
		})
	}
	t.Logf("%s", Table(a, outs))
	a.write(t, outs)
	return outs
}

// caseMax is the points of the i-th of n tests of a part worth points: an
// equal share in hundredths, the first test taking what rounding leaves,
// so that a part's tests add up to its points exactly.
func caseMax(points float64, i, n int) float64 {
	cents := int64(points*100 + 0.5)
	share := cents / int64(n)
	if i == 0 {
		share += cents - share*int64(n)
	}
	return float64(share) / 100
}

func (a Assignment) cases(p Part) []Case {
	var out []Case
	for _, c := range a.Cases {
		if c.Part == p.Name {
			out = append(out, c)
		}
	}
	return out
}

// refused runs the probe and Refuse, turning a panic into a readable
// message rather than a refusal: the tests will show it again.
func (a Assignment) refused() (why string) {
	if a.Probe == nil {
		return ""
	}
	defer func() {
		if v := recover(); v != nil {
			why = "" // the student's node panicked while probed: the tests will say so
		}
	}()
	for _, v := range a.Probe() {
		if err := Refuse(v, a.Reference...); err != nil {
			return err.Error()
		}
	}
	return ""
}

// gradeCase runs c at every seed, one after the other, and reports the
// first failure in full and the others in a line each.
//
// A failure whose gist (its first line, up to a parenthesis) an earlier
// test of this Grade call already reported in full is reported in a line
// naming that test: a node that never elects fails most tests the same
// way, and one full report says it all.
func gradeCase(t *testing.T, c Case, seeds []uint64, seen map[string]string) Outcome {
	t.Helper()
	start := time.Now()
	var failedAt, passedAt []uint64
	var first []string
	var firstSeed uint64
	var also []string
	sameAs := map[string][]uint64{} // gist -> further seeds failing with it
	for _, seed := range seeds {
		name := fmt.Sprintf("%s/%s=%d", t.Name(), SeedEnv, seed)
		failed, msgs := Record(name, func(rt T) { c.Run(rt, seed, nil) })
		if !failed {
			passedAt = append(passedAt, seed)
			continue
		}
		failedAt = append(failedAt, seed)
		switch g := gist(failure(msgs)); {
		case first == nil:
			first, firstSeed = msgs, seed
		case g == gist(failure(first)):
			sameAs[g] = append(sameAs[g], seed)
		default:
			also = append(also, fmt.Sprintf("seed %d: %s", seed, firstLine(failure(msgs))))
		}
	}
	o := Outcome{Name: c.Name, Passed: len(failedAt) == 0, Elapsed: time.Since(start)}
	if o.Passed {
		o.Output = fmt.Sprintf("passed at seeds %v: %s", passedAt, c.Doc)
		t.Logf("%s", o.Output)
		return o
	}
	var b strings.Builder
	g := gist(failure(first))
	earlier, repeated := seen[g]
	if repeated {
		fmt.Fprintf(&b, "FAILED %s at seeds %v, the same way as %s (reported in full there): %s\nreplay: %s\n",
			c.Name, failedAt, earlier, firstLine(failure(first)), ReplayCommand(fmt.Sprintf("%s/%s=%d", t.Name(), SeedEnv, firstSeed)))
	} else {
		seen[g] = c.Name
		fmt.Fprintf(&b, "FAILED %s at seed %d: %s\n", c.Name, firstSeed, failure(first))
		if more := sameAs[g]; len(more) > 0 {
			fmt.Fprintf(&b, "also failed the same way at seeds %v\n", more)
		}
		if len(also) > 0 {
			fmt.Fprintf(&b, "also failed at %d more seeds, otherwise:\n  %s\n", len(also), strings.Join(also, "\n  "))
		}
		if len(passedAt) > 0 {
			fmt.Fprintf(&b, "passed at seeds %v\n", passedAt)
		}
		b.WriteString(artifacts(t, c, firstSeed))
	}
	o.Output = b.String()
	t.Errorf("%s", o.Output)
	return o
}

// failure is the failure message among a recorder's messages: the last
// one (Fatalf ends a test), with the log lines before it left out.
func failure(msgs []string) string {
	if len(msgs) == 0 {
		return "failed without a message"
	}
	return msgs[len(msgs)-1]
}

// gist is a failure's first line up to its first parenthesis or colon
// after a number: what stays the same when only node states differ.
func gist(s string) string {
	s = firstLine(s)
	if i := strings.IndexAny(s, "(["); i > 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// artifacts replays c at seed with a tracer and writes the trace and a
// space-time diagram of the last half second before the run ended.
func artifacts(t *testing.T, c Case, seed uint64) string {
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = t.ArtifactDir()
	} else {
		dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Sprintf("(no artifacts: %v)\n", err)
	}
	var recs []sim.Record
	var trace bytes.Buffer
	jl := sim.NewJSONL(&trace)
	tracer := sim.TracerFunc(func(r *sim.Record) {
		jl.Trace(r)
		rec := *r
		recs = append(recs, rec)
	})
	Record(t.Name(), func(rt T) { c.Run(rt, seed, tracer) })
	if err := jl.Flush(); err != nil {
		return fmt.Sprintf("(no artifacts: %v)\n", err)
	}
	tracePath := filepath.Join(dir, fmt.Sprintf("trace-seed%d.jsonl", seed))
	if err := os.WriteFile(tracePath, trace.Bytes(), 0o644); err != nil {
		return fmt.Sprintf("(no artifacts: %v)\n", err)
	}
	out := fmt.Sprintf("full trace: %s\n", tracePath)
	if len(recs) > 0 {
		end := recs[len(recs)-1].At
		var svg bytes.Buffer
		err := viz.WriteSpaceTime(&svg, recs, viz.SpaceTimeOptions{
			From: max(0, end-500*time.Millisecond), To: end, MaxMessages: 150,
			ShowLogs: true, Title: fmt.Sprintf("%s, seed %d: the last 500ms", t.Name(), seed),
		})
		if err == nil {
			svgPath := filepath.Join(dir, fmt.Sprintf("spacetime-seed%d.svg", seed))
			if err := os.WriteFile(svgPath, svg.Bytes(), 0o644); err == nil {
				out += fmt.Sprintf("space-time diagram: %s\n", svgPath)
			}
		}
	}
	if os.Getenv(ArtifactsEnv) == "" {
		out += fmt.Sprintf("(go test deletes these unless run with -artifacts, or set %s=DIR)\n", ArtifactsEnv)
	}
	return out
}

// Table renders the score of each part.
func Table(a Assignment, outs []Outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: score by part\n", a.Name)
	var total, max float64
	for _, p := range a.Parts {
		var got, n, passed int
		var score float64
		for _, o := range outs {
			if o.Part == p.Name {
				n++
				score += o.Score
				if o.Passed {
					passed++
				}
				got++
			}
		}
		if got == 0 {
			continue
		}
		total += score
		max += p.Points
		fmt.Fprintf(&b, "  part %-2s %-28s %2d/%-2d tests  %5.1f/%-5.1f points\n", p.Name, p.Title, passed, n, score, p.Points)
	}
	fmt.Fprintf(&b, "  total %42.1f/%.1f points", total, max)
	return b.String()
}

// write writes the autograder files the environment asks for.
func (a Assignment) write(t *testing.T, outs []Outcome) {
	outs = remember(a, outs)
	slices.SortStableFunc(outs, func(x, y Outcome) int { return cmp.Compare(partIndex(a, x.Part), partIndex(a, y.Part)) })
	if path := os.Getenv(GradescopeEnv); path != "" {
		if err := WriteGradescope(path, a, outs); err != nil {
			t.Errorf("%s: %v", GradescopeEnv, err)
		}
	}
	if path := os.Getenv(JUnitEnv); path != "" {
		if err := WriteJUnit(path, a, outs); err != nil {
			t.Errorf("%s: %v", JUnitEnv, err)
		}
	}
}

func partIndex(a Assignment, name string) int {
	return slices.IndexFunc(a.Parts, func(p Part) bool { return p.Name == name })
}
