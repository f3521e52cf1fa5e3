package dsimcli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/scenarios"
)

func init() {
	register(&command{
		name:    "explore",
		args:    "NAME [--depth N] [--max-states N] [--bfs|--dfs] [--broken VARIANT] [--out FILE]",
		summary: "search every order of events of a small scenario for a violation",
		help: `
Explore scenario NAME exhaustively, within bounds: instead of one run with
random delays, try every order of delivering the messages in flight and
firing the timers, and, within the bounds, message drops, duplicates and
crashes of nodes, checking the scenario's invariants after every step.
States already seen (every node's state, its disk, the messages in flight
and the timers) are not explored twice.

Breadth-first (--bfs, the default) finds a shortest counterexample;
depth-first (--dfs) uses less memory, deepens step by step, and also looks
for livelocks: a situation that comes back with no progress in between.

--deviations bounds how often a path departs from the default order
(oldest message first, a timer only when nothing is in flight): a
different message first, an early timer, a drop, a duplicate, a crash or
a restart each count one. Most bugs need only a few; 0 means no bound.

On a violation, dsim explore prints the path, writes it as a schedule
file (--out, default NAME.cex) that 'dsim run NAME --schedule FILE' and
'dsim tui NAME --schedule FILE' replay exactly, and exits 1. --broken
explores one of the project's deliberately broken implementations, to
watch a known bug be found.

Exit status: 0 when no violation was found within the bounds, 1 for a
violation, 2 for a usage error.`,
		flags: exploreFlags,
	})
}

// setFlags is a repeatable KEY=VALUE flag.
type setFlags scenarios.Knobs

func (f setFlags) String() string { return "" }

func (f setFlags) Set(s string) error {
	k, v, err := scenarios.ParseKnob(s)
	if err != nil {
		return err
	}
	f[k] = v
	return nil
}

func exploreFlags(fs *flag.FlagSet) func(*cli, []string) int {
	seed := seedFlag(fs, 1, "random seed `N` of the nodes' own random streams")
	depth := fs.Int("depth", 0, "longest path to explore, in steps (default: the scenario's)")
	maxStates := fs.Int("max-states", 0, "stop after this many distinct states (default: the scenario's)")
	deviations, crashes, drops, dups := &optionalInt{}, &optionalInt{}, &optionalInt{}, &optionalInt{}
	fs.Var(deviations, "deviations", "at most `N` departures from the default order per path; 0: no bound (default: the scenario's)")
	fs.Var(crashes, "crashes", "at most `N` crashes per path (default: the scenario's)")
	fs.Var(drops, "drops", "at most `N` messages lost per path (default: the scenario's)")
	fs.Var(dups, "duplicates", "at most `N` messages duplicated per path (default: the scenario's)")
	dfs := fs.Bool("dfs", false, "depth first with iterative deepening; also finds livelocks")
	bfs := fs.Bool("bfs", false, "breadth first: a shortest counterexample (the default, except for scenarios whose lesson is a livelock)")
	broken := fs.String("broken", "", "explore a deliberately broken implementation (`VARIANT`; dsim explain NAME lists them)")
	out := fs.String("out", "", "write a counterexample as a replayable schedule to `FILE` (default NAME.cex)")
	workers := fs.Int("p", 0, "workers expanding states in parallel (default: one per core)")
	knobs := setFlags{}
	fs.Var(knobs, "set", "change a knob of the scenario, `KEY=VALUE` (repeatable)")
	return func(ctx *cli, args []string) int {
		if len(args) != 1 {
			fmt.Fprintln(ctx.stderr, "dsim explore needs exactly one scenario name; 'dsim list' shows them")
			return exitUsage
		}
		s, err := scenarios.Lookup(args[0])
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim explore: %v\n", err)
			return exitUsage
		}
		if s.Explore == nil {
			var can []string
			for _, x := range scenarios.All() {
				if x.Explore != nil {
					can = append(can, x.Name)
				}
			}
			fmt.Fprintf(ctx.stderr, "dsim explore: %s cannot be explored (its state space is not small enough to search); these can: %s\n", s.Name, strings.Join(can, ", "))
			return exitUsage
		}
		b := s.Explore.BoundsOr(scenarios.DefaultExploreBounds)
		for _, o := range []struct {
			v   int
			dst *int
			min int
		}{{*depth, &b.Depth, 1}, {*maxStates, &b.MaxStates, 1}, {deviations.or(-1), &b.Deviations, 0}, {crashes.or(-1), &b.Crashes, 0}, {drops.or(-1), &b.Drops, 0}, {dups.or(-1), &b.Duplicates, 0}} {
			if o.v == 0 && o.min == 1 || o.v == -1 {
				continue
			}
			if o.v < o.min {
				fmt.Fprintf(ctx.stderr, "dsim explore: a bound of %d makes no sense; bounds are whole numbers from %d\n", o.v, o.min)
				return exitUsage
			}
			*o.dst = o.v
		}
		opts := scenarios.Options{Seed: *seed, Knobs: scenarios.Knobs(knobs), Broken: *broken}
		m, err := scenarios.ExploreModel(s, opts)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim explore: %v\n", err)
			return exitUsage
		}
		strategy, how := explore.BFS, "breadth first"
		if *dfs && *bfs {
			fmt.Fprintln(ctx.stderr, "dsim explore: --bfs or --dfs, not both")
			return exitUsage
		}
		if *dfs || s.Explore.DFS && !*bfs {
			strategy, how = explore.DFS, "depth first"
		}
		what := s.Name
		if *broken != "" {
			what += " --broken " + *broken
		}
		fmt.Fprintf(ctx.stdout, "# exploring %s %s: depth %d, at most %d states, %s\n", what, how, b.Depth, b.MaxStates, describeBounds(b))
		// On a terminal the progress line is redrawn in place; in a log
		// (CI, a file) it is a line each time the search goes deeper.
		terminal, depthShown := isTerminal(ctx.stderr), -1
		progress := func(st explore.Stats) {
			rate := float64(st.States) / st.Elapsed.Seconds()
			line := fmt.Sprintf("  %d states (%.0f/s), %d transitions, depth %d, frontier %d", st.States, rate, st.Edges, st.Depth, st.Frontier)
			if terminal {
				fmt.Fprintf(ctx.stderr, "\r%s\033[K", line)
			} else if st.Depth != depthShown {
				depthShown = st.Depth
				fmt.Fprintln(ctx.stderr, line)
			}
		}
		tuneGC()
		r, err := explore.Explore(explore.Config{Model: m, Bounds: b, Strategy: strategy, Workers: *workers, Report: progress})
		if terminal {
			fmt.Fprint(ctx.stderr, "\r\033[K")
		}
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim explore: %v\n", err)
			return exitFailed
		}
		rate := float64(r.States) / max(r.Elapsed.Seconds(), 1e-9)
		if r.Violation == nil {
			end := "every state within the bounds was seen"
			if !r.Complete {
				end = fmt.Sprintf("the search stopped at --max-states %d before seeing every state within the bounds", b.MaxStates)
			}
			fmt.Fprintf(ctx.stdout, "no violation in %d distinct states up to depth %d (%d transitions, %s, %.0f states/s); %s\n",
				r.States, r.Depth, r.Edges, r.Elapsed.Round(time.Millisecond), rate, end)
			return exitOK
		}
		kind := "VIOLATION"
		if errors.Is(r.Violation, explore.ErrLivelock) {
			kind = "LIVELOCK"
		}
		fmt.Fprintf(ctx.stdout, "%s after %d steps (%d distinct states searched, %s): %v\n", kind, len(r.Path), r.States, r.Elapsed.Round(time.Millisecond), r.Violation)
		for i, st := range r.Path {
			mark := ""
			if errors.Is(r.Violation, explore.ErrLivelock) && i == r.Cycle {
				mark = "   <- from here the same situation comes back"
			}
			fmt.Fprintf(ctx.stdout, "  %3d %s%s\n", i+1, st, mark)
		}
		path := *out
		if path == "" {
			path = s.Name + ".cex"
		}
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim explore: cannot write the counterexample: %v\n", err)
			return exitUsage
		}
		w := bufio.NewWriter(f)
		err = scenarios.Counterexample(w, s, opts, r)
		if err == nil {
			err = w.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim explore: writing the counterexample: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(ctx.stdout, "counterexample written to %s; watch it:\n  dsim run %s --seed %d --schedule %s\n  dsim tui %s --seed %d --schedule %s\n",
			path, s.Name, *seed, path, s.Name, *seed, path)
		return exitFailed
	}
}

func describeBounds(b explore.Bounds) string {
	parts := []string{fmt.Sprintf("%d crashes", b.Crashes), fmt.Sprintf("%d drops", b.Drops), fmt.Sprintf("%d duplicates", b.Duplicates)}
	if b.Deviations > 0 {
		parts = append(parts, fmt.Sprintf("%d deviations from FIFO order", b.Deviations))
	} else {
		parts = append(parts, "every order")
	}
	if b.Horizon > 0 {
		parts = append(parts, "timers up to "+b.Horizon.String())
	}
	return strings.Join(parts, ", ") + " per path"
}

// tuneGC lets the heap grow four times past what is live before the
// garbage collector runs, up to 512 MiB: the explorer builds and drops a
// small world for every replay, and collecting less often saves about a
// tenth of its time. GOGC or GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(512 << 20)
	debug.SetGCPercent(400)
}

// optionalInt is an int flag that knows whether it was given, so its help
// need not show a made-up default.
type optionalInt struct {
	v   int
	set bool
}

func (o *optionalInt) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.Itoa(o.v)
}

func (o *optionalInt) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("want a whole number, got %q", s)
	}
	o.v, o.set = v, true
	return nil
}

// or is the value given, else def.
func (o *optionalInt) or(def int) int {
	if !o.set {
		return def
	}
	return o.v
}

// seedValue is a --seed flag whose error says what a seed is (the flag
// package's own says only "parse error").
type seedValue uint64

func (v *seedValue) String() string { return strconv.FormatUint(uint64(*v), 10) }

func (v *seedValue) Set(s string) error {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("a seed is a whole number from 0 to %d, got %q", uint64(math.MaxUint64), s)
	}
	*v = seedValue(n)
	return nil
}

// seedFlag defines --seed with its default and usage.
func seedFlag(fs *flag.FlagSet, def uint64, usage string) *uint64 {
	v := def
	fs.Var((*seedValue)(&v), "seed", usage)
	return &v
}
