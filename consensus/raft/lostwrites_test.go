package raft

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

// A node whose disk lost its tail (a live node salvaged after damage) may
// have forgotten an entry it acknowledged. If it voted, it could elect a
// leader missing that entry, though the entry was committed with its help.
// So it neither votes nor campaigns until a leader has brought it up to
// date.
func TestNodeThatLostWritesDoesNotVoteUntilCaughtUp(t *testing.T) {
	c := newCluster(t, 3, 1, DefaultConfig())
	lead := c.waitLeader()
	c.commit("a")
	c.waitApplied(c.ids, "a")
	others := c.others(lead)
	b, cc := others[0], others[1]

	// b's disk as it was after "a": what a salvage will leave it.
	old := map[string][]byte{}
	disk := c.w.Disk(b)
	for _, k := range disk.Keys() {
		old[k], _ = disk.Get(k)
	}

	// "b" commits on the leader and b; cc is cut off and never sees it.
	c.isolate(cc)
	c.commit("b")
	c.waitApplied([]sim.NodeID{lead, b}, "a", "b")

	// The leader and b stop; b comes back with only the old disk, marked.
	c.w.Crash(lead)
	c.w.Crash(b)
	for _, k := range disk.Keys() {
		disk.Delete(k)
	}
	for k, v := range old {
		disk.Put(k, v)
	}
	disk.Put(sim.LostWritesKey, []byte("test: the tail after \"a\" was cut"))
	disk.Sync()
	c.heal()
	c.w.Restart(b)

	// b and cc together hold no copy of "b". Were b to vote, cc (or b)
	// would lead and "b", committed, would be gone.
	c.w.RunFor(3 * time.Second)
	assert.Empty(t, c.leader(), "no leader while the only node holding every committed entry is down")
	assert.True(t, c.node(b).lostWrites)
	assert.Equal(t, "waiting for a leader", c.node(b).Inspect()["lostWrites"])

	// The old leader returns: cc votes for it, b still refuses.
	c.w.Restart(lead)
	assert.Equal(t, lead, c.waitLeader())
	c.commit("c")
	c.waitApplied(c.ids, "a", "b", "c")
	require.True(t, c.w.RunUntil(func() bool { return !c.node(b).lostWrites }, time.Second))
	_, marked := disk.Get(sim.LostWritesKey)
	assert.False(t, marked, "the mark is deleted once b caught up")

	// Caught up, b votes again: with the leader down, b and cc elect one.
	c.w.Crash(lead)
	next := c.waitLeaderAmong([]sim.NodeID{b, cc})
	assert.True(t, slices.Contains(others, next))
	c.commit("d")
	c.waitApplied(others, "a", "b", "c", "d")
}
