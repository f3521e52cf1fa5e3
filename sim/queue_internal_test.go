package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestQueueOrder checks that the heap hands entries back in exactly
// (time, sequence) order, ties at one time included, whatever the mix of
// pushes, pops and takes: the order of a run depends on it.
func TestQueueOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spread int64 // times drawn from now+[0, spread): small spreads make many ties
		pushes int
	}{
		{"all ties", 1, 300},
		{"many ties", 4, 2000},
		{"few ties", 1 << 20, 2000},
		{"one entry", 10, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var q queue
			var model []qentry // what is queued, kept sorted
			var seq uint64
			now := time.Duration(0)
			pushed := 0
			for pushed < tc.pushes || q.len() > 0 {
				if pushed < tc.pushes && (q.len() == 0 || rng.IntN(3) > 0) {
					seq++
					e := qentry{at: now + time.Duration(rng.Int64N(tc.spread)), seq: seq, slot: int32(seq)}
					q.push(e)
					i, _ := slices.BinarySearchFunc(model, e, func(a, b qentry) int {
						if less(&a, &b) {
							return -1
						}
						return 1
					})
					model = slices.Insert(model, i, e)
					pushed++
					continue
				}
				if got, want := q.peek(), model[0]; got != want {
					t.Fatalf("peek = %+v, want %+v", got, want)
				}
				// take (the step's lazy pop) and pop must be alike to
				// every later push, peek, pop and len.
				var got qentry
				if rng.IntN(2) == 0 {
					got = q.take()
				} else {
					got = q.pop()
				}
				if want := model[0]; got != want {
					t.Fatalf("pop = %+v, want %+v", got, want)
				}
				model = model[1:]
				now = got.at
				if q.len() != len(model) {
					t.Fatalf("len = %d, want %d", q.len(), len(model))
				}
				if rng.IntN(4) == 0 { // now and then, which settles a taken root
					if got := len(q.entries()); got != len(model) {
						t.Fatalf("len(entries) = %d, want %d", got, len(model))
					}
				}
			}
		})
	}
}

func TestBefore(t *testing.T) {
	for _, tc := range []struct {
		a, b qentry
		want int
	}{
		{qentry{at: 1, seq: 9}, qentry{at: 2, seq: 1}, 1},
		{qentry{at: 2, seq: 1}, qentry{at: 1, seq: 9}, 0},
		{qentry{at: 5, seq: 1}, qentry{at: 5, seq: 2}, 1},
		{qentry{at: 5, seq: 2}, qentry{at: 5, seq: 1}, 0},
		{qentry{at: 5, seq: 2}, qentry{at: 5, seq: 2}, 0},
		{qentry{at: -1, seq: 2}, qentry{at: 0, seq: 1}, 1},
		{qentry{at: 0, seq: 1}, qentry{at: -1, seq: 2}, 0},
		{qentry{at: 1<<63 - 1, seq: 0}, qentry{at: -1 << 63, seq: 1}, 0},
		{qentry{at: 3, seq: 1<<64 - 1}, qentry{at: 4, seq: 0}, 1},
	} {
		if got := before(&tc.a, &tc.b); got != tc.want {
			t.Errorf("before(%+v, %+v) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		wantLess := tc.want == 1
		if got := less(&tc.a, &tc.b); got != wantLess {
			t.Errorf("less(%+v, %+v) = %v, want %v", tc.a, tc.b, got, wantLess)
		}
	}
}
