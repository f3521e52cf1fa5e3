package check

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// op is one line of a test history: client c does a get (put false) or a
// put of key k, invoked at call and answered at ret (ms); value is what a
// put writes or a get returned. ret < 0: no answer.
type op struct {
	c        string
	put      bool
	k, value string
	call     int
	ret      int
}

func w(c, k, v string, call, ret int) op {
	return op{c: c, put: true, k: k, value: v, call: call, ret: ret}
}
func r(c, k, v string, call, ret int) op { return op{c: c, k: k, value: v, call: call, ret: ret} }

func history(t *testing.T, ops ...op) *History {
	t.Helper()
	h := NewHistory()
	ms := func(x int) time.Duration { return time.Duration(x) * time.Millisecond }
	for _, o := range ops {
		in := KVInput{Op: KVGet, Key: o.k}
		out := KVOutput{Value: o.value}
		if o.put {
			in = KVInput{Op: KVPut, Key: o.k, Value: o.value}
			out = KVOutput{OK: true}
		}
		id := h.Invoke(sim.NodeID(o.c), in, ms(o.call))
		if o.ret >= 0 {
			require.NoError(t, h.Return(id, out, ms(o.ret)))
		}
	}
	return h
}

// The ladder, case by case: what each model admits. The classic examples
// are here: a stale read after a write returned (sequential, not
// linearizable); independent reads of independent writes seen in opposite
// orders (causal, not sequential); a reply seen before the message it
// answers (not causal).
func TestConsistencyModels(t *testing.T) {
	cases := []struct {
		name             string
		ops              []op
		lin, seq, causal bool
	}{
		{
			name: "one client writes and reads its write",
			ops:  []op{w("p1", "x", "1", 0, 1), r("p1", "x", "1", 2, 3)},
			lin:  true, seq: true, causal: true,
		},
		{
			name: "concurrent read may see the old or new value",
			ops:  []op{w("p1", "x", "1", 0, 10), r("p2", "x", "", 2, 3), r("p3", "x", "1", 4, 5)},
			lin:  true, seq: true, causal: true,
		},
		{
			// Sequentially consistent but not linearizable: p2 reads the
			// initial value after p1's write returned. Ordering p2's read
			// first explains it — unless real time counts.
			name: "stale read after the write returned",
			ops:  []op{w("p1", "x", "1", 0, 1), r("p2", "x", "", 5, 6)},
			lin:  false, seq: true, causal: true,
		},
		{
			name: "stale read that its own client contradicts",
			ops:  []op{w("p1", "x", "1", 0, 1), r("p2", "x", "1", 2, 3), r("p2", "x", "", 4, 5)},
			lin:  false, seq: false, causal: false,
		},
		{
			// Causal but not sequential (IRIW): the writes are concurrent,
			// and p3 and p4 see them in opposite orders.
			name: "independent reads of independent writes",
			ops: []op{
				w("p1", "x", "1", 0, 1), w("p2", "y", "1", 0, 1),
				r("p3", "x", "1", 2, 3), r("p3", "y", "", 4, 5),
				r("p4", "y", "1", 2, 3), r("p4", "x", "", 4, 5),
			},
			lin: false, seq: false, causal: true,
		},
		{
			// Causal but not sequential, one key: concurrent writes seen in
			// different orders (Tanenbaum's example).
			name: "concurrent writes seen in different orders",
			ops: []op{
				w("p1", "x", "a", 0, 1), w("p2", "x", "b", 0, 1),
				r("p3", "x", "a", 2, 3), r("p3", "x", "b", 4, 5),
				r("p4", "x", "b", 2, 3), r("p4", "x", "a", 4, 5),
			},
			lin: false, seq: false, causal: true,
		},
		{
			// Not causal: p2 wrote b after reading a, so every client must
			// see a before b; p3 sees b and then the initial value.
			name: "an answer seen before its question",
			ops: []op{
				w("p1", "x", "a", 0, 1),
				r("p2", "x", "a", 2, 3), w("p2", "y", "b", 4, 5),
				r("p3", "y", "b", 6, 7), r("p3", "x", "", 8, 9),
			},
			lin: false, seq: false, causal: false,
		},
		{
			name: "writes of one client seen out of order",
			ops: []op{
				w("p1", "x", "1", 0, 1), w("p1", "x", "2", 2, 3),
				r("p2", "x", "2", 4, 5), r("p2", "x", "1", 6, 7),
			},
			lin: false, seq: false, causal: false,
		},
		{
			name: "a value nobody wrote",
			ops:  []op{w("p1", "x", "1", 0, 1), r("p2", "x", "7", 2, 3)},
			lin:  false, seq: false, causal: false,
		},
		{
			// A put without an answer may have taken effect...
			name: "a lost put read later",
			ops:  []op{w("p1", "x", "1", 0, -1), r("p2", "x", "1", 5, 6)},
			lin:  true, seq: true, causal: true,
		},
		{
			// ... or not.
			name: "a lost put never seen",
			ops:  []op{w("p1", "x", "1", 0, -1), r("p2", "x", "", 5, 6), r("p2", "x", "", 7, 8)},
			lin:  true, seq: true, causal: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := history(t, tc.ops...)
			lin, err := CheckKV(h, 0)
			require.NoError(t, err)
			assert.Equal(t, tc.lin, lin.Verdict == Linearizable, "linearizable: %v", lin)
			seq, err := CheckSequential(h)
			require.NoError(t, err)
			assert.Equal(t, tc.seq, seq.OK, "sequential: %+v", seq)
			causal, err := CheckCausal(h)
			require.NoError(t, err)
			assert.Equal(t, tc.causal, causal.OK, "causal: %+v", causal)
			// the ladder: each model admits what a stronger one does
			if lin.Verdict == Linearizable {
				assert.True(t, seq.OK, "linearizable implies sequential")
			}
			if seq.OK {
				assert.True(t, causal.OK, "sequential implies causal")
				assert.GreaterOrEqual(t, len(seq.Order), countApplied(h), "the witness orders every answered operation")
			} else {
				assert.NotEmpty(t, seq.Why)
			}
		})
	}
}

// countApplied is how many operations a witness order holds at least
// (answered ones; a put without an answer may be left out).
func countApplied(h *History) int {
	n := 0
	for _, o := range h.Operations() {
		if o.Returned {
			n++
		}
	}
	return n
}

func TestModelCheckersRefuseWhatTheyCannotRead(t *testing.T) {
	h := NewHistory()
	h.Invoke("p1", KVInput{Op: KVAppend, Key: "x", Value: "1"}, 0)
	_, err := CheckSequential(h)
	assert.ErrorIs(t, err, ErrBadHistory)
	_, err = CheckCausal(h)
	assert.ErrorIs(t, err, ErrBadHistory)

	dup := history(t, w("p1", "x", "1", 0, 1), w("p2", "x", "1", 2, 3))
	_, err = CheckCausal(dup)
	assert.ErrorIs(t, err, ErrBadHistory, "the causal checker needs distinct written values")
	res, err := CheckSequential(dup)
	require.NoError(t, err)
	assert.True(t, res.OK, "the sequential checker does not")
}
