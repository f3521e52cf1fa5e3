package raft

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

func TestInitialElection(t *testing.T) {
	for _, size := range []int{1, 3, 5} {
		t.Run(fmt.Sprintf("nodes=%d", size), func(t *testing.T) {
			seeds(t, func(t *testing.T, seed uint64) {
				c := newCluster(t, size, seed, DefaultConfig())
				leader := c.waitLeader()
				// Give the others time to hear from the leader, then watch a
				// quiet cluster: no further elections should happen.
				c.w.RunFor(300 * time.Millisecond)
				term := c.node(leader).term
				elections := c.elections
				c.w.RunFor(3 * time.Second)

				assert.Equal(t, elections, c.elections, "a quiet cluster held another election")
				for _, id := range c.ids {
					s := c.node(id).Status()
					assert.Equal(t, term, s.Term, "%s disagrees on the term", id)
					assert.Equal(t, leader, s.Leader, "%s disagrees on the leader", id)
					assert.Equal(t, id == leader, s.Role == Leader)
				}
			})
		})
	}
}

func TestReElectionAfterLeaderCrash(t *testing.T) {
	seeds(t, func(t *testing.T, seed uint64) {
		c := newCluster(t, 5, seed, DefaultConfig())
		old := c.waitLeader()
		oldTerm := c.node(old).term
		c.w.Crash(old)

		next := c.waitLeader()
		assert.NotEqual(t, old, next)
		assert.Greater(t, c.node(next).term, oldTerm)

		// The old leader comes back as a follower of the new one.
		c.w.Restart(old)
		c.w.RunFor(time.Second)
		assert.Equal(t, next, c.leader())
		s := c.node(old).Status()
		assert.Equal(t, Follower, s.Role)
		assert.Equal(t, next, s.Leader)
		assert.Equal(t, c.node(next).term, s.Term)
	})
}

func TestNoLeaderWithoutQuorum(t *testing.T) {
	cases := []struct {
		name         string
		preVote      bool
		termsAdvance bool // do the survivors' terms keep growing?
	}{
		{"prevote", true, false}, // pre-votes fail, so no one bumps its term
		{"no-prevote", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seeds(t, func(t *testing.T, seed uint64) {
				cfg := DefaultConfig()
				cfg.PreVote = tc.preVote
				c := newCluster(t, 5, seed, cfg)
				leader := c.waitLeader()
				crashed := append([]sim.NodeID{leader}, c.others(leader)[:2]...)
				for _, id := range crashed {
					c.w.Crash(id)
				}
				survivors := c.others(crashed...)
				c.w.RunFor(300 * time.Millisecond) // both survivors time out at least once
				term := c.node(survivors[0]).term
				elections := c.elections
				c.w.RunFor(3 * time.Second)

				assert.Equal(t, elections, c.elections, "a minority elected a leader")
				assert.Equal(t, sim.NodeID(""), c.leader())
				if tc.termsAdvance {
					assert.Greater(t, c.node(survivors[0]).term, term)
				} else {
					assert.Equal(t, term, c.node(survivors[0]).term)
				}

				// One more node makes a majority again.
				c.w.Restart(crashed[1])
				c.waitLeader()
			})
		})
	}
}

func TestBasicAgreement(t *testing.T) {
	for _, size := range []int{1, 3, 5} {
		t.Run(fmt.Sprintf("nodes=%d", size), func(t *testing.T) {
			seeds(t, func(t *testing.T, seed uint64) {
				c := newCluster(t, size, seed, DefaultConfig())
				want := cmds("x", 20)
				c.proposeAll(want...)
				c.waitApplied(c.ids, want...)
				for _, id := range c.ids {
					assert.Equal(t, want, c.apps[id].commands(), "%s", id)
				}
			})
		})
	}
}

func TestProposeToFollowerNamesLeader(t *testing.T) {
	c := newCluster(t, 3, 1, DefaultConfig())
	leader := c.waitLeader()
	c.w.RunFor(100 * time.Millisecond)
	follower := c.others(leader)[0]
	require.NoError(t, c.w.Exec(follower, func(n sim.Node, env sim.Env) {
		_, ok, hint := n.(*Node).Propose(env, []byte("x"))
		assert.False(t, ok)
		assert.Equal(t, leader, hint)
	}))
}

func TestFailures(t *testing.T) {
	cases := []struct {
		name  string
		crash func(c *cluster) sim.NodeID // returns the node to crash
	}{
		{"follower", func(c *cluster) sim.NodeID { return c.others(c.leader())[0] }},
		{"leader", func(c *cluster) sim.NodeID { return c.leader() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seeds(t, func(t *testing.T, seed uint64) {
				c := newCluster(t, 3, seed, DefaultConfig())
				before, during, after := cmds("a", 5), cmds("b", 5), cmds("c", 5)
				c.proposeAll(before...)
				c.waitApplied(c.ids, before...)

				down := tc.crash(c)
				c.w.Crash(down)
				c.proposeAll(during...)
				c.waitApplied(c.others(down), during...)

				// The crashed node comes back with an empty state machine
				// and learns everything again.
				c.w.Restart(down)
				c.proposeAll(after...)
				all := append(append(append([]string{}, before...), during...), after...)
				c.waitApplied(c.ids, all...)
				for _, id := range c.ids {
					assert.Equal(t, all, c.apps[id].commands(), "%s", id)
				}
			})
		})
	}
}

// The seed chapter's exercise: the leader loses the network, a new one is
// elected, the old one rejoins.
func TestPartitionedLeaderRejoins(t *testing.T) {
	seeds(t, func(t *testing.T, seed uint64) {
		c := newCluster(t, 5, seed, DefaultConfig())
		c.proposeAll("a")
		c.waitApplied(c.ids, "a")
		old := c.leader()
		c.isolate(old)

		// The cut-off leader still accepts commands; they can never commit.
		for _, cmd := range cmds("lost", 3) {
			_, ok := c.propose(old, cmd)
			require.True(t, ok)
		}
		// CheckQuorum: it steps down by itself within about two election
		// timeouts, without hearing of a newer term.
		oldTerm := c.node(old).term
		require.True(t, c.w.RunUntil(func() bool { return c.node(old).role != Leader }, 400*time.Millisecond))
		assert.Equal(t, oldTerm, c.node(old).term)

		next := c.waitLeaderAmong(c.others(old))
		c.proposeAll(cmds("b", 5)...)
		c.waitApplied(c.others(old), cmds("b", 5)...)

		c.heal()
		c.waitApplied(c.ids, cmds("b", 5)...)
		c.w.RunFor(200 * time.Millisecond)
		s := c.node(old).Status()
		assert.Equal(t, Follower, s.Role)
		assert.Equal(t, c.node(next).term, s.Term)
		assert.Equal(t, logOf(c.node(next)), logOf(c.node(old)), "logs did not converge")
		assert.Equal(t, append([]string{"a"}, cmds("b", 5)...), c.apps[old].commands(),
			"the uncommitted commands of the old leader were applied")
	})
}

// A follower far behind with a long conflicting suffix is brought in line in
// a few round trips, not one per entry.
func TestFastBackup(t *testing.T) {
	seeds(t, func(t *testing.T, seed uint64) {
		c := newCluster(t, 5, seed, DefaultConfig())
		c.proposeAll("a")
		c.waitApplied(c.ids, "a")
		old := c.leader()
		buddy := c.others(old)[0]
		minority := []sim.NodeID{old, buddy}
		majority := c.others(minority...)
		c.partition(minority, majority)

		// 50 entries the majority never sees: old and buddy store them.
		const conflicting = 50
		for _, cmd := range cmds("lost", conflicting) {
			_, ok := c.propose(old, cmd)
			require.True(t, ok)
		}
		c.w.RunFor(20 * time.Millisecond)
		require.GreaterOrEqual(t, len(c.node(buddy).log.entries), conflicting)

		// The majority moves on by 30 entries, then changes leader, so the
		// next leader starts probing the minority from the end of its long
		// log.
		first := c.waitLeaderAmong(majority)
		c.proposeAll(cmds("b", 30)...)
		c.waitApplied(majority, cmds("b", 30)...)
		rejections := 0
		c.sends = func(r *sim.Record) {
			if m, ok := r.Msg.(AppendEntriesReply); ok && !m.Success && (r.From == old || r.From == buddy) {
				rejections++
			}
		}
		c.w.Crash(first)
		c.heal()
		next := c.waitLeaderAmong(c.others(append(minority, first)...))
		c.w.Restart(first)
		c.waitApplied(c.ids, cmds("b", 30)...)
		c.w.RunFor(100 * time.Millisecond)
		assert.Equal(t, logOf(c.node(next)), logOf(c.node(buddy)))
		assert.Equal(t, logOf(c.node(next)), logOf(c.node(old)))
		// Backing up one entry per rejection would take over 30 rejections
		// for each of the two followers.
		assert.Positive(t, rejections, "the followers never disagreed: the test lost its point")
		assert.LessOrEqual(t, rejections, 6, "backing up took %d rejections", rejections)
		t.Logf("%d rejections to back two followers up over 30+ conflicting entries", rejections)
	})
}

func TestPersistence(t *testing.T) {
	for _, size := range []int{1, 3} {
		t.Run(fmt.Sprintf("nodes=%d", size), func(t *testing.T) { testPersistence(t, size) })
	}
}

func testPersistence(t *testing.T, size int) {
	seeds(t, func(t *testing.T, seed uint64) {
		c := newCluster(t, size, seed, DefaultConfig())
		first := cmds("a", 10)
		c.proposeAll(first...)
		c.waitApplied(c.ids, first...)
		term := c.node(c.leader()).term
		logs := map[sim.NodeID][]string{}
		for _, id := range c.ids {
			logs[id] = logOf(c.node(id))
			c.w.Crash(id)
		}
		c.w.RunFor(time.Second)
		for _, id := range c.ids {
			c.w.Restart(id)
		}
		c.w.RunFor(time.Millisecond) // run the Starts
		for _, id := range c.ids {
			s := c.node(id).Status()
			assert.GreaterOrEqual(t, s.Term, term, "%s forgot its term", id)
			assert.Equal(t, logs[id], logOf(c.node(id)), "%s lost log entries", id)
			assert.Zero(t, s.LastApplied, "%s applied before learning what is committed", id)
		}
		// Everything is applied again, in the same order, then new commands.
		second := cmds("b", 5)
		c.proposeAll(second...)
		c.waitApplied(c.ids, append(first, second...)...)
	})
}

func TestSnapshots(t *testing.T) {
	seeds(t, func(t *testing.T, seed uint64) {
		cfg := DefaultConfig()
		cfg.SnapshotThreshold = 8
		cfg.SnapshotTrailingEntries = 0 // so that a follower 30 entries behind needs the snapshot
		cfg.SnapshotChunkSize = 64      // and it travels in many chunks
		c := newCluster(t, 3, seed, cfg)
		first := cmds("a", 30)
		c.proposeAll(first...)
		c.waitApplied(c.ids, first...)
		for _, id := range c.ids {
			s := c.node(id).Status()
			assert.Positive(t, s.SnapshotIndex, "%s never compacted", id)
			assert.LessOrEqual(t, len(s.Log), cfg.SnapshotThreshold+1, "%s keeps %d entries", id, len(s.Log))
		}

		// A follower misses so much that the leader no longer has the entries.
		lagging := c.others(c.leader())[0]
		c.w.Crash(lagging)
		second := cmds("b", 30)
		c.proposeAll(second...)
		c.waitApplied(c.others(lagging), second...)
		installs, chunks := 0, 0
		c.sends = func(r *sim.Record) {
			if m, ok := r.Msg.(InstallSnapshot); ok && r.To == lagging {
				chunks++
				assert.LessOrEqual(t, len(m.Data), cfg.SnapshotChunkSize)
				if m.Done {
					installs++
				}
			}
		}
		c.w.Restart(lagging)
		all := append(append([]string{}, first...), second...)
		c.waitApplied(c.ids, all...)
		assert.Positive(t, installs, "the lagging follower was not sent a snapshot")
		assert.Greater(t, chunks, installs, "the snapshot was not sent in chunks")
		assert.Equal(t, all, c.apps[lagging].commands())

		// Restart everyone: each restores its snapshot before anything else.
		for _, id := range c.ids {
			c.w.Crash(id)
		}
		for _, id := range c.ids {
			c.w.Restart(id)
		}
		// Step until each has started, and look before anything else
		// arrives (a message sent before the crash may be in flight).
		started := func() bool {
			for _, id := range c.ids {
				if c.node(id).Status().ID != id {
					return false
				}
			}
			return true
		}
		for !started() {
			require.True(t, c.w.Step())
		}
		for _, id := range c.ids {
			s := c.node(id).Status()
			require.Positive(t, s.SnapshotIndex)
			assert.Equal(t, s.SnapshotIndex, s.LastApplied, "%s", id)
			assert.Equal(t, s.SnapshotIndex, s.CommitIndex, "%s", id)
			applied := c.apps[id].applied
			require.NotEmpty(t, applied, "%s did not restore its snapshot", id)
			assert.LessOrEqual(t, applied[len(applied)-1].Index, s.SnapshotIndex)
		}
		third := cmds("c", 5)
		c.proposeAll(third...)
		c.waitApplied(c.ids, append(all, third...)...)
	})
}

// runScript plays a fixed story with faults and returns the trace hash.
func runScript(t *testing.T, seed uint64) string {
	h := sim.NewHasher()
	c := newCluster(t, 5, seed, DefaultConfig())
	c.w = nil // rebuilt below with the hasher as tracer
	w := sim.NewWorld(sim.Config{Seed: seed, Network: c.net, Tracer: h, LoseUnsyncedWrites: true})
	c.w = w
	c.apps = map[sim.NodeID]*recorder{}
	for _, id := range c.ids {
		w.AddNode(id, func() sim.Node {
			app := &recorder{c: c, id: id}
			c.apps[id] = app
			return New(DefaultConfig(), app)
		})
	}
	c.proposeAll(cmds("a", 10)...)
	old := c.leader()
	c.isolate(old)
	c.w.RunFor(time.Second)
	c.proposeAll(cmds("b", 10)...)
	c.heal()
	c.w.Crash(c.leader())
	c.w.RunFor(time.Second)
	c.proposeAll(cmds("c", 10)...)
	c.w.RunFor(time.Second)
	return h.Sum()
}

func TestDeterminism(t *testing.T) {
	a, b := runScript(t, 7), runScript(t, 7)
	assert.Equal(t, a, b, "same seed, different trace")
	assert.NotEqual(t, a, runScript(t, 8), "different seeds, same trace")
}
