package scenarios

import (
	"strings"
	"testing"

	"github.com/dsimlab/dsim/network"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fiveSeeds = []uint64{1, 2, 3, 4, 5}

// Exercise 2 of the course: n1 leads term 3, loses its network, the others
// elect a leader of term 4 by majority, and n1 steps down when it rejoins.
func TestRaftElectionTellsTheExerciseStory(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "raft-election", Options{Seed: seed})
		require.NoError(t, res.Err, "seed %d", seed)
		summary := strings.Join(res.Summary, "\n")
		assert.Contains(t, summary, "n1 became leader of term 3")
		assert.Regexp(t, `n\d became leader of term 4 with [345] of 5 votes \(itself, n\d, n\d`, summary, "a majority of three elects the new leader")
		assert.Contains(t, summary, "from 1000.000ms to 3000.000ms n1 could not reach a majority, yet went on believing it led term 3")
		assert.Contains(t, summary, "n1, leader of term 3, heard of term 4 and stepped down to follower")
		assert.Contains(t, summary, "the run followed the script, so the lesson is checked")
		elect, _ := res.Metric("election_time")
		assert.Less(t, elect, 1.0, "a new leader within five election timeouts of losing n1 (seed %d)", seed)
		stepdown, _ := res.Metric("stepdown_delay")
		assert.Less(t, stepdown, 0.1, "n1 steps down as soon as it hears the new term (seed %d)", seed)
	}
}

// The learner's own schedule changes the story: n1 is cut off at 150ms
// and healed at 500ms, long before the scenario's own cut at 1s. The
// summary tells what happened in this run (n1 deposed at about 450ms, then
// cut off again as a follower), never the scripted story, and the run does
// not fail for the lesson the schedule made impossible.
func TestRaftElectionNarratesTheLearnersSchedule(t *testing.T) {
	sched, err := network.ParseSchedule(strings.NewReader("150ms isolate n1\n500ms heal\n"))
	require.NoError(t, err)
	res := run(t, "raft-election", Options{Seed: 1, Schedule: sched})
	require.NoError(t, res.Err)
	summary := strings.Join(res.Summary, "\n")
	for _, want := range []string{
		"n1 became leader of term 3",
		"150.000ms  fault (your schedule): isolate n1",
		"from 150.000ms to 500.000ms n1 could not reach a majority, yet went on believing it led term 3",
		"n1, leader of term 3, heard of term 4 and stepped down to follower",
		"1000.000ms  fault (the scenario): isolate n1",
		"your schedule added 2 faults",
		"safety (at most one leader per term) was checked",
	} {
		assert.Contains(t, summary, want)
	}
	assert.Regexp(t, `\d+\.\d+ms  n\d became leader of term 4 with 3 of 5 votes`, summary)
	assert.NotContains(t, summary, "at 1s n1 lost its network; it kept believing it was the leader", "that was the scripted story, false here")
	assert.NotContains(t, summary, "the lesson is checked")
	assert.Regexp(t, `at the end: n1 follows (n\d) in term 4;.*n\d leads term 4`, summary)
}

// Knobs change the story, and the narration follows what happened.
func TestRaftElectionStorySurvivesKnobs(t *testing.T) {
	res := run(t, "raft-election", Options{Seed: 1, Knobs: Knobs{"checkquorum": "true"}})
	require.NoError(t, res.Err)
	summary := strings.Join(res.Summary, "\n")
	assert.Contains(t, summary, "n1, leader of term 3, stepped down: it had not heard from a majority for an election timeout (CheckQuorum)")
	assert.NotContains(t, summary, "went on believing", "with CheckQuorum n1 noticed by itself")

	res = run(t, "raft-election", Options{Seed: 1, Knobs: Knobs{"nodes": "3"}})
	require.NoError(t, res.Err)
	assert.Contains(t, strings.Join(res.Summary, "\n"), "with 2 of 3 votes")
}

// The leader crashes under load: a new leader takes over quickly, and no
// acknowledged write is lost; the history is linearizable.
//
// Porcupine's timeline of each run, with the crash marked, is kept in the
// test's artifact directory (go test -artifacts).
func TestRaftFailoverLosesNoAcknowledgedWrite(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "raft-failover", Options{Seed: seed, ArtifactDir: t.ArtifactDir()})
		require.NoError(t, res.Err, "seed %d", seed)
		summary := strings.Join(res.Summary, "\n")
		assert.Contains(t, summary, "no acknowledged write lost")
		assert.Contains(t, summary, "is linearizable")
		assert.Contains(t, summary, "linearizability timeline (open in a browser): ")
		failover, _ := res.Metric("failover_time")
		assert.Less(t, failover, 1.0, "seed %d", seed)
		ops, _ := res.Metric("ops_completed")
		assert.Greater(t, ops, 1000.0, "clients keep working around the crash (seed %d)", seed)
	}
}

// A leader cut off in a minority commits nothing new; the majority elects
// another and keeps serving; after healing the logs converge.
func TestRaftPartitionMinorityCannotCommit(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "raft-partition", Options{Seed: seed})
		require.NoError(t, res.Err, "seed %d", seed)
		minority, _ := res.Metric("minority_ops_during_partition")
		majority, _ := res.Metric("majority_ops_during_partition")
		late, _ := res.Metric("c1_ops_after_heal")
		assert.LessOrEqual(t, minority, 1.0, "at most the one request already committed before the cut")
		assert.Greater(t, majority, 100.0, "the majority side keeps serving")
		assert.Positive(t, late, "c1 gets through once the partition heals")
		assert.Contains(t, strings.Join(res.Summary, "\n"), "every log converged")
	}
}

// A learner's schedule that crashes a majority makes raft-failover's and
// raft-partition's lessons impossible: the runs say so and pass, and their
// safety checks (one leader per term, no acknowledged write lost, a
// linearizable history) still ran.
func TestRaftScenariosDoNotFailForAnImpossibleLesson(t *testing.T) {
	sched, err := network.ParseSchedule(strings.NewReader("1500ms crash n1\n1500ms crash n2\n1500ms crash n3\n"))
	require.NoError(t, err)
	for _, name := range []string{"raft-failover", "raft-partition"} {
		res := run(t, name, Options{Seed: 1, Schedule: sched})
		require.NoError(t, res.Err, name)
		summary := strings.Join(res.Summary, "\n")
		assert.Contains(t, summary, "your schedule added 3 fault events", name)
		assert.Contains(t, summary, "the scripted lesson's checks are skipped", name)
		assert.Contains(t, summary, "is linearizable", name)
	}
}
