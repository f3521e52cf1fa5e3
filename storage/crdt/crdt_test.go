package crdt_test

import (
	"fmt"
	"testing"

	"github.com/dsimlab/dsim/storage/crdt"
	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"
)

var replicas = []string{"tokyo", "taipei", "osaka"}

// counter draws a counter some replicas have changed.
func counter(t *rapid.T, label string) crdt.PNCounter {
	c := crdt.NewPNCounter()
	for _, d := range rapid.SliceOfN(rapid.Int64Range(-5, 5), 0, 10).Draw(t, label) {
		c.Add(rapid.SampledFrom(replicas).Draw(t, label+"-replica"), d)
	}
	return c
}

// set draws a set built by adds and removes; its tags carry label, so
// sets drawn apart never share a tag by accident.
func set(t *rapid.T, label string) crdt.ORSet {
	s := crdt.NewORSet()
	for i, op := range rapid.SliceOfN(rapid.IntRange(0, 5), 0, 12).Draw(t, label) {
		elem := fmt.Sprintf("item-%d", op%3)
		if op < 4 {
			s.Add(elem, fmt.Sprintf("%s-%d", label, i))
		} else {
			s.Remove(elem)
		}
	}
	return s
}

func mergedC(a, b crdt.PNCounter) crdt.PNCounter { c := a.Clone(); c.Merge(b); return c }
func mergedS(a, b crdt.ORSet) crdt.ORSet         { c := a.Clone(); c.Merge(b); return c }

// The merge laws that make replicas converge: commutative, associative,
// idempotent, for both types.
func TestMergeLaws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := counter(t, "a"), counter(t, "b"), counter(t, "c")
		assert.Equal(t, mergedC(a, b), mergedC(b, a), "commutative")
		assert.Equal(t, mergedC(mergedC(a, b), c), mergedC(a, mergedC(b, c)), "associative")
		assert.Equal(t, mergedC(a, a), a, "idempotent")

		x, y, z := set(t, "x"), set(t, "y"), set(t, "z")
		assert.Equal(t, mergedS(x, y), mergedS(y, x), "commutative")
		assert.Equal(t, mergedS(mergedS(x, y), z), mergedS(x, mergedS(y, z)), "associative")
		assert.Equal(t, mergedS(x, x), x.Clone(), "idempotent")
	})
}

// Two replicas counting at once: the merged counter has every change.
func TestPNCounterKeepsConcurrentChanges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := crdt.NewPNCounter(), crdt.NewPNCounter()
		var want int64
		for _, d := range rapid.SliceOf(rapid.Int64Range(-3, 3)).Draw(t, "tokyo") {
			a.Add("tokyo", d)
			want += d
		}
		for _, d := range rapid.SliceOf(rapid.Int64Range(-3, 3)).Draw(t, "taipei") {
			b.Add("taipei", d)
			want += d
		}
		a.Merge(b)
		b.Merge(a)
		assert.Equal(t, want, a.Value())
		assert.Equal(t, want, b.Value())
	})
}

func TestORSet(t *testing.T) {
	tokyo, taipei := crdt.NewORSet(), crdt.NewORSet()
	tokyo.Add("tea", "tokyo-1")
	taipei.Merge(tokyo)
	// Concurrently: Taipei removes tea, Tokyo adds it again.
	assert.Equal(t, []string{"tokyo-1"}, taipei.Remove("tea"))
	tokyo.Add("tea", "tokyo-2")
	tokyo.Merge(taipei)
	taipei.Merge(tokyo)
	assert.True(t, tokyo.Contains("tea"), "the add Taipei did not see survives its remove")
	assert.Equal(t, tokyo.Elements(), taipei.Elements())
	// A remove that saw every add removes the element everywhere.
	taipei.Remove("tea")
	tokyo.Merge(taipei)
	assert.Empty(t, tokyo.Elements())
}
