package raft

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestChaos plays random fault schedules (crashes that lose unsynced
// writes, restarts, isolated nodes, lost and duplicated messages) against a
// five-node cluster under a stream of proposals, with snapshots kicking in.
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
		c := newCluster(rt, 5, rapid.Uint64().Draw(rt, "seed"), cfg)
		c.net.loss = 0.05
		c.net.dup = 0.02

		steps := rapid.IntRange(5, 30).Draw(rt, "steps")
		proposed := 0
		for i := range steps {
			id := c.ids[rapid.IntRange(0, len(c.ids)-1).Draw(rt, fmt.Sprintf("node%d", i))]
			switch rapid.IntRange(0, 4).Draw(rt, fmt.Sprintf("fault%d", i)) {
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
				for range rapid.IntRange(0, 3).Draw(rt, fmt.Sprintf("proposals%d", i)) {
					proposed++
					c.propose(l, fmt.Sprintf("p%d", proposed))
				}
			}
			c.w.RunFor(time.Duration(rapid.IntRange(1, 400).Draw(rt, fmt.Sprintf("wait%d", i))) * time.Millisecond)
		}

		c.heal()
		c.net.loss, c.net.dup = 0, 0
		for _, id := range c.ids {
			c.w.Restart(id)
		}
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
		c.waitApplied(c.ids, "end")
		rt.Logf("events %d, virtual %v, proposed %d, applied %d", c.w.Stats().Events, c.w.Now(), proposed, len(c.apps[c.ids[0]].applied))
		want := c.apps[c.ids[0]].commands()
		for _, id := range c.ids[1:] {
			require.Equal(rt, want, c.apps[id].commands(), "%s applied something else", id)
		}
	})
}
