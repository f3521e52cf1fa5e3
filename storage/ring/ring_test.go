package ring_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/ring"
)

// genRing draws a ring of 1 to 8 nodes (names from a small pool, so that
// tests can add a fresh one) with 1 to 32 virtual nodes each.
func genRing(t *rapid.T) (*ring.Ring, []sim.NodeID) {
	vnodes := rapid.IntRange(1, 32).Draw(t, "vnodes")
	count := rapid.IntRange(1, 8).Draw(t, "nodes")
	r, err := ring.New(vnodes)
	require.NoError(t, err)
	var nodes []sim.NodeID
	for i := range count {
		id := sim.NodeID(fmt.Sprintf("n%d", i+1))
		require.NoError(t, r.Add(id))
		nodes = append(nodes, id)
	}
	return r, nodes
}

var genKey = rapid.StringMatching(`[a-z0-9]{1,12}`)

func TestPreferenceListIsNDistinctNodesOfTheRing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, nodes := genRing(t)
		key := genKey.Draw(t, "key")
		n := rapid.IntRange(1, len(nodes)).Draw(t, "n")
		pref, err := r.PreferenceList(key, n)
		require.NoError(t, err)
		require.Len(t, pref, n)
		seen := map[sim.NodeID]bool{}
		for _, p := range pref {
			require.False(t, seen[p], "%s twice in %v", p, pref)
			require.Contains(t, nodes, p)
			seen[p] = true
		}
		owner, err := r.Owner(key)
		require.NoError(t, err)
		require.Equal(t, owner, pref[0], "the first of the preference list owns the key")
		succ := r.Successors(key)
		require.Len(t, succ, len(nodes), "the walk meets every node once")
		require.Equal(t, pref, succ[:n], "a preference list is a prefix of the walk")
	})
}

func TestRemovingANodeMovesOnlyItsOwnKeys(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, nodes := genRing(t)
		if len(nodes) < 2 {
			return
		}
		gone := rapid.SampledFrom(nodes).Draw(t, "removed")
		keys := rapid.SliceOfN(genKey, 1, 50).Draw(t, "keys")
		before := map[string]sim.NodeID{}
		for _, k := range keys {
			before[k], _ = r.Owner(k)
		}
		require.NoError(t, r.Remove(gone))
		for _, k := range keys {
			after, err := r.Owner(k)
			require.NoError(t, err)
			require.NotEqual(t, gone, after)
			if before[k] != gone {
				require.Equal(t, before[k], after, "key %q was not %s's, yet it moved", k, gone)
			}
		}
	})
}

func TestAddingANodeMovesKeysOnlyToIt(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, _ := genRing(t)
		keys := rapid.SliceOfN(genKey, 1, 50).Draw(t, "keys")
		before := map[string]sim.NodeID{}
		for _, k := range keys {
			before[k], _ = r.Owner(k)
		}
		require.NoError(t, r.Add("newcomer"))
		for _, k := range keys {
			after, _ := r.Owner(k)
			if after != before[k] {
				require.Equal(t, sim.NodeID("newcomer"), after, "key %q moved from %s to %s", k, before[k], after)
			}
		}
	})
}

// The preference list of a key changes only where the removed node was:
// the other nodes keep their order, and one new node is appended.
func TestRemovingANodeKeepsTheRestOfThePreferenceList(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, nodes := genRing(t)
		if len(nodes) < 3 {
			return
		}
		gone := rapid.SampledFrom(nodes).Draw(t, "removed")
		key := genKey.Draw(t, "key")
		before := r.Successors(key)
		require.NoError(t, r.Remove(gone))
		want := slices.DeleteFunc(slices.Clone(before), func(n sim.NodeID) bool { return n == gone })
		require.Equal(t, want, r.Successors(key))
	})
}

func TestRingIsIndependentOfInsertionOrder(t *testing.T) {
	a := ring.MustNew(8, "n1", "n2", "n3", "n4")
	b := ring.MustNew(8, "n4", "n2", "n3", "n1")
	for i := range 200 {
		k := fmt.Sprintf("key-%d", i)
		pa, _ := a.PreferenceList(k, 3)
		pb, _ := b.PreferenceList(k, 3)
		require.Equal(t, pa, pb, k)
	}
}

func TestHashIsFixed(t *testing.T) {
	// SHA-256("x") begins 2d711642b726b044: the same on every machine.
	assert.Equal(t, uint64(0x2d711642b726b044), ring.Hash("x"))
}

func TestBadInputIsAnError(t *testing.T) {
	_, err := ring.New(0)
	assert.ErrorContains(t, err, "at least 1")

	r := ring.MustNew(4, "n1", "n2")
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"add twice", r.Add("n1"), ring.ErrDuplicate},
		{"remove unknown", r.Remove("n9"), ring.ErrUnknownNode},
		{"too many replicas", func() error { _, err := r.PreferenceList("k", 3); return err }(), ring.ErrTooFewNodes},
		{"owner on empty ring", func() error { _, err := ring.MustNew(2).Owner("k"); return err }(), ring.ErrEmpty},
	}
	for _, c := range cases {
		assert.True(t, errors.Is(c.err, c.want), "%s: got %v", c.name, c.err)
	}
	_, err = r.PreferenceList("k", 0)
	assert.Error(t, err)
	assert.Error(t, r.Add(""))
}

func ExampleRing_PreferenceList() {
	r := ring.MustNew(16, "n1", "n2", "n3", "n4", "n5")
	pref, _ := r.PreferenceList("cart:alice", 3)
	fmt.Println("cart:alice is kept on", pref)
	_ = r.Remove(pref[1])
	pref, _ = r.PreferenceList("cart:alice", 3)
	fmt.Println("without its second replica:", pref)
	// Output:
	// cart:alice is kept on [n5 n1 n3]
	// without its second replica: [n5 n3 n4]
}
