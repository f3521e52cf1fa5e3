package clock_test

import (
	"slices"
	"testing"
	"time"

	"github.com/dsimlab/dsim/clock"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// This file draws random executions of a few processes (local events,
// sends, and receives of earlier sends, some never delivered), stamps every
// event with all three clocks, and checks the laws from the package doc
// against the true happened-before relation, computed from the execution's
// graph.

// event is one event of a drawn execution, with its stamps.
type event struct {
	proc  int
	preds []int // indices of the events that directly precede it
	pt    int64 // the physical reading the HLC was given, ns since epoch

	lamport clock.LamportTime
	vector  clock.Vector
	hlc     clock.Timestamp
}

// message is a send not yet received, carrying the sender's stamps.
type message struct {
	to, send int

	lamport clock.LamportTime
	vector  clock.Vector
	hlc     clock.Timestamp
}

// execution is a drawn run and the facts the HLC checks need.
type execution struct {
	events []event
	// readings are every physical reading taken, in order, on any process.
	readings []int64
	// slack[p] bounds how far ahead of p's physical reading any other
	// reading taken up to now can be: the largest skew minus p's own, plus
	// how far a reading may lag (physical clocks here may step back).
	slack []int64
}

var names = []string{"A", "B", "C", "D", "E"}

// drawExecution draws and stamps an execution. A process's physical clock
// reads true time + its skew - a lag drawn per reading, so clocks disagree
// and each one may step backwards. Times are whole milliseconds, so
// readings often tie and the HLC's logical counter gets work.
func drawExecution(t *rapid.T) execution {
	n := rapid.IntRange(2, len(names)).Draw(t, "processes")
	maxSkew := rapid.Int64Range(0, 5).Draw(t, "maxSkewMs")
	maxLag := rapid.Int64Range(0, 3).Draw(t, "maxLagMs")
	skews := make([]int64, n)
	for p := range skews {
		skews[p] = rapid.Int64Range(-maxSkew, maxSkew).Draw(t, "skewMs")
	}
	spread := slices.Max(skews) - slices.Min(skews)
	x := execution{slack: make([]int64, n)}
	for p := range skews {
		x.slack[p] = (slices.Max(skews) - skews[p] + maxLag) * int64(time.Millisecond)
	}

	lamports := make([]clock.Lamport, n)
	vectors := make([]clock.Vector, n)
	hlcs := make([]clock.HLC, n)
	last := make([]int, n) // index of each process's latest event, -1 if none
	for p := range n {
		vectors[p] = clock.NewVector(names[:n]...)
		// Honest processes never differ by more than spread + maxLag, so
		// a max offset that large must never refuse a message.
		hlcs[p].MaxOffset = time.Duration(spread+maxLag) * time.Millisecond
		last[p] = -1
	}

	var inFlight []message
	var trueTime int64 // ms
	steps := rapid.IntRange(1, 60).Draw(t, "steps")
	for range steps {
		trueTime += rapid.Int64Range(0, 2).Draw(t, "advanceMs")
		const local, send, receive = 0, 1, 2
		kind := rapid.IntRange(local, receive).Draw(t, "kind")
		if kind == receive && len(inFlight) == 0 {
			kind = local
		}
		var p int
		var m message
		if kind == receive {
			i := rapid.IntRange(0, len(inFlight)-1).Draw(t, "message")
			m = inFlight[i]
			inFlight = slices.Delete(inFlight, i, i+1)
			p = m.to
		} else {
			p = rapid.IntRange(0, n-1).Draw(t, "process")
		}
		lag := rapid.Int64Range(0, maxLag).Draw(t, "lagMs")
		pt := at(trueTime + skews[p] - lag)
		x.readings = append(x.readings, pt.UnixNano())

		e := event{proc: p, pt: pt.UnixNano()}
		if last[p] >= 0 {
			e.preds = append(e.preds, last[p])
		}
		switch kind {
		case local, send:
			e.lamport = lamports[p].Tick()
			vectors[p] = vectors[p].Tick(names[p])
			e.hlc = hlcs[p].Now(pt)
		case receive:
			e.preds = append(e.preds, m.send)
			e.lamport = lamports[p].Observe(m.lamport)
			vectors[p] = vectors[p].Merge(m.vector).Tick(names[p])
			var err error
			e.hlc, err = hlcs[p].Update(pt, m.hlc)
			require.NoError(t, err, "an honest peer within the max offset is never refused")
		}
		e.vector = vectors[p]
		if last[p] >= 0 {
			require.True(t, x.events[last[p]].hlc.Less(e.hlc),
				"HLC went backwards on %s: %v then %v", names[p], x.events[last[p]].hlc, e.hlc)
		}
		last[p] = len(x.events)
		x.events = append(x.events, e)
		if kind == send {
			to := rapid.IntRange(0, n-1).Draw(t, "to")
			inFlight = append(inFlight, message{to: to, send: last[p], lamport: e.lamport, vector: e.vector, hlc: e.hlc})
		}
	}
	return x
}

// happenedBefore returns hb with hb[b][a] true iff a -> b, the transitive
// closure of the execution's edges. Predecessors always have smaller
// indices, so one pass in index order suffices.
func happenedBefore(events []event) [][]bool {
	hb := make([][]bool, len(events))
	for b, e := range events {
		hb[b] = make([]bool, len(events))
		for _, p := range e.preds {
			hb[b][p] = true
			for a, ok := range hb[p] {
				hb[b][a] = hb[b][a] || ok
			}
		}
	}
	return hb
}

func TestVectorClocksCaptureHappenedBefore(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := drawExecution(t)
		hb := happenedBefore(x.events)
		for a, ea := range x.events {
			for b, eb := range x.events {
				if a == b {
					require.Equal(t, clock.Equal, ea.vector.Compare(eb.vector))
					continue
				}
				want := clock.Concurrent
				switch {
				case hb[b][a]:
					want = clock.Before
				case hb[a][b]:
					want = clock.After
				}
				require.Equal(t, want, ea.vector.Compare(eb.vector),
					"events %d %v and %d %v", a, ea.vector, b, eb.vector)
			}
		}
	})
}

func TestHappenedBeforeImpliesLamportAndHLCOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := drawExecution(t)
		hb := happenedBefore(x.events)
		for a, ea := range x.events {
			for b, eb := range x.events {
				if !ea.vector.HappenedBefore(eb.vector) {
					continue
				}
				require.True(t, hb[b][a], "vector says %d -> %d, the execution does not", a, b)
				require.Less(t, ea.lamport, eb.lamport, "Lamport: %d -> %d", a, b)
				require.True(t, ea.hlc.Less(eb.hlc), "HLC: %d -> %d but %v >= %v", a, b, ea.hlc, eb.hlc)
			}
		}
	})
}

func TestHLCStaysCloseToPhysicalTime(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := drawExecution(t)
		for i, e := range x.events {
			seen := x.readings[:i+1]
			require.GreaterOrEqual(t, e.hlc.WallTime, e.pt, "l >= pt: the HLC is never behind its own clock")
			require.LessOrEqual(t, e.hlc.WallTime-e.pt, x.slack[e.proc],
				"l - pt is bounded by the clock skew (event %d on %s)", i, names[e.proc])
			require.Contains(t, seen, e.hlc.WallTime,
				"l is a physical reading some process took, never a time invented ahead of all clocks")
		}
	})
}
