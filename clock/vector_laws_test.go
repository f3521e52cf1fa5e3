package clock_test

import (
	"testing"

	"github.com/dsimlab/dsim/clock"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// genVector draws small vectors over three processes, with entries that are
// sometimes missing (which counts as zero), so that equal, ordered and
// concurrent pairs all come up often.
var genVector = rapid.Custom(func(t *rapid.T) clock.Vector {
	v := clock.Vector{}
	for _, id := range []string{"A", "B", "C"} {
		if rapid.Bool().Draw(t, id+"?") {
			v[id] = rapid.Uint64Range(0, 2).Draw(t, id)
		}
	}
	return v
})

// leq is v <= w: v happened before w, or they are equal.
func leq(v, w clock.Vector) bool {
	o := v.Compare(w)
	return o == clock.Before || o == clock.Equal
}

// converse is the order of (w, v) given the order of (v, w).
var converse = map[clock.Order]clock.Order{
	clock.Before: clock.After, clock.After: clock.Before,
	clock.Equal: clock.Equal, clock.Concurrent: clock.Concurrent,
}

func TestVectorCompareMatchesDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genVector.Draw(t, "a"), genVector.Draw(t, "b")
		// The textbook definition, entry by entry over both key sets.
		allLeq, allGeq := true, true
		for _, id := range []string{"A", "B", "C"} {
			allLeq = allLeq && a[id] <= b[id]
			allGeq = allGeq && a[id] >= b[id]
		}
		want := map[[2]bool]clock.Order{
			{true, true}: clock.Equal, {true, false}: clock.Before,
			{false, true}: clock.After, {false, false}: clock.Concurrent,
		}[[2]bool{allLeq, allGeq}]
		require.Equal(t, want, a.Compare(b), "%v vs %v", a, b)
	})
}

func TestVectorCompareIsAPartialOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := genVector.Draw(t, "a"), genVector.Draw(t, "b"), genVector.Draw(t, "c")

		require.Equal(t, clock.Equal, a.Compare(a), "reflexive")
		require.Equal(t, clock.Equal, a.Compare(a.Copy()), "a copy is equal")
		require.Equal(t, converse[a.Compare(b)], b.Compare(a), "Compare(b, a) is the converse of Compare(a, b)")
		if leq(a, b) && leq(b, a) {
			require.Equal(t, clock.Equal, a.Compare(b), "antisymmetric")
		}
		if leq(a, b) && leq(b, c) {
			require.True(t, leq(a, c), "transitive: %v <= %v <= %v", a, b, c)
		}
		if a.HappenedBefore(b) && b.HappenedBefore(c) {
			require.True(t, a.HappenedBefore(c), "happened-before is transitive")
		}
		// A chain built by merging is ordered, so transitivity is also
		// checked on pairs that are surely comparable.
		ab := a.Merge(b)
		abc := ab.Merge(c)
		require.True(t, leq(a, ab) && leq(ab, abc) && leq(a, abc))
	})
}

func TestVectorMergeLaws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := genVector.Draw(t, "a"), genVector.Draw(t, "b"), genVector.Draw(t, "c")
		a0, b0 := a.Copy(), b.Copy()
		m := a.Merge(b)

		require.Equal(t, a0, a, "Merge does not change its receiver")
		require.Equal(t, b0, b, "Merge does not change its argument")
		require.Equal(t, m, b.Merge(a), "commutative")
		require.Equal(t, a.Merge(b).Merge(c), a.Merge(b.Merge(c)), "associative")
		require.Equal(t, a, a.Merge(a), "idempotent")
		require.True(t, leq(a, m) && leq(b, m), "an upper bound: %v, %v <= %v", a, b, m)
		for id, n := range m {
			require.Equal(t, max(a[id], b[id]), n, "the least upper bound: entry %s is the larger input", id)
		}
		for _, v := range []clock.Vector{a, b} {
			for id := range v {
				require.Contains(t, m, id, "no member is lost")
			}
		}
	})
}

func TestVectorTickIsAfter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genVector.Draw(t, "a")
		id := rapid.SampledFrom([]string{"A", "B", "C", "D"}).Draw(t, "id")
		a0 := a.Copy()
		next := a.Tick(id)
		require.Equal(t, a0, a, "Tick does not change its receiver")
		require.Equal(t, clock.Before, a.Compare(next))
		require.Equal(t, a[id]+1, next[id])
	})
}
