package raft

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestChaos plays random fault schedules (crashes that lose unsynced
// writes, restarts, isolated nodes, lost and duplicated messages) against a
// cluster of one, three or five nodes under a stream of proposals, with snapshots kicking in.
// Throughout, the harness checks election safety after every event and
// state machine safety at every Apply. When the faults stop, the cluster
// must recover and commit a last command everywhere. rapid shrinks a failing
// schedule to a small one.
func TestChaos(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		cfg := DefaultConfig()
		cfg.SnapshotThreshold = rapid.IntRange(0, 20).Draw(rt, "snapshotThreshold")
		cfg.PreVote = rapid.Bool().Draw(rt, "preVote")
		cfg.CheckQuorum = rapid.Bool().Draw(rt, "checkQuorum")
		cfg.SnapshotTrailingEntries = rapid.IntRange(0, 10).Draw(rt, "trailingEntries")
		cfg.SnapshotChunkSize = rapid.IntRange(8, 256).Draw(rt, "chunkSize")
		cfg.MaxInflightAppends = rapid.IntRange(0, 3).Draw(rt, "maxInflight")
		size := rapid.SampledFrom([]int{1, 3, 5}).Draw(rt, "size")
		c := newCluster(rt, size, rapid.Uint64().Draw(rt, "seed"), cfg)
		playChaos(c, func(label string, lo, hi int) int { return rapid.IntRange(lo, hi).Draw(rt, label) })

		c.commit("end")
		// Let every node apply all that is committed (a retried "end" may
		// have committed twice).
		require.True(rt, c.w.RunUntil(func() bool {
			l := c.leader()
			if l == "" {
				return false
			}
			commit := c.node(l).commitIndex
			for _, id := range c.ids {
				if c.node(id).lastApplied != commit {
					return false
				}
			}
			return true
		}, 5*time.Second), "followers did not catch up")
		want := c.apps[c.ids[0]].commands()
		for _, id := range c.ids[1:] {
			require.Equal(rt, want, c.apps[id].commands(), "%s applied something else", id)
		}
	})
}

// playChaos plays a random fault schedule with proposals, drawing every
// choice from draw, then heals the network and restarts every node.
func playChaos(c *cluster, draw func(label string, lo, hi int) int) {
	c.net.loss = 0.05
	c.net.dup = 0.02
	steps := draw("steps", 5, 30)
	proposed := 0
	for i := range steps {
		id := c.ids[draw(fmt.Sprintf("node%d", i), 0, len(c.ids)-1)]
		switch draw(fmt.Sprintf("fault%d", i), 0, 4) {
		case 0:
			c.w.Crash(id)
		case 1:
			c.w.Restart(id)
		case 2:
			c.isolate(id)
		case 3:
			c.heal()
		case 4: // no fault this time
		}
		if l := c.leader(); l != "" {
			for range draw(fmt.Sprintf("proposals%d", i), 0, 3) {
				proposed++
				c.propose(l, fmt.Sprintf("p%d", proposed))
			}
		}
		c.w.RunFor(time.Duration(draw(fmt.Sprintf("wait%d", i), 1, 400)) * time.Millisecond)
	}
	c.heal()
	c.net.loss, c.net.dup = 0, 0
	for _, id := range c.ids {
		c.w.Restart(id)
	}
}

// Voting without the log check breaks safety under plain random faults.
// (The other two bugs need narrow timing: see broken_test.go for scripts.)
func TestBrokenVariantsBreakSafety(t *testing.T) {
	for _, bug := range []Bug{GrantsVotesWithoutLogCheck} {
		t.Run(bug.String(), func(t *testing.T) {
			for seed := uint64(1); seed <= 200; seed++ {
				cfg := DefaultConfig()
				cfg.PreVote, cfg.CheckQuorum = false, false
				c := newBrokenCluster(t, 5, seed, cfg, bug)
				c.tolerant = true
				rng := rand.New(rand.NewPCG(seed, 99))
				playChaos(c, func(_ string, lo, hi int) int { return lo + rng.IntN(hi-lo+1) })
				c.w.RunFor(2 * time.Second)
				if len(c.violations) > 0 {
					t.Logf("seed %d: %s", seed, c.violations[0])
					return
				}
			}
			t.Fatalf("no schedule broke %v", bug)
		})
	}
}
