package kv_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/storage/kv"
)

func TestStoreOperations(t *testing.T) {
	s := kv.New()
	steps := []struct {
		op   kv.Op
		want kv.Result
	}{
		{kv.Get("x"), kv.Result{Value: "", OK: true}},
		{kv.Put("x", "1"), kv.Result{OK: true}},
		{kv.Get("x"), kv.Result{Value: "1", OK: true}},
		{kv.Append("x", "2"), kv.Result{OK: true}},
		{kv.Get("x"), kv.Result{Value: "12", OK: true}},
		{kv.CompareAndSet("x", "1", "3"), kv.Result{Value: "12", OK: false}},
		{kv.CompareAndSet("x", "12", "3"), kv.Result{Value: "12", OK: true}},
		{kv.Get("x"), kv.Result{Value: "3", OK: true}},
		{kv.CompareAndSet("y", "", "new"), kv.Result{Value: "", OK: true}},
		{kv.Get("y"), kv.Result{Value: "new", OK: true}},
	}
	for _, st := range steps {
		got, err := kv.DecodeResult(s.Apply(st.op.Encode()))
		require.NoError(t, err)
		assert.Equal(t, st.want, got, "%s", st.op)
	}
	assert.Equal(t, 2, s.Len())
}

func TestEncodingIsReadable(t *testing.T) {
	assert.Equal(t, `put "x" "1"`, string(kv.Put("x", "1").Encode()))
	assert.Equal(t, `cas "k" "a b" "c\"d"`, string(kv.CompareAndSet("k", "a b", `c"d`).Encode()))
	assert.Equal(t, `get "x"`, kv.Get("x").String())
	assert.Equal(t, `no "3"`, kv.Result{Value: "3"}.String())
}

func TestBadOperationsGetAnErrorResult(t *testing.T) {
	cases := map[string]string{
		`del "x"`:          "unknown operation",
		`put "x"`:          "put takes 2 quoted arguments, got 1",
		`get x`:            "argument 1",
		`get "x""y"`:       "no space after argument 1",
		``:                 "unknown operation",
		`cas "x" "1" "2" `: "trailing space after argument 3",
	}
	for in, want := range cases {
		_, err := kv.DecodeOp([]byte(in))
		require.ErrorIs(t, err, kv.ErrBadOp, in)
		assert.ErrorContains(t, err, want, in)

		s := kv.New()
		r, err := kv.DecodeResult(s.Apply([]byte(in)))
		require.NoError(t, err)
		assert.Contains(t, r.Err, want, "the store answers bad input with an error, not a panic")
		assert.Equal(t, 0, s.Len())
	}
}

func opGen() *rapid.Generator[kv.Op] {
	return rapid.Custom(func(t *rapid.T) kv.Op {
		k, v, e := rapid.String().Draw(t, "key"), rapid.String().Draw(t, "value"), rapid.String().Draw(t, "expected")
		switch rapid.IntRange(0, 3).Draw(t, "kind") {
		case 0:
			return kv.Get(k)
		case 1:
			return kv.Put(k, v)
		case 2:
			return kv.Append(k, v)
		}
		return kv.CompareAndSet(k, e, v)
	})
}

func TestOpsAndResultsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		op := opGen().Draw(t, "op")
		got, err := kv.DecodeOp(op.Encode())
		require.NoError(t, err)
		require.Equal(t, op, got)

		r := kv.Result{Value: rapid.String().Draw(t, "value"), OK: rapid.Bool().Draw(t, "ok")}
		back, err := kv.DecodeResult(r.Encode())
		require.NoError(t, err)
		require.Equal(t, r, back)
	})
}

func TestSnapshotRestoresTheSameStateAndBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ops := rapid.SliceOf(opGen()).Draw(t, "ops")
		a := kv.New()
		for _, op := range ops {
			a.Apply(op.Encode())
		}
		snap := a.Snapshot()
		b := kv.New()
		require.NoError(t, b.Restore(snap))
		require.Equal(t, snap, b.Snapshot(), "same state, same bytes")
		probe := opGen().Draw(t, "probe")
		require.Equal(t, a.Apply(probe.Encode()), b.Apply(probe.Encode()), "restored store answers like the original")
	})
	require.Error(t, kv.New().Restore([]byte("{not json")))
}

func TestCheckerConversions(t *testing.T) {
	assert.Equal(t, check.KVInput{Op: check.KVCAS, Key: "k", Expected: "a", Value: "b"}, kv.CompareAndSet("k", "a", "b").Input())
	assert.Equal(t, check.KVOutput{Value: "v", OK: true}, kv.OutputOf(kv.Result{Value: "v", OK: true}.Encode()))
	bad := kv.OutputOf([]byte("garbage")).(check.KVOutput)
	assert.False(t, bad.OK)
	assert.Contains(t, bad.Value, "bad result")
}

func TestWorkload(t *testing.T) {
	draw := func(seed uint64) []string {
		w, err := kv.NewWorkload(rand.New(rand.NewPCG(seed, 1)), kv.WorkloadConfig{Client: "c1", Ops: 200, Keys: 2})
		require.NoError(t, err)
		var out []string
		for {
			op, ok := w.Next()
			if !ok {
				break
			}
			out = append(out, string(op.Cmd))
		}
		return out
	}
	ops := draw(7)
	require.Len(t, ops, 200)
	assert.Equal(t, ops, draw(7), "same seed, same workload")
	assert.NotEqual(t, ops, draw(8))

	kinds := map[kv.Kind]int{}
	values := map[string]bool{}
	for _, cmd := range ops {
		op, err := kv.DecodeOp([]byte(cmd))
		require.NoError(t, err)
		kinds[op.Kind]++
		assert.Contains(t, []string{"k0", "k1"}, op.Key)
		if op.Kind == kv.KindPut || op.Kind == kv.KindAppend || op.Kind == kv.KindCAS {
			assert.False(t, values[op.Value], "value %q written twice", op.Value)
			values[op.Value] = true
			assert.True(t, strings.HasPrefix(op.Value, "c1:"))
		}
	}
	assert.Len(t, kinds, 4, "every kind of operation appears")

	_, err := kv.NewWorkload(nil, kv.WorkloadConfig{Ops: 1})
	assert.Error(t, err)
}

func TestWorkloadCASExpectsWhatItSaw(t *testing.T) {
	w, err := kv.NewWorkload(rand.New(rand.NewPCG(1, 1)), kv.WorkloadConfig{Client: "c", Ops: 50, Keys: 1, Put: 1, CAS: 1})
	require.NoError(t, err)
	s := kv.New()
	swapped := 0
	for {
		op, ok := w.Next()
		if !ok {
			break
		}
		out := op.Output(s.Apply(op.Cmd)).(check.KVOutput)
		if op.Input.(check.KVInput).Op == check.KVCAS && out.OK {
			swapped++
		}
	}
	assert.Greater(t, swapped, 10, "alone on its key, a client's CAS expects the current value and succeeds")
}

// With ReadBack every write is followed by a read of the same key, so no
// key sees two writes from one client without a read between them.
func TestWorkloadReadBackFollowsEveryWriteWithARead(t *testing.T) {
	wl, err := kv.NewWorkload(rand.New(rand.NewPCG(3, 4)), kv.WorkloadConfig{Client: "c1", Ops: 200, Keys: 4, Get: 1, Append: 2, Put: 1, CAS: 1, ReadBack: true})
	require.NoError(t, err)
	var ops []kv.Op
	for {
		op, ok := wl.Next()
		if !ok {
			break
		}
		decoded, err := kv.DecodeOp(op.Cmd)
		require.NoError(t, err)
		ops = append(ops, decoded)
		op.Output(kv.Result{OK: true}.Encode())
	}
	require.Len(t, ops, 200)
	writes := 0
	for i, op := range ops[:len(ops)-1] {
		if op.Kind != kv.KindGet {
			writes++
			assert.Equal(t, kv.Get(op.Key), ops[i+1], "op %d (%s) is not followed by a read of its key", i, op)
		}
	}
	assert.Greater(t, writes, 50, "the workload still writes")
}

// KeyLife moves the workload to fresh keys every KeyLife operations, so an
// append-only workload's values stop growing with the length of the run.
func TestWorkloadKeyLifeBoundsValues(t *testing.T) {
	longest := func(keyLife int) (int, []string) {
		wl, err := kv.NewWorkload(rand.New(rand.NewPCG(5, 1)), kv.WorkloadConfig{Client: "c1", Ops: 3000, Keys: 2, Append: 1, KeyLife: keyLife})
		require.NoError(t, err)
		s := kv.New()
		var keys []string
		for {
			op, ok := wl.Next()
			if !ok {
				break
			}
			decoded, err := kv.DecodeOp(op.Cmd)
			require.NoError(t, err)
			if !slices.Contains(keys, decoded.Key) {
				keys = append(keys, decoded.Key)
			}
			op.Output(s.Apply(op.Cmd))
		}
		n := 0
		for _, k := range keys {
			v, _ := s.Get(k)
			n = max(n, len(v))
		}
		return n, keys
	}
	unbounded, keys := longest(0)
	assert.ElementsMatch(t, []string{"k0", "k1"}, keys)
	bounded, keys := longest(100)
	assert.ElementsMatch(t, []string{"k0", "k1"}, keys[:2], "the first generation keeps the plain names")
	assert.Contains(t, keys, "k1.29", "operations 2901-3000 are the 30th generation")
	assert.Len(t, keys, 60)
	assert.Less(t, bounded*10, unbounded, "values are a thirtieth as long")
	_, err := kv.NewWorkload(rand.New(rand.NewPCG(1, 1)), kv.WorkloadConfig{Ops: 1, KeyLife: -1})
	assert.Error(t, err)
}

// Encoding quotes exactly as strconv.Quote does, fast path or not.
func TestEncodingQuotesAsStrconvDoes(t *testing.T) {
	for _, v := range []string{"", "c1:7;", `say "hi"`, `a\b`, "tab\t", "é", "\x7f", "\xff", "日本"} {
		assert.Equal(t, "ok "+strconv.Quote(v), string(kv.Result{Value: v, OK: true}.Encode()))
		assert.Equal(t, "put "+strconv.Quote("k")+" "+strconv.Quote(v), string(kv.Put("k", v).Encode()))
	}
}
