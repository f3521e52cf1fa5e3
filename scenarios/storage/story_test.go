package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
)

// Adding or removing one of ten nodes moves about a tenth of the keys, all
// to the new node or from the removed one; modulo hashing moves nearly all.
// Virtual nodes even out the load.
func TestConsistentHashingMovesAboutOneNth(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "consistent-hashing", scenarios.Options{Seed: seed})
		require.NoError(t, res.Err, "seed %d", seed)
		assert.InDelta(t, 1.0/11, metric(t, res, "moved_add_v128"), 0.03, "seed %d", seed)
		assert.InDelta(t, 1.0/10, metric(t, res, "moved_remove_v128"), 0.03, "seed %d", seed)
		assert.Greater(t, metric(t, res, "moved_add_modulo"), 0.85, "modulo hashing reshuffles almost everything")
		assert.Greater(t, metric(t, res, "max_over_mean_v1"), 1.3, "one point per node is lopsided (seed %d)", seed)
		assert.Less(t, metric(t, res, "max_over_mean_v128"), 1.2, "128 vnodes per node are close to even (seed %d)", seed)
	}
}

// Exercise 3: with W=2, R=2 the store stays available with a node down and
// never returns a stale read; with W=1, R=1 it does.
func TestQuorumKVOverlapPreventsStaleReads(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "quorum-kv", scenarios.Options{Seed: seed})
		require.NoError(t, res.Err, "seed %d", seed)
		assert.Greater(t, metric(t, res, "availability_down"), 0.95, "seed %d", seed)
		assert.Zero(t, metric(t, res, "stale_reads"), "seed %d", seed)
		assert.Positive(t, metric(t, res, "stale_reads_w1r1"), "seed %d", seed)
		assert.Greater(t, metric(t, res, "reads"), 200.0, "enough reads to mean something (seed %d)", seed)
		assert.Contains(t, strings.Join(res.Summary, "\n"), "W+R > N")
	}
}

// W+R>N reads are not linearizable; ABD reads are. The timeline of the
// failing history is written to the artifact directory.
func TestQuorumReadsAreNotLinearizableWithoutWriteBack(t *testing.T) {
	for _, seed := range fiveSeeds {
		dir := t.ArtifactDir()
		res := run(t, "quorum-linearizability", scenarios.Options{Seed: seed, ArtifactDir: dir})
		require.NoError(t, res.Err, "seed %d", seed)
		assert.Zero(t, metric(t, res, "linearizable_quorum"))
		assert.Equal(t, 1.0, metric(t, res, "linearizable_abd"))
		summary := strings.Join(res.Summary, "\n")
		assert.Contains(t, summary, "not linearizable")
		page, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("quorum-linearizability-seed-%d.html", seed)))
		require.NoError(t, err)
		assert.Contains(t, string(page), "get(")
	}
}

// Exercise 1: under the same partition Raft answers nothing on the
// minority side and nothing stale anywhere; the sloppy-quorum store
// answers on both sides, stale.
func TestCAPUnderPartition(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "cap", scenarios.Options{Seed: seed})
		require.NoError(t, res.Err, "seed %d", seed)
		assert.Zero(t, metric(t, res, "cp_availability_minority"), "seed %d", seed)
		assert.Greater(t, metric(t, res, "cp_availability_majority"), 0.9, "seed %d", seed)
		assert.Zero(t, metric(t, res, "cp_staleness_majority"), "seed %d", seed)
		assert.Greater(t, metric(t, res, "ap_availability_minority"), 0.9, "seed %d", seed)
		assert.Greater(t, metric(t, res, "ap_availability_majority"), 0.9, "seed %d", seed)
		assert.Greater(t, metric(t, res, "ap_staleness_minority"), 0.5, "the minority cannot see the majority's writes (seed %d)", seed)
		assert.Positive(t, metric(t, res, "ap_sibling_reads_after_heal"), "concurrent writes come back as siblings after the heal (seed %d)", seed)
	}
}

// The staleness analysis itself: a read that returns a value overwritten
// before it began is stale; one that overlaps the newer write is not.
func TestStaleReadsByRealTime(t *testing.T) {
	ops := []access{
		{client: "a", put: true, key: "k", value: "1", call: 0, ret: 10, ok: true},
		{client: "a", put: true, key: "k", value: "2", call: 20, ret: 30, ok: true},
		{client: "b", key: "k", value: "1", call: 25, ret: 26, ok: true}, // during write 2: fine
		{client: "b", key: "k", value: "1", call: 40, ret: 41, ok: true}, // after write 2: stale
		{client: "b", key: "k", value: "2", call: 50, ret: 51, ok: true},
		{client: "b", key: "k", value: "", call: 60, ret: 61, ok: true}, // nothing: stale
	}
	stale, reads := staleReads(ops)
	require.Equal(t, 4, reads)
	require.Len(t, stale, 2)
	assert.Equal(t, 40, int(stale[0].read.call))
	assert.Equal(t, "2", stale[0].missed.value)
	assert.Equal(t, 60, int(stale[1].read.call))
}

// The learner's schedule crashes a second replica: availability with n3
// down is no longer the lesson, and the run says so instead of failing; the
// safety promise of overlapping quorums (no stale read) is still checked.
// The same holds for cap when a schedule crashes a node of the minority.
func TestAScheduleThatChangesTheStoryIsNotAFailure(t *testing.T) {
	sched, err := network.ParseSchedule(strings.NewReader("1500ms crash n2\n"))
	require.NoError(t, err)
	for _, name := range []string{"quorum-kv", "cap"} {
		res := run(t, name, scenarios.Options{Seed: 1, Schedule: sched})
		require.NoError(t, res.Err, name)
		summary := strings.Join(res.Summary, "\n")
		assert.Contains(t, summary, "your schedule added 1 fault event", name)
		assert.Contains(t, summary, "the scripted lesson's checks are skipped", name)
	}
	res := run(t, "quorum-kv", scenarios.Options{Seed: 1, Schedule: sched})
	assert.Zero(t, metric(t, res, "stale_reads"))
}
