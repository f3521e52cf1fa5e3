package dsimcli

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	_ "github.com/dsimlab/dsim/scenarios/catalog" // every scenario
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/viz"
)

func init() {
	register(&command{
		name:    "list",
		summary: "list the scenarios, one line each",
		help:    "List every scenario with a one-line description. Run one with 'dsim run NAME'.",
		flags: func(fs *flag.FlagSet) func(*cli, []string) int {
			return func(ctx *cli, args []string) int {
				if len(args) > 0 {
					fmt.Fprintf(ctx.stderr, "dsim list takes no arguments (got %q)\n", args)
					return exitUsage
				}
				for _, s := range scenarios.All() {
					fmt.Fprintf(ctx.stdout, "%-24s %s\n", s.Name, s.Summary)
				}
				return exitOK
			}
		},
	})
	register(&command{
		name:    "run",
		args:    "NAME [--seed N] [--for DURATION] [--trace FILE] [--svg FILE] [--schedule FILE]",
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

A fault schedule (one event per line, such as "2s crash n1" or
"3s partition n1 n2 | n3") adds faults on top of the scenario's own; a
failing schedule found by a property test replays with --schedule.

Exit status: 0 when the run showed what it should, 1 when a check failed,
2 for a usage error (unknown scenario, bad flag, unreadable file).`,
		flags: runFlags,
	})
}

func runFlags(fs *flag.FlagSet) func(*cli, []string) int {
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same run")
	span := fs.Duration("for", 0, "virtual time to run (default: the scenario's own, see 'dsim list')")
	tracePath := fs.String("trace", "", "write the full trace as JSON Lines to `FILE`")
	svgPath := fs.String("svg", "", "draw the run as a space-time diagram, SVG, into `FILE` (its first 200 messages)")
	svgFrom := fs.Duration("svg-from", 0, "start the --svg diagram at this virtual time")
	svgTo := fs.Duration("svg-to", 0, "end the --svg diagram at this virtual time (default: the end of the run)")
	schedPath := fs.String("schedule", "", "play the fault schedule in `FILE` on top of the scenario")
	artifacts := fs.String("artifacts", "", "write what the run can show besides the log (such as the linearizability checker's HTML timeline) into `DIR`")
	quiet := fs.Bool("quiet", false, "print only the summary")
	verbose := fs.Bool("verbose", false, "print sends and timer settings too")
	broken := fs.String("broken", "", "run a deliberately broken implementation (`VARIANT`), to watch a known bug happen")
	return func(ctx *cli, args []string) int {
		if len(args) != 1 {
			fmt.Fprintln(ctx.stderr, "dsim run needs exactly one scenario name; 'dsim list' shows them")
			return exitUsage
		}
		s, err := scenarios.Lookup(args[0])
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim run: %v\n", err)
			return exitUsage
		}
		if *span < 0 {
			fmt.Fprintf(ctx.stderr, "dsim run: --for must be positive, got %v\n", *span)
			return exitUsage
		}
		opts := scenarios.Options{Seed: *seed, For: *span, ArtifactDir: *artifacts, Broken: *broken}
		if *artifacts != "" {
			if err := os.MkdirAll(*artifacts, 0o755); err != nil {
				fmt.Fprintf(ctx.stderr, "dsim run: --artifacts: %v\n", err)
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
				fmt.Fprintf(ctx.stderr, "dsim run: cannot write the trace: %v\n", err)
				return exitUsage
			}
			defer f.Close()
			jsonl = sim.NewJSONL(f)
			tracers = append(tracers, jsonl)
		}
		switch {
		case (*svgFrom != 0 || *svgTo != 0) && *svgPath == "":
			fmt.Fprintln(ctx.stderr, "dsim run: --svg-from and --svg-to choose what --svg FILE draws; give --svg too")
			return exitUsage
		case *svgFrom < 0 || *svgTo < 0 || (*svgTo != 0 && *svgTo <= *svgFrom):
			fmt.Fprintf(ctx.stderr, "dsim run: the diagram's window --svg-from %v --svg-to %v is empty or backwards\n", *svgFrom, *svgTo)
			return exitUsage
		}
		var rec *sim.Recorder
		var svg *os.File
		if *svgPath != "" {
			f, err := os.Create(*svgPath)
			if err != nil {
				fmt.Fprintf(ctx.stderr, "dsim run: cannot write the diagram: %v\n", err)
				return exitUsage
			}
			defer f.Close()
			svg, rec = f, &sim.Recorder{}
			tracers = append(tracers, rec)
		}
		hasher := sim.NewHasher()
		tracers = append(tracers, hasher)
		opts.Tracer = sim.Tee(tracers...)

		fmt.Fprintf(out, "# %s, seed %d: %s\n", s.Name, *seed, s.Summary)
		start := time.Now()
		run, err := scenarios.Start(s, opts)
		if err != nil {
			out.Flush()
			fmt.Fprintf(ctx.stderr, "dsim run: %v\n", err)
			return exitUsage
		}
		run.Complete()
		res := run.Finish()
		wall := time.Since(start)
		if jsonl != nil {
			if err := jsonl.Flush(); err != nil {
				fmt.Fprintf(ctx.stderr, "dsim run: writing the trace: %v\n", err)
				return exitUsage
			}
		}
		if svg != nil {
			err := viz.WriteSpaceTime(svg, rec.Records, viz.SpaceTimeOptions{
				Title: fmt.Sprintf("%s, seed %d", s.Name, *seed),
				From:  *svgFrom,
				To:    *svgTo,
			})
			if err == nil {
				err = svg.Close()
			}
			if err != nil {
				fmt.Fprintf(ctx.stderr, "dsim run: writing the diagram: %v\n", err)
				return exitUsage
			}
		}
		st := run.World.Stats()
		fmt.Fprintf(out, "\n--- %s: %s of virtual time in %s of wall time, %d events\n",
			s.Name, sim.FormatTime(run.World.Now()), wall.Round(time.Millisecond), st.Events)
		fmt.Fprintf(out, "messages: %d sent, %d delivered, %d dropped, %d duplicated\n",
			st.Sent, st.Delivered, st.Dropped, st.Duplicated)
		for _, line := range res.Summary {
			fmt.Fprintln(out, line)
		}
		fmt.Fprintf(out, "trace sha256 %s (%d records)\n", hasher.Sum(), hasher.Records())
		if res.Err != nil {
			fmt.Fprintf(out, "FAILED: %v\n", res.Err)
			fmt.Fprintf(out, "replay: dsim run %s --seed %d%s\n", s.Name, *seed, replayFlags(*span, *schedPath, *broken))
			return exitFailed
		}
		fmt.Fprintln(out, "OK")
		return exitOK
	}
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
