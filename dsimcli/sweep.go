package dsimcli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/dsimlab/dsim/i18n"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sweep"
)

func init() {
	register(&command{
		name:    "sweep",
		args:    "NAME --seeds LIST [-p N] [--for DURATION] [--set KEY=VALUE[,VALUE...]]... [--schedule FILE] [--shard K/N --out FILE] | merge FILES...",
		summary: "run a scenario over many seeds; aggregate its numbers, list failing seeds",
		help: `
Run the scenario NAME once per seed, several runs at a time (each run on
its own world, single threaded), and print each number the runs report
(their metrics) aggregated over the seeds, then every seed whose check
failed with the command that replays it:

    $ dsim sweep raft-election --seeds 1-1000
    metric          runs        min     median        p99       max
    election_time   1000  174.044ms  238.589ms  549.509ms  893.19ms
    new_term        1000     4 term     4 term     5 term    6 term
    ...
    all 1000 seeds passed

and, when some seed fails, for each one:

      seed 17: <what its check said>
        dsim run NAME --seed 17

--set KEY=VALUE changes a knob in every run; --set W=1,2,3 sweeps each
value in turn and prints one table per value (with several such lists,
one table per combination).

Seeds are listed like 1-1000, 7 or 1,5,9-12. The table is the same for any
-p: results are kept in seed order, whatever order the runs finish in.
Progress goes to stderr, as a bar with an ETA on a terminal and a line
every 5% otherwise. 'dsim plot NAME --seeds ...' draws the distributions.

To spread a sweep over machines, run it in shards and merge the files:

    dsim sweep raft-election --seeds 1-200 --shard 1/2 --out s1.jsonl
    dsim sweep raft-election --seeds 1-200 --shard 2/2 --out s2.jsonl
    dsim sweep merge s1.jsonl s2.jsonl

Shard K/N runs every N-th seed of the list from the K-th (K counts from 1)
and writes each seed's metrics and verdict as JSON Lines; merge prints the
very table and failing seeds the whole sweep prints. deploy/sweep has
recipes for a Kubernetes Indexed Job, a Slurm job array and GNU parallel.

Exit status: 0 when every seed passed, 1 when a seed failed, 2 for a
usage error (unknown scenario, bad --seeds, unreadable file). A shard run
with --out exits 0 once its file is written, failing seeds or not: merge
gives the verdict.`,
		flags: sweepFlags,
	})
}

// sweepSetup is what sweep and plot share: the scenario, the seeds and
// the sweep options, read from the command line.
type sweepSetup struct {
	sets     *setFlag
	fs       *flag.FlagSet
	seeds    *string
	parallel *int
	span     *time.Duration
	sched    *string
}

func addSweepFlags(fs *flag.FlagSet, seedsDefault string, knobLists bool) *sweepSetup {
	return &sweepSetup{
		fs:       fs,
		sets:     addSetFlag(fs, knobLists),
		seeds:    fs.String("seeds", seedsDefault, "seeds to run: `LIST` such as 1-1000, 7 or 1,5,9-12"),
		parallel: fs.Int("p", runtime.NumCPU(), "runs at a time, each on one core"),
		span:     fs.Duration("for", 0, "virtual time per run (default: the scenario's own)"),
		sched:    fs.String("schedule", "", "play the fault schedule in `FILE` on top of the scenario in every run"),
	}
}

func (f *sweepSetup) forSet() bool { return flagSet(f.fs, "for") }

// options reads the sweep flags; an error is a usage error.
func (f *sweepSetup) options() ([]uint64, sweep.Options, error) {
	seeds, err := sweep.ParseSeeds(*f.seeds)
	if err != nil {
		return nil, sweep.Options{}, fmt.Errorf("--seeds: %w", err)
	}
	if *f.parallel < 1 {
		return nil, sweep.Options{}, fmt.Errorf("-p must be at least 1, got %d", *f.parallel)
	}
	if *f.span < 0 || (*f.span == 0 && f.forSet()) {
		return nil, sweep.Options{}, fmt.Errorf("--for must be positive, got %v", *f.span)
	}
	opts := sweep.Options{Parallel: *f.parallel, For: *f.span}
	if *f.sched != "" {
		rf, err := readSchedule(*f.sched)
		if err != nil {
			return nil, sweep.Options{}, err
		}
		if rf.Broken != "" || len(rf.Knobs) > 0 {
			return nil, sweep.Options{}, fmt.Errorf("%s has set or broken lines (a counterexample from dsim explore): replay it with dsim run, one seed", *f.sched)
		}
		opts.Schedule, opts.ScheduleFile = rf.Schedule, *f.sched
	}
	return seeds, opts, nil
}

func sweepFlags(fs *flag.FlagSet) func(*cli, []string) int {
	setup := addSweepFlags(fs, "", true)
	shard := addShardFlags(fs)
	return func(ctx *cli, args []string) int {
		if len(args) > 0 && args[0] == "merge" {
			return sweepMerge(ctx, args[1:])
		}
		s, ok := oneScenario(ctx, "sweep", args)
		if !ok {
			return exitUsage
		}
		if *setup.seeds == "" {
			fmt.Fprintln(ctx.stderr, ctx.p.T("dsim sweep needs --seeds, such as --seeds 1-1000"))
			return exitUsage
		}
		seeds, opts, err := setup.options()
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim sweep: %v\n", err)
			return exitUsage
		}
		sets, err := setup.sets.knobSets(s, true, ctx.p)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim sweep: %v\n", err)
			return exitUsage
		}
		if shard.given() {
			if len(sets) > 1 {
				fmt.Fprintln(ctx.stderr, "dsim sweep: --shard runs one configuration: give each knob one value")
				return exitUsage
			}
			opts.Knobs = sets[0]
			return runShard(ctx, s, *setup.seeds, seeds, opts, shard)
		}
		status := exitOK
		for i, knobs := range sets {
			opts.Knobs = knobs
			sum, st := runSweep(ctx, s, seeds, opts)
			if st == exitUsage {
				return st
			}
			if i > 0 {
				fmt.Fprintln(ctx.stdout)
			}
			label := ""
			if len(knobs) > 0 {
				label = ", " + knobLabel(knobs)
			}
			status = max(status, printSweep(ctx, sum, label, *setup.seeds))
		}
		return status
	}
}

// printSweep prints what a sweep showed, whole or merged from shards: the
// table of its metrics, then its failing seeds. label names the knob
// values (", W=2"), seedList is the --seeds value.
func printSweep(ctx *cli, sum sweep.Summary, label, seedList string) int {
	fmt.Fprintln(ctx.stdout, ctx.p.T("# %s%s over %d seeds (%s)\n", sum.Scenario, label, len(sum.Runs), seedList))
	if len(sum.Metrics) == 0 {
		fmt.Fprintln(ctx.stdout, ctx.p.T("(the runs reported no metrics)"))
	} else if err := sweep.WriteTable(ctx.stdout, sum.Metrics); err != nil {
		fmt.Fprintf(ctx.stderr, "dsim sweep: %v\n", err)
		return exitUsage
	}
	return reportFailures(ctx.stdout, ctx.p, sum)
}

// oneScenario looks up the single scenario name a command takes.
func oneScenario(ctx *cli, cmd string, args []string) (scenarios.Scenario, bool) {
	if len(args) != 1 {
		fmt.Fprintln(ctx.stderr, ctx.p.T("dsim %s needs exactly one scenario name; 'dsim list' shows them", cmd))
		return scenarios.Scenario{}, false
	}
	s, err := lookup(args[0], ctx.p)
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim %s: %v\n", cmd, err)
		return scenarios.Scenario{}, false
	}
	return s, true
}

// runSweep runs the sweep with progress on stderr. Its status is exitUsage
// when runs could not be set up (a schedule that does not fit the
// scenario), exitOK otherwise.
func runSweep(ctx *cli, s scenarios.Scenario, seeds []uint64, opts sweep.Options) (sweep.Summary, int) {
	bar := newProgressBar(ctx.stderr, s.Name)
	opts.Progress = bar.update
	sum, err := sweep.Run(s, seeds, opts)
	bar.finish()
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim sweep: %v\n", err)
		return sum, exitUsage
	}
	return sum, exitOK
}

// reportFailures lists the failing seeds with their replay commands and
// returns the exit status of the sweep.
func reportFailures(w io.Writer, p *i18n.Printer, sum sweep.Summary) int {
	failed := sum.Failures()
	if len(failed) == 0 {
		fmt.Fprintln(w, p.T("\nall %d seeds passed", len(sum.Runs)))
		return exitOK
	}
	fmt.Fprintln(w, p.T("\n%d of %d seeds failed:", len(failed), len(sum.Runs)))
	for _, r := range failed {
		fmt.Fprintln(w, p.T("  seed %d: %v\n    %s", r.Seed, r.Problem(), sum.Replay(r.Seed)))
	}
	return exitFailed
}

// progressBar shows a sweep's progress on stderr: a bar redrawn in place
// with an ETA when stderr is a terminal, otherwise (a log file, CI) a line
// each time another 5% of the runs is done.
type progressBar struct {
	w        io.Writer
	name     string
	terminal bool
	start    time.Time
	drawn    time.Time // when the terminal bar was last redrawn
	step     int       // the last 5% step printed, off a terminal
	last     sweep.Progress
}

func newProgressBar(w io.Writer, name string) *progressBar {
	return &progressBar{w: w, name: name, terminal: isTerminal(w), start: time.Now()}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (b *progressBar) update(p sweep.Progress) {
	b.last = p
	now := time.Now()
	if b.terminal {
		// Redraw at most ten times a second, and always at the end.
		if p.Done < p.Total && now.Sub(b.drawn) < 100*time.Millisecond {
			return
		}
		b.drawn = now
		const width = 30
		full := p.Done * width / p.Total
		// \r returns to the start of the line; \x1b[K clears what a longer
		// previous line left behind.
		fmt.Fprintf(b.w, "\r%s [%s%s] %s\x1b[K", b.name, strings.Repeat("#", full), strings.Repeat(".", width-full), b.status(p, now))
		return
	}
	if step := p.Done * 20 / p.Total; step > b.step {
		b.step = step
		fmt.Fprintf(b.w, "%s: %s\n", b.name, b.status(p, now))
	}
}

// status is "250/1000 seeds (25%), 1 failed, 3s elapsed, ETA 9s".
func (b *progressBar) status(p sweep.Progress, now time.Time) string {
	elapsed := now.Sub(b.start)
	s := fmt.Sprintf("%d/%d seeds (%d%%), %d failed, %s elapsed", p.Done, p.Total, p.Done*100/p.Total, p.Failed, elapsed.Round(100*time.Millisecond))
	if p.Done < p.Total {
		eta := time.Duration(float64(elapsed) / float64(p.Done) * float64(p.Total-p.Done))
		s += ", ETA " + eta.Round(100*time.Millisecond).String()
	}
	return s
}

func (b *progressBar) finish() {
	if b.terminal && b.last.Total > 0 {
		fmt.Fprintln(b.w) // end the bar's line
	}
}
