package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

// scriptConfig is for scripted runs: plain Raft, entries sent one at a time,
// and timers slow enough that only the script starts elections.
func scriptConfig() Config {
	return Config{ElectionTimeout: time.Second, HeartbeatInterval: 100 * time.Millisecond, MaxEntriesPerAppend: 1}
}

func newScriptCluster(t *testing.T, size int, bug Bug) *cluster {
	c := newBrokenCluster(t, size, 1, scriptConfig(), bug)
	c.net.jitter = 0 // every message takes exactly 1ms
	c.tolerant = true
	c.w.RunFor(time.Millisecond) // boot
	return c
}

// Figure 8 played on a five-node cluster. A leader of term 3 brings an
// entry of term 1 to a majority and, if it commits by counting replicas,
// commits it; a node that never had it then wins term 4 and overwrites it.
func TestFigure8Cluster(t *testing.T) {
	cases := []struct {
		name string
		bug  Bug
	}{
		{"correct", 0},
		{"broken", CommitsEarlierTermByCounting},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newScriptCluster(t, 5, tc.bug)
			n1, n2, n3, n4, n5 := c.ids[0], c.ids[1], c.ids[2], c.ids[3], c.ids[4]

			// (a) n1 leads term 1 and gets entry 2 ("x") to n2 only.
			c.campaign(n1)
			c.w.RunFor(10 * time.Millisecond)
			require.Equal(t, n1, c.leader())
			c.partition([]sim.NodeID{n1}, []sim.NodeID{n3, n4, n5})
			c.propose(n1, "x")
			c.w.RunFor(5 * time.Millisecond)
			require.Equal(t, []string{"snap 0:0", "1:1", "2:1"}, logOf(c.node(n2)))

			// (b) n1 crashes; n5 wins term 2 with n3 and n4, appends its
			// no-op at index 2 and crashes before sending it.
			c.w.Crash(n1)
			c.heal()
			c.campaign(n5)
			c.w.RunFor(1500 * time.Microsecond) // the votes are on their way back
			c.cutLink(n5, n1, n2, n3, n4)
			c.w.RunFor(time.Millisecond)
			require.Equal(t, n5, c.leaders[2])
			c.w.Crash(n5)
			c.heal()

			// (c) n1 returns and wins term 3 (term 2 is taken). It brings
			// entry 2 to n3 and n4, but they never see entry 3, its no-op.
			c.w.Restart(n1)
			c.w.RunFor(time.Millisecond)
			c.campaign(n1)
			c.w.RunFor(3 * time.Millisecond)
			c.campaign(n1)
			c.w.RunFor(4500 * time.Microsecond)
			require.Equal(t, n1, c.leaders[3])
			c.cutLink(n1, n2, n3, n4)
			c.w.RunFor(2 * time.Millisecond)
			require.Equal(t, []string{"snap 0:0", "1:1", "2:1"}, logOf(c.node(n3)))
			if tc.bug == 0 {
				assert.Zero(t, c.node(n1).commitIndex, "entry 2 is of an earlier term: it must not commit yet")
			} else {
				assert.Equal(t, uint64(2), c.node(n1).commitIndex, "the bug: entry 2 committed by counting")
			}
			c.w.Crash(n1)
			c.heal()

			// (d) n5 returns and wins term 4 with n3 and n4: its log ends in
			// term 2, theirs in term 1. It overwrites entry 2.
			c.w.Restart(n5)
			c.w.RunFor(time.Millisecond)
			c.campaign(n5)
			c.w.RunFor(3 * time.Millisecond)
			c.campaign(n5)
			c.w.RunFor(50 * time.Millisecond)
			require.Equal(t, n5, c.leaders[4])
			assert.Equal(t, []string{"snap 0:0", "1:1", "2:2", "3:4"}, logOf(c.node(n3)))

			if tc.bug == 0 {
				assert.Empty(t, c.violations)
			} else {
				require.NotEmpty(t, c.violations)
				assert.Contains(t, c.violations[0], "committed index 2 with term 2, committed before with term 1")
			}
		})
	}
}

// A voter that forgets its vote across a restart votes twice in one term,
// and two candidates become leaders of the same term.
func TestForgottenVoteElectsTwoLeaders(t *testing.T) {
	cases := []struct {
		name string
		bug  Bug
	}{
		{"correct", 0},
		{"broken", ForgetsVotedFor},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newScriptCluster(t, 3, tc.bug)
			n1, n2, n3 := c.ids[0], c.ids[1], c.ids[2]

			// n1 and n2 cannot talk. n1 wins term 1 with n3's vote; its
			// first AppendEntries never reaches n3.
			c.partition([]sim.NodeID{n1}, []sim.NodeID{n2})
			c.campaign(n1)
			c.w.RunFor(1500 * time.Microsecond)
			c.cutLink(n1, n3)
			c.w.RunFor(time.Millisecond)
			require.Equal(t, n1, c.leaders[1])

			// n3 restarts and n2 asks it for a vote in the same term 1.
			c.w.Crash(n3)
			c.w.Restart(n3)
			c.w.RunFor(time.Millisecond)
			c.campaign(n2)
			c.w.RunFor(5 * time.Millisecond)

			assert.Equal(t, uint64(1), c.node(n2).term)
			if tc.bug == 0 {
				assert.Equal(t, Candidate, c.node(n2).role)
				assert.Empty(t, c.violations)
			} else {
				require.NotEmpty(t, c.violations)
				assert.Contains(t, c.violations[0], "two leaders in term 1")
			}
		})
	}
}
