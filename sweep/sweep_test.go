package sweep_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The registry is global: these names are unique to this test binary.
func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "test-fails-on-odd-seeds",
		Summary: "a test scenario whose check fails exactly on odd seeds",
		For:     time.Second,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			w := sim.NewWorld(sim.Config{Seed: o.Seed, Tracer: o.Tracer})
			return &scenarios.Run{World: w, Finish: func() scenarios.Result {
				r := scenarios.Result{Metrics: []scenarios.Metric{{Name: "seed", Value: float64(o.Seed), Unit: "seed"}}}
				if o.Seed%2 == 1 {
					r.Err = fmt.Errorf("seed %d is odd", o.Seed)
				}
				return r
			}}, nil
		},
	})
	scenarios.Register(scenarios.Scenario{
		Name:    "test-sweep-trouble",
		Summary: "a test scenario that panics on seed 3 and cannot be set up for seed 5",
		For:     time.Second,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			if o.Seed == 5 {
				return nil, errors.New("no world for seed 5")
			}
			w := sim.NewWorld(sim.Config{Seed: o.Seed})
			return &scenarios.Run{World: w, Finish: func() scenarios.Result {
				if o.Seed == 3 {
					panic("invariant broken on seed 3")
				}
				return scenarios.Result{}
			}}, nil
		},
	})
}

func lookup(t *testing.T, name string) scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Lookup(name)
	require.NoError(t, err)
	return s
}

// A sweep's results must not depend on which run finished first: the same
// seeds give the same Summary, run one at a time or four at a time, and
// each seed's result is the one that seed gives on its own.
func TestResultsAreTheSameForAnyParallelism(t *testing.T) {
	s := lookup(t, "raft-election")
	seeds := must(sweep.ParseSeeds("1-40"))
	one, err := sweep.Run(s, seeds, sweep.Options{Parallel: 1})
	require.NoError(t, err)
	four, err := sweep.Run(s, seeds, sweep.Options{Parallel: 4})
	require.NoError(t, err)

	require.Len(t, four.Runs, 40)
	assert.Equal(t, one.Runs, four.Runs)
	assert.Equal(t, one.Metrics, four.Metrics)
	var a, b bytes.Buffer
	require.NoError(t, sweep.WriteTable(&a, one.Metrics))
	require.NoError(t, sweep.WriteTable(&b, four.Metrics))
	assert.Equal(t, a.String(), b.String())

	for i, seed := range seeds {
		assert.Equal(t, seed, four.Runs[i].Seed, "runs are kept in seed order")
	}
	for _, i := range []int{0, 17, 39} {
		alone, err := scenarios.Execute(s, scenarios.Options{Seed: seeds[i]})
		require.NoError(t, err)
		assert.Equal(t, alone, four.Runs[i].Result, "seed %d's result is its own", seeds[i])
	}
	// The election time is a distribution, not a constant: the sweep
	// really ran different seeds.
	st := four.Metrics[0]
	require.Equal(t, "election_time", st.Name)
	assert.Less(t, st.Min, st.Max)
}

func TestFailingSeedsAreListedWithTheCommandThatReplaysThem(t *testing.T) {
	s := lookup(t, "test-fails-on-odd-seeds")
	sum, err := sweep.Run(s, must(sweep.ParseSeeds("1-6,9")), sweep.Options{Parallel: 3})
	require.NoError(t, err, "failed checks are results, not errors of the sweep")

	var seeds, replays []string
	for _, r := range sum.Failures() {
		seeds = append(seeds, fmt.Sprint(r.Seed))
		replays = append(replays, sum.Replay(r.Seed))
		assert.EqualError(t, r.Problem(), fmt.Sprintf("seed %d is odd", r.Seed))
	}
	assert.Equal(t, []string{"1", "3", "5", "9"}, seeds)
	assert.Equal(t, []string{
		"dsim run test-fails-on-odd-seeds --seed 1",
		"dsim run test-fails-on-odd-seeds --seed 3",
		"dsim run test-fails-on-odd-seeds --seed 5",
		"dsim run test-fails-on-odd-seeds --seed 9",
	}, replays)

	// The replay names whatever else the sweep ran with.
	opts := sweep.Options{For: 2 * time.Second, ScheduleFile: "faults.txt"}
	assert.Equal(t, "dsim run raft-election --seed 17 --for 2s --schedule faults.txt", sweep.ReplayCommand("raft-election", 17, opts))
}

func TestProgressIsReportedOncePerRun(t *testing.T) {
	s := lookup(t, "test-fails-on-odd-seeds")
	var got []sweep.Progress
	_, err := sweep.Run(s, must(sweep.ParseSeeds("1-25")), sweep.Options{Parallel: 4, Progress: func(p sweep.Progress) {
		got = append(got, p) // never called concurrently: no lock needed (the race detector checks)
	}})
	require.NoError(t, err)
	require.Len(t, got, 25)
	for i, p := range got {
		assert.Equal(t, i+1, p.Done)
		assert.Equal(t, 25, p.Total)
	}
	assert.Equal(t, 13, got[24].Failed, "odd seeds from 1 to 25 fail")
}

// A panic in one run (a broken invariant in the protocol under test) is
// that seed's failure, with its replay command; it does not end the sweep.
// A seed the scenario cannot be set up for makes Run return an error.
func TestPanicsAndSetupErrorsAreReportedBySeed(t *testing.T) {
	s := lookup(t, "test-sweep-trouble")
	sum, err := sweep.Run(s, []uint64{1, 2, 3, 4}, sweep.Options{Parallel: 2})
	require.NoError(t, err)
	failed := sum.Failures()
	require.Len(t, failed, 1)
	assert.Equal(t, uint64(3), failed[0].Seed)
	assert.ErrorIs(t, failed[0].Problem(), sweep.ErrPanic)
	assert.Contains(t, failed[0].Problem().Error(), "invariant broken on seed 3")

	sum, err = sweep.Run(s, []uint64{4, 5, 6}, sweep.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "seed 5: scenario test-sweep-trouble: no world for seed 5")
	assert.Len(t, sum.Runs, 3, "the runs that could run still did")

	_, err = sweep.Run(s, nil, sweep.Options{})
	assert.ErrorIs(t, err, sweep.ErrNoSeeds)
}
