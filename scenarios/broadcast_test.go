package scenarios

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

// Five nodes flood values over links that lose one message in five; the
// anti-entropy rounds repair the losses and every node ends with every value.
func TestBroadcastConvergesDespiteLoss(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		res := run(t, "broadcast", Options{Seed: seed})
		require.NoError(t, res.Err, "seed %d", seed)
		dropped, _ := res.Metric("messages_dropped")
		assert.Positive(t, dropped, "the network should have lost messages (seed %d)", seed)
		conv, ok := res.Metric("converge_time")
		require.True(t, ok)
		assert.Less(t, conv, 2.0, "five nodes should converge within two seconds (seed %d)", seed)
	}
}

// With the nodes knob the same gossip runs on big worlds: past 9 nodes a
// flood reaches 8 random peers, not all, and anti-entropy still brings
// every value everywhere. Messages grow in proportion to the nodes, not
// their square.
func TestBroadcastScalesWithNodes(t *testing.T) {
	sent := map[int]float64{}
	for _, n := range []int{2, 50, 400} {
		res := run(t, "broadcast", Options{Seed: 3, Knobs: Knobs{"nodes": fmt.Sprint(n)}})
		require.NoError(t, res.Err, "%d nodes", n)
		s, _ := res.Metric("messages_sent")
		sent[n] = s
	}
	assert.Less(t, sent[400], 8*sent[50]*2, "400 nodes send about 8 times what 50 do, not 64 times")
	_, err := Start(mustLookup(t, "broadcast"), Options{Knobs: Knobs{"nodes": "1"}})
	assert.ErrorIs(t, err, ErrBadKnob, "one node cannot gossip")
}

// A big world is as deterministic as a small one: 300 nodes (past the
// network's dense link table, with random flood targets) give the same
// trace for the same seed.
func TestBroadcastBigWorldIsDeterministic(t *testing.T) {
	hash := func(seed uint64) string {
		h := sim.NewHasher()
		res, err := Execute(mustLookup(t, "broadcast"), Options{Seed: seed, Tracer: h, Knobs: Knobs{"nodes": "300"}})
		require.NoError(t, err)
		require.NoError(t, res.Err)
		return h.Sum()
	}
	a := hash(7)
	assert.Equal(t, a, hash(7))
	assert.NotEqual(t, a, hash(8))
}

func mustLookup(t *testing.T, name string) Scenario {
	t.Helper()
	s, err := Lookup(name)
	require.NoError(t, err)
	return s
}
