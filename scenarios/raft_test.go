package scenarios

import (
	"strings"
	"testing"

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
		assert.Regexp(t, `n\d wins term 4 with its own vote and n\d's and n\d's`, summary, "a majority of three elects the new leader")
		assert.Contains(t, summary, "heard term 4 and stepped down to follower")
		elect, _ := res.Metric("election_time")
		assert.Less(t, elect, 1.0, "a new leader within five election timeouts of losing n1 (seed %d)", seed)
		stepdown, _ := res.Metric("stepdown_delay")
		assert.Less(t, stepdown, 0.1, "n1 steps down as soon as it hears the new term (seed %d)", seed)
	}
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
