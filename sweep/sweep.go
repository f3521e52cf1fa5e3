package sweep

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
)

// Options choose how a sweep runs. The zero value runs each seed with the
// scenario's own length and faults, one run per CPU at a time.
type Options struct {
	// Parallel is how many runs go at a time; zero or less means
	// runtime.NumCPU(). Each run is single threaded on its own World, so
	// this is also how many cores the sweep keeps busy.
	Parallel int
	// For overrides the scenario's virtual length; zero keeps it.
	For time.Duration
	// Schedule is a fault schedule played on top of the scenario's own in
	// every run; ScheduleFile names the file it came from, for the replay
	// commands.
	Schedule     network.Schedule
	ScheduleFile string
	// Knobs are the --set values every run gets (see scenarios.Knob).
	Knobs scenarios.Knobs
	// Progress, if set, is called once after each run finishes, never
	// concurrently, with Done counting up from 1 to Total.
	Progress func(Progress)
}

// Progress says how far a sweep has got.
type Progress struct {
	Done, Total int
	Failed      int // runs so far whose check failed or that could not run
}

// SeedResult is what one seed's run showed.
type SeedResult struct {
	Seed   uint64
	Result scenarios.Result
	// Err is set when the run could not happen at all (the scenario could
	// not be set up for this seed), or when it panicked. A failed check is
	// in Result.Err instead.
	Err error
}

// Failed reports whether the seed needs a look: its check failed, or it
// did not run.
func (r SeedResult) Failed() bool { return r.Err != nil || r.Result.Err != nil }

// Problem is the error that made the seed fail, or nil.
func (r SeedResult) Problem() error {
	if r.Err != nil {
		return r.Err
	}
	return r.Result.Err
}

// Summary is a whole sweep: every seed's result in seed order, and the
// aggregates of their metrics.
type Summary struct {
	Scenario string
	// Runs holds one result per seed, in the order the seeds were given,
	// whatever order the runs finished in.
	Runs []SeedResult
	// Metrics aggregates each metric the runs reported, in the order the
	// metrics first appear in Runs.
	Metrics []Stats
	// Options are the options the sweep ran with.
	Options Options
}

// Replay is the command that replays one seed of the sweep.
func (s Summary) Replay(seed uint64) string { return ReplayCommand(s.Scenario, seed, s.Options) }

// Failures lists the seeds that failed, in seed order.
func (s Summary) Failures() []SeedResult {
	var out []SeedResult
	for _, r := range s.Runs {
		if r.Failed() {
			out = append(out, r)
		}
	}
	return out
}

// ErrNoSeeds is returned by Run for an empty seed list.
var ErrNoSeeds = errors.New("sweep: no seeds to run")

// Run runs the scenario once per seed and sums up the results. Failed
// checks do not stop the sweep: they are in the Summary. The error is for a
// sweep that could not start (no seeds), or for runs that could not be set
// up at all (a schedule naming a node the scenario does not have, say);
// then the Summary holds every run anyway, and the error names the first
// such seed. A run that panicked is a failed seed, not an error of Run.
func Run(s scenarios.Scenario, seeds []uint64, opts Options) (Summary, error) {
	if len(seeds) == 0 {
		return Summary{}, ErrNoSeeds
	}
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = runtime.NumCPU()
	}
	parallel = min(parallel, len(seeds))

	runs := make([]SeedResult, len(seeds))
	next := make(chan int)
	finished := make(chan int)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for i := range next {
				runs[i] = runOne(s, seeds[i], opts)
				finished <- i
			}
		})
	}
	go func() {
		for i := range seeds {
			next <- i
		}
		close(next)
		wg.Wait()
		close(finished)
	}()
	p := Progress{Total: len(seeds)}
	for i := range finished {
		p.Done++
		if runs[i].Failed() {
			p.Failed++
		}
		if opts.Progress != nil {
			opts.Progress(p)
		}
	}

	sum := Summary{
		Scenario: s.Name,
		Runs:     runs,
		Metrics:  Aggregate(runs),
		Options:  opts,
	}
	for _, r := range runs {
		if r.Err != nil && !errors.Is(r.Err, ErrPanic) {
			return sum, fmt.Errorf("sweep %s: seed %d: %w", s.Name, r.Seed, r.Err)
		}
	}
	return sum, nil
}

// runOne runs one seed. A panic inside the scenario (a broken invariant in
// the protocol under test) becomes that seed's error, so one bad seed is
// reported with its replay command instead of ending the sweep.
func runOne(s scenarios.Scenario, seed uint64, opts Options) (out SeedResult) {
	out.Seed = seed
	defer func() {
		if p := recover(); p != nil {
			out.Err = fmt.Errorf("%w: %v", ErrPanic, p)
		}
	}()
	res, err := scenarios.Execute(s, scenarios.Options{Seed: seed, For: opts.For, Schedule: opts.Schedule, Knobs: opts.Knobs})
	if err != nil {
		out.Err = err
		return out
	}
	out.Result = res
	return out
}

// ErrPanic is wrapped by the error of a run that panicked.
var ErrPanic = errors.New("the run panicked")

// ReplayCommand is the dsim command line that replays one seed of a sweep
// run with opts: `dsim run raft-election --seed 17`.
func ReplayCommand(scenario string, seed uint64, opts Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dsim run %s --seed %d", scenario, seed)
	if opts.For > 0 {
		fmt.Fprintf(&b, " --for %v", opts.For)
	}
	if opts.ScheduleFile != "" {
		fmt.Fprintf(&b, " --schedule %s", opts.ScheduleFile)
	}
	b.WriteString(SetFlags(opts.Knobs))
	return b.String()
}

// SetFlags writes knobs as the --set flags that give them, sorted by name:
// " --set R=1 --set W=1", or "" for none.
func SetFlags(ks scenarios.Knobs) string { return ks.Flags() }
