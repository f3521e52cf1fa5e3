package scenarios

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

// Exploration is what `dsim explore NAME` searches: the scenario's own
// world, set up by its own Setup, with every message held until the
// explorer decides its fate. The invariants are the scenario's own,
// reported by Run.Violation after every step.
type Exploration struct {
	// Knobs are the configuration explored, over the scenario's defaults
	// (a two-proposer paxos-basic, say). A counterexample file names them.
	Knobs Knobs
	// Bounds are the default bounds; dsim explore's flags override them.
	Bounds explore.Bounds
	// DFS makes depth first the default search: the one that finds
	// livelocks (the run needs Progress and Abstract for that).
	DFS bool
	// Crashable are the nodes the explorer may crash and restart.
	Crashable []sim.NodeID
	// CheckProperty makes the run's Property (a promise the scenario only
	// measures, such as "no transaction blocks") count as a violation in
	// every explored state, besides the run's own Violation.
	CheckProperty bool
}

// ErrUnknownBroken is wrapped by the error for a --broken variant the
// scenario does not have.
var ErrUnknownBroken = errors.New("unknown broken variant")

// CheckBroken says whether name is one of the scenario's broken variants
// (empty is the real implementation); its error lists them.
func (s Scenario) CheckBroken(name string) error {
	if name == "" || slices.Contains(s.Broken, name) {
		return nil
	}
	if len(s.Broken) == 0 {
		return fmt.Errorf("%w %q: %s has no broken variants", ErrUnknownBroken, name, s.Name)
	}
	return fmt.Errorf("%w %q for %s; its variants are: %s", ErrUnknownBroken, name, s.Name, strings.Join(s.Broken, ", "))
}

// ExploreModel turns the scenario into a model for package explore. o
// chooses the seed and the broken variant; the exploration's knobs are
// applied under o's own.
func ExploreModel(s Scenario, o Options) (explore.Model, error) {
	if s.Explore == nil {
		return explore.Model{}, fmt.Errorf("scenario %s cannot be explored (it declares no Exploration)", s.Name)
	}
	o = exploreOptions(s, o)
	if _, err := s.Resolve(o.Knobs); err != nil {
		return explore.Model{}, err
	}
	if err := s.CheckBroken(o.Broken); err != nil {
		return explore.Model{}, err
	}
	o.Tracer, o.Schedule, o.ArtifactDir = nil, nil, ""
	m := explore.Model{Crashable: s.Explore.Crashable}
	m.New = func() (*explore.Instance, error) {
		run, err := Start(s, o)
		if err != nil {
			return nil, err
		}
		in := &explore.Instance{World: run.World, Progress: run.Progress, Abstract: run.Abstract, Observers: run.Observers}
		violation, property := run.Violation, run.Property
		if !s.Explore.CheckProperty {
			property = nil
		}
		in.Check = func() error {
			if violation != nil {
				if err := violation(); err != nil {
					return err
				}
			}
			if property != nil {
				return property()
			}
			return nil
		}
		return in, nil
	}
	return m, nil
}

func exploreOptions(s Scenario, o Options) Options {
	knobs := Knobs{}
	for k, v := range s.Explore.Knobs {
		knobs[k] = v
	}
	for k, v := range o.Knobs {
		knobs[k] = v
	}
	o.Knobs = knobs
	return o
}

// Counterexample writes what the explorer found as a file that
// `dsim run NAME --schedule FILE` and `dsim tui NAME --schedule FILE`
// replay: the knobs and broken variant it needs, then every message's
// fate and the crashes and restarts at their times, in the ordinary
// schedule format.
func Counterexample(w io.Writer, s Scenario, o Options, r explore.Result) error {
	o = exploreOptions(s, o)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# dsim explore %s: %v\n", s.Name, r.Violation)
	fmt.Fprintf(b, "# %d steps; replay with: dsim run %s --seed %d --schedule FILE\n", len(r.Path), s.Name, o.Seed)
	for i, st := range r.Path {
		mark := ""
		if r.Violation == explore.ErrLivelock && i == r.Cycle {
			mark = "   <- the cycle starts here"
		}
		fmt.Fprintf(b, "#   %3d %s%s\n", i+1, st, mark)
	}
	if o.Broken != "" {
		fmt.Fprintf(b, "broken %s\n", o.Broken)
	}
	keys := make([]string, 0, len(o.Knobs))
	for k := range o.Knobs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "set %s=%s\n", k, o.Knobs[k])
	}
	var sched network.Schedule
	for _, f := range r.Fates {
		sched = append(sched, network.Event{At: 0, Action: network.Fate{Message: f.Msg, Drop: f.Drop, Arrive: f.Arrive, Copy: f.Copy}})
	}
	for _, f := range r.Faults {
		var a network.Action = network.Crash{Node: f.Node}
		if f.Kind == explore.Restart {
			a = network.Restart{Node: f.Node}
		}
		sched = append(sched, network.Event{At: f.At, Action: a})
	}
	b.WriteString(sched.String())
	return b.Flush()
}

// RunFile is a schedule file with the settings a run needs to replay it:
// lines "set KEY=VALUE" and "broken VARIANT" (no time) before or among the
// schedule's own lines. A counterexample from dsim explore is one.
type RunFile struct {
	Knobs    Knobs
	Broken   string
	Schedule network.Schedule
}

// ParseRunFile reads a schedule file with optional set and broken lines.
func ParseRunFile(r io.Reader) (RunFile, error) {
	var f RunFile
	var rest strings.Builder
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fields := strings.Fields(line)
		switch {
		case len(fields) > 0 && fields[0] == "set":
			if len(fields) != 2 {
				return f, fmt.Errorf("line %d: want \"set KEY=VALUE\"", n)
			}
			k, v, err := ParseKnob(fields[1])
			if err != nil {
				return f, fmt.Errorf("line %d: %w", n, err)
			}
			if f.Knobs == nil {
				f.Knobs = Knobs{}
			}
			f.Knobs[k] = v
			rest.WriteString("\n")
		case len(fields) > 0 && fields[0] == "broken":
			if len(fields) != 2 {
				return f, fmt.Errorf("line %d: want \"broken VARIANT\"", n)
			}
			f.Broken = fields[1]
			rest.WriteString("\n")
		default:
			rest.WriteString(line + "\n") // keep line numbers for the schedule's errors
		}
	}
	if err := sc.Err(); err != nil {
		return f, err
	}
	sched, err := network.ParseSchedule(strings.NewReader(rest.String()))
	f.Schedule = sched
	return f, err
}

// DefaultExploreBounds are used where a scenario's Exploration leaves a
// bound zero.
var DefaultExploreBounds = explore.Bounds{Depth: 30, MaxStates: 200_000, Horizon: 0}

// BoundsOr merges the scenario's bounds over def.
func (e *Exploration) BoundsOr(def explore.Bounds) explore.Bounds {
	b := e.Bounds
	if b.Depth == 0 {
		b.Depth = def.Depth
	}
	if b.MaxStates == 0 {
		b.MaxStates = def.MaxStates
	}
	if b.Horizon == 0 {
		b.Horizon = def.Horizon
	}
	return b
}
