package dsimcli

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	_ "github.com/dsimlab/dsim/scenarios/catalog" // every scenario
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/sweep"
	"github.com/dsimlab/dsim/viz"
)

func init() {
	register(&command{
		name:    "list",
		summary: "list the scenarios by chapter, one line each",
		help:    "List every scenario, grouped by the course's chapters, with its default length and a one-line description. 'dsim explain NAME' tells its story; 'dsim run NAME' runs it.",
		flags: func(fs *flag.FlagSet) func(*cli, []string) int {
			return func(ctx *cli, args []string) int {
				if len(args) > 0 {
					fmt.Fprintln(ctx.stderr, ctx.p.T("dsim list takes no arguments (got %q)", args))
					return exitUsage
				}
				return writeOut(ctx, "list", func(w io.Writer) error { return listScenarios(w, ctx.p) })
			}
		},
	})
	register(&command{
		name:    "run",
		args:    "NAME [--seed N] [--for DURATION] [--set KEY=VALUE]... [--trace FILE] [--svg FILE] [--schedule FILE]",
		summary: "run a scenario and narrate it, one line per event",
		help: `
Run the scenario NAME on virtual time and print what happens, one line per
event, in the style of etcd's raft traces:

    12.003ms n1->n2 Ping{Seq:3}      a message delivered
    12.003ms n1-xn2 Ping{Seq:4} dropped (partition)
    15.000ms n3 timer electionTimeout{}
    20.000ms FAULT partition {n1} | {n2,n3}

then a summary of what the run showed. The same seed always gives the same
run; --trace writes it as JSON Lines, byte-identical from run to run, and
--svg draws it as a space-time diagram (a line per node, an arrow per
message, lost ones in red; open the file in a browser). --svg-from and
--svg-to choose the stretch of virtual time it shows, to zoom in on an
election, say: --svg-from 1s --svg-to 1.3s.

--set KEY=VALUE changes one of the scenario's knobs (repeat it for more):
'dsim run quorum-kv --set W=1 --set R=1'. 'dsim explain NAME' lists the
knobs with their defaults and ranges; an unknown knob or a bad value is a
usage error.

A fault schedule (one event per line, such as "2s crash n1" or
"3s partition n1 n2 | n3") adds faults on top of the scenario's own; a
failing schedule found by a property test replays with --schedule.

Exit status: 0 when the run showed what it should, 1 when a check failed,
2 for a usage error (unknown scenario, bad flag, unreadable file).`,
		flags: runFlags,
	})
}

func runFlags(fs *flag.FlagSet) func(*cli, []string) int {
	seed := seedFlag(fs, 1, "random seed `N`: the same seed gives the same run")
	span := fs.Duration("for", 0, "virtual time to run (default: the scenario's own, see 'dsim list')")
	tracePath := fs.String("trace", "", "write the full trace as JSON Lines to `FILE`")
	svgPath := fs.String("svg", "", "draw the run as a space-time diagram, SVG, into `FILE` (the whole run if it sent at most 1000 messages, else its first 200)")
	svgStamps := fs.String("svg-stamps", "", "write logical clocks on the diagram's events: none, lamport or vector (default: vector for lamport, else none)")
	svgFrom := fs.Duration("svg-from", 0, "start the --svg diagram at this virtual time")
	svgTo := fs.Duration("svg-to", 0, "end the --svg diagram at this virtual time (default: the end of the run)")
	schedPath := fs.String("schedule", "", "play the fault schedule in `FILE` on top of the scenario")
	artifacts := fs.String("artifacts", "", "write what the run can show besides the log (such as the linearizability checker's HTML timeline) into `DIR`")
	quiet := fs.Bool("quiet", false, "print only the summary")
	verbose := fs.Bool("verbose", false, "print sends and timer settings too")
	broken := fs.String("broken", "", "run a deliberately broken implementation (`VARIANT`), to watch a known bug happen")
	sets := addSetFlag(fs, false)
	return func(ctx *cli, args []string) int {
		if len(args) != 1 {
			fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run needs exactly one scenario name; 'dsim list' shows them"))
			return exitUsage
		}
		s, err := lookup(args[0], ctx.p)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim run: %v\n", err)
			return exitUsage
		}
		if *span < 0 || (*span == 0 && flagSet(fs, "for")) {
			fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: --for must be positive, got %v", *span))
			return exitUsage
		}
		knobs, err := sets.knobs(s, ctx.p)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim run: %v\n", err)
			return exitUsage
		}
		opts := scenarios.Options{Seed: *seed, For: *span, ArtifactDir: *artifacts, Knobs: knobs, Printer: ctx.p, Broken: *broken}
		if err := s.CheckBroken(*broken); err != nil {
			fmt.Fprintf(ctx.stderr, "dsim run: %v\n", err)
			return exitUsage
		}
		if *artifacts != "" {
			// Create DIR, but not a missing parent: a typo in the path
			// should not silently grow a tree of directories.
			if err := dirExists(filepath.Dir(filepath.Clean(*artifacts))); err != nil {
				fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: --artifacts: %v", err))
				return exitUsage
			}
			if err := os.MkdirAll(*artifacts, 0o755); err != nil {
				fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: --artifacts: %v", err))
				return exitUsage
			}
		}
		if *schedPath != "" {
			rf, err := readSchedule(*schedPath)
			if err != nil {
				fmt.Fprintf(ctx.stderr, "dsim run: %v\n", err)
				return exitUsage
			}
			if err := rf.applyTo(&opts); err != nil {
				fmt.Fprintf(ctx.stderr, "dsim run: %s: %v\n", *schedPath, err)
				return exitUsage
			}
		}

		out := bufio.NewWriter(ctx.stdout)
		defer out.Flush()
		var tracers []sim.Tracer
		if !*quiet {
			tracers = append(tracers, logTracer(out, *verbose))
		}
		var jsonl *sim.JSONL
		if *tracePath != "" {
			f, err := os.Create(*tracePath)
			if err != nil {
				fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: cannot write the trace: %v", err))
				return exitUsage
			}
			defer f.Close()
			jsonl = sim.NewJSONL(f)
			tracers = append(tracers, jsonl)
		}
		switch {
		case (*svgFrom != 0 || *svgTo != 0) && *svgPath == "":
			fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: --svg-from and --svg-to choose what --svg FILE draws; give --svg too"))
			return exitUsage
		case *svgFrom < 0 || *svgTo < 0 || (*svgTo != 0 && *svgTo <= *svgFrom):
			fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: the diagram's window --svg-from %v --svg-to %v is empty or backwards", *svgFrom, *svgTo))
			return exitUsage
		}
		stamps, err := diagramStamps(*svgStamps, s.Name)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim run: %v\n", err)
			return exitUsage
		}
		var rec *sim.Recorder
		if *svgPath != "" {
			// The file is written after the run, and only if there is
			// something to draw; its directory must exist now.
			if err := dirExists(filepath.Dir(*svgPath)); err != nil {
				fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: cannot write the diagram: %v", err))
				return exitUsage
			}
			rec = &sim.Recorder{}
			tracers = append(tracers, rec)
		}
		hasher := sim.NewHasher()
		tracers = append(tracers, hasher)
		opts.Tracer = sim.Tee(tracers...)

		fmt.Fprintln(out, ctx.p.T("# %s, seed %d%s: %s", s.Name, *seed, sweep.SetFlags(knobs), s.Text(ctx.p).Summary))
		fmt.Fprintln(out, ctx.p.T("# what to look for, the knobs, what to try next: dsim explain %s", s.Name))
		start := time.Now()
		run, err := scenarios.Start(s, opts)
		if err != nil {
			out.Flush()
			fmt.Fprintf(ctx.stderr, "dsim run: %v\n", err)
			return exitUsage
		}
		if rec != nil && *svgFrom >= run.For {
			out.Flush()
			fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: --svg-from %v is at or after the run's end (%v): the diagram would be empty; choose an earlier time", *svgFrom, run.For))
			return exitUsage
		}
		run.Complete()
		res := run.Finish()
		wall := time.Since(start)
		if jsonl != nil {
			if err := jsonl.Flush(); err != nil {
				fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: writing the trace: %v", err))
				return exitUsage
			}
		}
		diagramEmpty := false
		if rec != nil {
			var b bytes.Buffer
			err := viz.WriteSpaceTime(&b, rec.Records, viz.SpaceTimeOptions{
				Title:       fmt.Sprintf("%s, seed %d", s.Name, *seed),
				From:        *svgFrom,
				To:          *svgTo,
				MaxMessages: diagramMessages(rec.Records, *svgFrom, *svgTo),
				Stamps:      stamps,
			})
			switch {
			case errors.Is(err, viz.ErrNoData):
				diagramEmpty = true // said after the summary
			case err == nil:
				err = os.WriteFile(*svgPath, b.Bytes(), 0o644)
			}
			if err != nil && !diagramEmpty {
				fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: writing the diagram: %v", err))
				return exitUsage
			}
		}
		st := run.World.Stats()
		fmt.Fprintln(out, ctx.p.T("\n--- %s: %s of virtual time in %s of wall time, %d events",
			s.Name, sim.FormatTime(run.World.Now()), wall.Round(time.Millisecond), st.Events))
		fmt.Fprintln(out, ctx.p.T("messages: %d sent, %d delivered, %d dropped, %d duplicated",
			st.Sent, st.Delivered, st.Dropped, st.Duplicated))
		for _, line := range res.Summary {
			fmt.Fprintln(out, line)
		}
		if n := eventsAfter(opts.Schedule, run.World.Now()); n > 0 {
			fmt.Fprintln(out, ctx.p.T("%d schedule events after the run's end (%s) were not played; --for makes the run longer", n, sim.FormatTime(run.World.Now())))
		}
		fmt.Fprintln(out, ctx.p.T("trace sha256 %s (%d records)", hasher.Sum(), hasher.Records()))
		if diagramEmpty {
			out.Flush()
			fmt.Fprintln(ctx.stderr, ctx.p.T("dsim run: nothing to draw: no message or event in the diagram's window (from %s to %s); %s was not written", sim.FormatTime(*svgFrom), sim.FormatTime(max(*svgTo, run.World.Now())), *svgPath))
			return exitFailed
		}
		if res.Err != nil {
			fmt.Fprintln(out, ctx.p.T("FAILED: %v", res.Err))
			fmt.Fprintln(out, ctx.p.T("replay: dsim run %s --seed %d%s%s", s.Name, *seed, replayFlags(*span, *schedPath, *broken), sweep.SetFlags(knobs)))
			return exitFailed
		}
		fmt.Fprintln(out, ctx.p.T("OK"))
		if err := out.Flush(); err != nil {
			fmt.Fprintf(ctx.stderr, "dsim run: writing the output: %v\n", err)
			return exitFailed
		}
		return exitOK
	}
}

// diagramMessages is how many messages the diagram draws: with no window
// given, the whole run when it sent at most 1000 (raft-election's story
// runs to n1's step-down after 3s), else the first viz.DefaultMaxMessages.
func diagramMessages(recs []sim.Record, from, to time.Duration) int {
	if from != 0 || to != 0 {
		return 0 // a window chosen: the default cap within it
	}
	sends := 0
	for i := range recs {
		if recs[i].Kind == sim.KindSend {
			sends++
		}
	}
	if sends <= 1000 {
		return -1
	}
	return 0
}

// diagramStamps reads --svg-stamps; lamport, whose lesson is the clocks,
// gets vector clocks unless told otherwise.
func diagramStamps(flag, scenario string) (viz.Stamps, error) {
	switch flag {
	case "":
		if scenario == "lamport" {
			return viz.StampsVector, nil
		}
		return viz.StampsNone, nil
	case "none":
		return viz.StampsNone, nil
	case "lamport":
		return viz.StampsLamport, nil
	case "vector":
		return viz.StampsVector, nil
	}
	return viz.StampsNone, fmt.Errorf("--svg-stamps must be none, lamport or vector, got %q", flag)
}

// dirExists says what is wrong when dir is not an existing directory.
func dirExists(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the directory %s does not exist; create it first", dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is a file, not a directory", dir)
	}
	return nil
}

// flagSet reports whether the command line gave the flag, even at its
// default value (--for 0s).
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func replayFlags(span time.Duration, sched, broken string) string {
	var b strings.Builder
	if broken != "" {
		fmt.Fprintf(&b, " --broken %s", broken)
	}
	if span > 0 {
		fmt.Fprintf(&b, " --for %v", span)
	}
	if sched != "" {
		fmt.Fprintf(&b, " --schedule %s", sched)
	}
	return b.String()
}

// eventsAfter counts the schedule's events later than end: the run stopped
// before they could happen.
func eventsAfter(s network.Schedule, end time.Duration) int {
	n := 0
	for _, e := range s {
		if e.At > end {
			n++
		}
	}
	return n
}

// runFile is a schedule file: its fault schedule, and the "set" and
// "broken" lines a counterexample from dsim explore carries.
type runFile struct{ scenarios.RunFile }

func readSchedule(path string) (runFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return runFile{}, fmt.Errorf("cannot read the fault schedule: %w", err)
	}
	defer f.Close()
	rf, err := scenarios.ParseRunFile(f)
	if err != nil {
		return runFile{}, fmt.Errorf("fault schedule %s: %w", path, err)
	}
	return runFile{rf}, nil
}

// applyTo puts the file's schedule, knobs and broken variant into o. A
// knob or variant the command line gave already must agree with the file.
func (rf runFile) applyTo(o *scenarios.Options) error {
	o.Schedule = rf.Schedule
	if rf.Broken != "" {
		if o.Broken != "" && o.Broken != rf.Broken {
			return fmt.Errorf("the file says broken %s, the command line --broken %s", rf.Broken, o.Broken)
		}
		o.Broken = rf.Broken
	}
	for k, v := range rf.Knobs {
		if o.Knobs == nil {
			o.Knobs = scenarios.Knobs{}
		}
		if old, ok := o.Knobs[k]; ok && old != v {
			return fmt.Errorf("the file sets %s=%s, the command line %s=%s", k, v, k, old)
		}
		o.Knobs[k] = v
	}
	return nil
}

// logTracer prints the readable one-line-per-event log. Sends and timer
// bookkeeping are left out unless verbose: the deliveries, drops and
// firings already tell the story.
func logTracer(w io.Writer, verbose bool) sim.Tracer {
	return sim.TracerFunc(func(r *sim.Record) {
		if !verbose {
			switch r.Kind {
			case sim.KindSend, sim.KindTimerSet, sim.KindTimerCancel:
				return
			}
		}
		fmt.Fprintln(w, r.String())
	})
}
