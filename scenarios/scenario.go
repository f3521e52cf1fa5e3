package scenarios

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/i18n"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

// Scenario is a named, documented run.
type Scenario struct {
	// Name is what `dsim run` takes: lower case, words joined by dashes.
	Name string
	// Summary is one line for `dsim list`.
	Summary string
	// Doc tells the story: what happens, who the nodes are, which faults
	// the script plays. (Older scenarios still end it with a "Look for:"
	// paragraph; new ones put that in LookFor.)
	Doc string
	// LookFor says what a learner should see happen, and why: the lesson.
	LookFor string
	// Chapter groups the scenario in `dsim list` by the course's chapters
	// (see Chapters); empty puts it under "More".
	Chapter string
	// Knobs are what --set may change, with defaults and ranges. Setup
	// reads them from Options.Knobs.
	Knobs []Knob
	// Broken names deliberately broken implementations a run can use
	// instead of the real one (--broken forgets-promise), so a learner can
	// watch a known bug happen; Setup reads Options.Broken.
	Broken []string
	// Explore, if set, lets `dsim explore` search the scenario's states.
	Explore *Exploration
	// For is how much virtual time a run lasts unless told otherwise.
	For time.Duration
	// Setup builds the world for the given options.
	Setup func(o Options) (*Run, error)
}

// Options choose one run of a scenario.
type Options struct {
	Seed uint64
	// For overrides the scenario's default length; zero keeps it.
	For time.Duration
	// Schedule is a fault schedule played on top of the scenario's own.
	Schedule network.Schedule
	// Tracer receives the trace; nil discards it.
	Tracer sim.Tracer
	// ArtifactDir, if set, is where a scenario writes what a learner can
	// open afterwards: the linearizability checker's HTML timeline, say.
	ArtifactDir string
	// Knobs are the --set values. Start checks them against the scenario's
	// declared knobs and fills in the defaults, so Setup can read every
	// declared knob (o.Knobs.Int("W")).
	Knobs Knobs
	// Broken selects one of Scenario.Broken; empty is the real thing.
	Broken string
	// Printer is the language of the summary; nil is English.
	Printer *i18n.Printer
}

// Run is a scenario set up and ready to go.
type Run struct {
	World *sim.World
	Net   *network.Model
	// For is how long to run; Setup may leave it zero for the scenario's
	// default (or Options.For).
	For time.Duration
	// Done, if set, ends the run early once it holds (checked after every
	// event): say, once every node has every value.
	Done func() bool
	// Finish checks and summarises the run once it is over.
	Finish func() Result
	// Violation, if set, reports the first safety violation so far, nil
	// while every invariant the scenario checks after each step holds. The
	// explorer calls it after every step.
	Violation func() error
	// Property, if set, reports the first time a promise the scenario
	// measures but does not fail for was broken (no transaction blocks):
	// the explorer checks it where the Exploration says CheckProperty.
	Property func() error
	// Progress and Abstract let the explorer look for livelocks (see
	// explore.Instance); Observers are the checkers' own state, part of
	// what the explorer counts as one state.
	Progress  func() bool
	Abstract  func() uint64
	Observers []any
}

// Result is what a run showed.
type Result struct {
	// Summary is a few lines a learner reads at the end of `dsim run`.
	Summary []string
	// Metrics are the numbers of the run, for tests, sweeps and plots.
	Metrics []Metric
	// Err is nil when the run showed what it should; otherwise it says
	// which check failed.
	Err error
}

// Metric is one named number of a run.
type Metric struct {
	Name  string
	Value float64
	Unit  string
}

// Metric returns the value of the named metric, and whether there is one.
func (r Result) Metric(name string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

var registry = map[string]Scenario{}

// Register adds a scenario. It panics on a duplicate or malformed entry:
// that is a programming error, found the first time the package loads.
func Register(s Scenario) {
	if s.Name == "" || s.Setup == nil || s.Summary == "" || s.For <= 0 {
		panic(fmt.Sprintf("scenarios: incomplete scenario %q", s.Name))
	}
	if s.Chapter != "" && !knownChapter(s.Chapter) {
		panic(fmt.Sprintf("scenarios: %s: unknown chapter %q (see Chapters)", s.Name, s.Chapter))
	}
	for _, k := range s.Knobs {
		if err := k.Check(k.Default); err != nil {
			panic(fmt.Sprintf("scenarios: %s: the default of knob %s is not a value it takes: %v", s.Name, k.Name, err))
		}
	}
	if _, dup := registry[s.Name]; dup {
		panic(fmt.Sprintf("scenarios: %q registered twice", s.Name))
	}
	registry[s.Name] = s
}

// All lists every scenario, sorted by name.
func All() []Scenario {
	out := make([]Scenario, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ErrUnknown is wrapped by Lookup's error for a name that is not registered.
var ErrUnknown = errors.New("unknown scenario")

// Lookup finds a scenario by name. Its error lists the names there are and
// suggests the closest one.
func Lookup(name string) (Scenario, error) {
	if s, ok := registry[name]; ok {
		return s, nil
	}
	var names []string
	for _, s := range All() {
		names = append(names, s.Name)
	}
	hint := ""
	if starts := startingWith(name, names); len(starts) > 0 {
		hint = fmt.Sprintf(" (did you mean %s?)", orList(starts))
	} else if best := closest(name, names); best != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	return Scenario{}, fmt.Errorf("%w %q%s; the scenarios are: %s", ErrUnknown, name, hint, strings.Join(names, ", "))
}

// Start sets a scenario up for the options, and plays the options' fault
// schedule on it. The TUI steps the returned run itself; Execute runs it
// to the end.
func Start(s Scenario, o Options) (*Run, error) {
	knobs, err := s.Resolve(o.Knobs)
	if err != nil {
		return nil, err
	}
	o.Knobs = knobs
	if err := s.CheckBroken(o.Broken); err != nil {
		return nil, err
	}
	run, err := s.Setup(o)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	if run.For == 0 {
		run.For = s.For
	}
	if o.For > 0 {
		run.For = o.For
	}
	if len(o.Schedule) > 0 {
		if run.Net == nil {
			return nil, fmt.Errorf("scenario %s has no simulated network to play a fault schedule on", s.Name)
		}
		if err := network.Play(run.World, run.Net, o.Schedule); err != nil {
			return nil, fmt.Errorf("scenario %s: schedule: %w", s.Name, err)
		}
	}
	return run, nil
}

// Execute sets the scenario up, runs it and returns what it showed. An error
// means it could not run at all; a failed check is in Result.Err.
func Execute(s Scenario, o Options) (Result, error) {
	run, err := Start(s, o)
	if err != nil {
		return Result{}, err
	}
	run.Complete()
	return run.Finish(), nil
}

// Complete runs the world to the end of the run's span, or until Done holds.
func (r *Run) Complete() {
	end := r.For
	if r.Done != nil {
		r.World.RunUntil(r.Done, end-r.World.Now())
		return
	}
	r.World.RunFor(end - r.World.Now())
}

// startingWith returns the names one of whose dash-separated words starts
// with s: "raft" gives the raft-* scenarios, "kv" raft-kv and quorum-kv.
func startingWith(s string, names []string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, "test-") && !strings.HasPrefix(s, "test") {
			continue // registered by a test, not offered to a learner
		}
		for _, word := range strings.Split(n, "-") {
			if strings.HasPrefix(word, s) || strings.HasPrefix(n, s) {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// orList is "a", "b" or "c".
func orList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// closest returns the name with the smallest edit distance to s, if it is
// close enough to be a plausible typo.
func closest(s string, names []string) string {
	best, bestD := "", len(s)/2+2
	for _, n := range names {
		// A suggestion must keep more than half of the name it suggests:
		// "nope" is three edits from "2pc", which says nothing.
		if d := editDistance(s, n); d < bestD && 2*d < len(n) {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func knownChapter(id string) bool {
	for _, c := range Chapters {
		if c.ID == id {
			return true
		}
	}
	return false
}
