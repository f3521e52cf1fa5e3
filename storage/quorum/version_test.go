package quorum_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dsimlab/dsim/clock"
	"github.com/dsimlab/dsim/storage/quorum"
)

// A model of the store without a network: a few replicas, a few clients.
// A write goes to some replicas; a read merges what some replicas hold and
// becomes the client's context. The test knows each write's true causal
// past (what its writer had read, and its writer's earlier writes), and
// checks that the siblings the store ends with are exactly the writes no
// other write knew about, and that they are pairwise concurrent.
func TestSiblingsAreExactlyTheConcurrentWrites(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const replicas, clients = 3, 3
		store := make([]quorum.Siblings, replicas)
		type writer struct {
			ctx     clock.Vector
			seen    map[string]bool // writes in the causal past of the next write
			counter uint64
		}
		ws := make([]writer, clients)
		for i := range ws {
			ws[i].seen = map[string]bool{}
		}
		past := map[string]map[string]bool{} // write -> writes it knew about
		var all []quorum.Version
		steps := rapid.IntRange(1, 30).Draw(t, "steps")
		for s := range steps {
			c := rapid.IntRange(0, clients-1).Draw(t, "client")
			subset := rapid.SliceOfNDistinct(rapid.IntRange(0, replicas-1), 1, replicas, rapid.ID[int]).Draw(t, "replicas")
			w := &ws[c]
			if rapid.Bool().Draw(t, "write") {
				name := fmt.Sprintf("w%d", s)
				clk := quorum.NextClock(w.ctx, fmt.Sprintf("c%d", c), w.counter)
				w.counter = clk[fmt.Sprintf("c%d", c)]
				v := quorum.Version{Value: name, Clock: clk}
				past[name] = copySet(w.seen)
				for _, r := range subset {
					store[r] = store[r].Add(v)
				}
				all = append(all, v)
				w.ctx = clk
				w.seen[name] = true // a client's later writes follow its earlier ones
				continue
			}
			var read quorum.Siblings
			for _, r := range subset {
				read = read.Merge(store[r], false)
			}
			w.ctx = w.ctx.Merge(read.Context())
			for _, v := range read {
				w.seen[v.Value] = true
				for p := range past[v.Value] {
					w.seen[p] = true
				}
			}
		}
		// Anti-entropy: every write reaches a replica, in any order, some twice.
		order := rapid.Permutation(append(slices.Clone(all), all...)).Draw(t, "delivery order")
		final := store[0]
		for _, v := range order {
			final = final.Add(v)
		}
		for _, r := range store[1:] {
			final = final.Merge(r, false)
		}
		want := []string{}
		for _, v := range all {
			dominated := false
			for _, other := range all {
				if past[other.Value][v.Value] {
					dominated = true
				}
			}
			if !dominated {
				want = append(want, v.Value)
			}
		}
		got := final.Values()
		slices.Sort(got)
		slices.Sort(want)
		require.Equal(t, want, got, "the siblings must be exactly the writes no other write had seen")
		for i := range final {
			for j := range final {
				if i != j {
					require.Equal(t, clock.Concurrent, final[i].Clock.Compare(final[j].Clock), "siblings %v and %v", final[i], final[j])
				}
			}
		}
	})
}

func copySet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Last-writer-wins keeps the one version with the highest stamp, whatever
// the order versions arrive in, and ignores causality.
func TestLastWriterWinsKeepsTheHighestStampInAnyOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 8).Draw(t, "versions")
		var vs []quorum.Version
		for i := range n {
			vs = append(vs, quorum.Version{Value: fmt.Sprint(i), Stamp: rapid.Int64Range(0, 5).Draw(t, "stamp"), Writer: rapid.SampledFrom([]string{"a", "b"}).Draw(t, "writer")})
		}
		var a, b quorum.Siblings
		for _, v := range vs {
			a = a.AddLWW(v)
		}
		for _, v := range rapid.Permutation(vs).Draw(t, "order") {
			b = b.AddLWW(v)
		}
		require.Len(t, a, 1)
		require.True(t, a.Equal(b), "%v vs %v", a, b)
		for _, v := range vs {
			require.GreaterOrEqual(t, a[0].Stamp, v.Stamp)
		}
	})
}
