package dsimcli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/sweep"
	"github.com/dsimlab/dsim/viz"
)

func init() {
	register(&command{
		name:    "plot",
		args:    "NAME [--seed N | --seeds LIST] [--set KEY=VALUE]... [--out DIR] [--format png|svg] [-p N] [--for DURATION] [--schedule FILE]",
		summary: "draw a run's plots and space-time diagram, or a sweep's distributions",
		help: `
Draw the plots that make sense for the scenario NAME, write them into DIR
and print the files written.

For one run (--seed N, the default with seed 1):
    NAME-seedN-latency.png     latency histogram: of the clients' requests
                               where clients call services, else of messages
    NAME-seedN-breaker.png     a circuit breaker's state over time, if one
                               changed (breaker-cascade)
    NAME-seedN-nodes.png       messages each node sent, received and lost
    NAME-seedN-types.png       messages sent per type
    NAME-seedN-activity.png    messages delivered and lost over time, fault
                               and crash windows shaded
    NAME-seedN-spacetime.svg   space-time diagram (always SVG; the first
                               200 messages, open it in a browser)
and where the run reports them NAME-seedN-scaling.png (web-scale),
NAME-seedN-read-scaling.png (read-replicas) and NAME-seedN-hit-ratio.png
(cdn).

For a sweep (--seeds LIST, as for 'dsim sweep'): one histogram per metric
across the seeds, NAME-sweep-METRIC.png; for raft-election, for example,
NAME-sweep-election_time.png is the distribution of election times.

The same input always gives the same files, byte for byte (SVG on any
machine; PNG on machines of one architecture).

Exit status: 0 when the plots were written and every run passed, 1 when a
run's check failed (the plots are written anyway), 2 for a usage error.`,
		flags: plotFlags,
	})
}

func plotFlags(fs *flag.FlagSet) func(*cli, []string) int {
	setup := addSweepFlags(fs, "", false)
	seed := seedFlag(fs, 1, "plot the one run with seed `N`")
	out := fs.String("out", "plots", "write the files into `DIR` (created if need be)")
	format := fs.String("format", "png", "image format of the plots: png or svg")
	return func(ctx *cli, args []string) int {
		s, ok := oneScenario(ctx, "plot", args)
		if !ok {
			return exitUsage
		}
		seedSet := false
		fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
		if seedSet && *setup.seeds != "" {
			fmt.Fprintln(ctx.stderr, ctx.p.T("dsim plot: give --seed N for one run or --seeds LIST for a sweep, not both"))
			return exitUsage
		}
		f := viz.Format(*format)
		if f != viz.FormatPNG && f != viz.FormatSVG {
			fmt.Fprintln(ctx.stderr, ctx.p.T("dsim plot: --format must be png or svg, got %q", *format))
			return exitUsage
		}
		if fi, err := os.Stat(*out); err == nil && !fi.IsDir() {
			fmt.Fprintln(ctx.stderr, ctx.p.T("dsim plot: --out %s is a file; --out names the directory the plots are written into", *out))
			return exitUsage
		}
		knobs, err := setup.sets.knobs(s, ctx.p)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim plot: %v\n", err)
			return exitUsage
		}
		if *setup.seeds == "" {
			// One run: the sweep flags other than --seeds still apply.
			*setup.seeds = fmt.Sprint(*seed)
			return plotRun(ctx, s, setup, knobs, *out, f)
		}
		return plotSweep(ctx, s, setup, knobs, *out, f)
	}
}

func plotRun(ctx *cli, s scenarios.Scenario, setup *sweepSetup, knobs scenarios.Knobs, dir string, format viz.Format) int {
	seeds, opts, err := setup.options()
	opts.Knobs = knobs
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim plot: %v\n", err)
		return exitUsage
	}
	seed := seeds[0]
	var rec sim.Recorder
	res, err := scenarios.Execute(s, scenarios.Options{Seed: seed, For: opts.For, Schedule: opts.Schedule, Tracer: &rec, Knobs: knobs})
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim plot: %v\n", err)
		return exitUsage
	}
	figs, err := sweep.RunPlots(rec.Records, fmt.Sprintf("%s, seed %d", s.Name, seed))
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim plot: %v\n", err)
		return exitFailed
	}
	curves, err := sweep.MetricPlots(res)
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim plot: %v\n", err)
		return exitFailed
	}
	figs = append(figs, curves...)
	if !writeFigures(ctx, dir, fmt.Sprintf("%s-seed%d-", s.Name, seed), format, figs) {
		return exitUsage
	}
	if res.Err != nil {
		fmt.Fprintln(ctx.stdout, ctx.p.T("FAILED: %v\nreplay: %s", res.Err, sweep.ReplayCommand(s.Name, seed, opts)))
		return exitFailed
	}
	return exitOK
}

func plotSweep(ctx *cli, s scenarios.Scenario, setup *sweepSetup, knobs scenarios.Knobs, dir string, format viz.Format) int {
	seeds, opts, err := setup.options()
	opts.Knobs = knobs
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim plot: %v\n", err)
		return exitUsage
	}
	sum, status := runSweep(ctx, s, seeds, opts)
	if status != exitOK {
		return status
	}
	figs, err := sweep.Plots(sum)
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim plot: %v\n", err)
		return exitFailed
	}
	if len(figs) == 0 {
		fmt.Fprintln(ctx.stdout, ctx.p.T("the runs of %s reported no metrics: nothing to plot over seeds; try --seed N for one run's plots", s.Name))
	}
	if !writeFigures(ctx, dir, s.Name+"-sweep-", format, figs) {
		return exitUsage
	}
	return reportFailures(ctx.stdout, ctx.p, sum)
}

// writeFigures saves the figures and prints each path; false means a file
// could not be written.
func writeFigures(ctx *cli, dir, prefix string, format viz.Format, figs []sweep.Figure) bool {
	paths, err := sweep.SaveFigures(dir, prefix, format, figs)
	for _, p := range paths {
		fmt.Fprintln(ctx.stdout, filepath.ToSlash(p))
	}
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim plot: %v\n", err)
		return false
	}
	return true
}
