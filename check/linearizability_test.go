package check_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/sim"
)

const ms = time.Millisecond

// op is one line of a hand-written history.
type op struct {
	client     sim.NodeID
	in         check.KVInput
	out        check.KVOutput
	call, ret  time.Duration
	noResponse bool
}

func put(k, v string) check.KVInput      { return check.KVInput{Op: check.KVPut, Key: k, Value: v} }
func get(k string) check.KVInput         { return check.KVInput{Op: check.KVGet, Key: k} }
func appendOp(k, v string) check.KVInput { return check.KVInput{Op: check.KVAppend, Key: k, Value: v} }
func cas(k, old, v string) check.KVInput {
	return check.KVInput{Op: check.KVCAS, Key: k, Expected: old, Value: v}
}
func read(v string) check.KVOutput { return check.KVOutput{Value: v, OK: true} }

var done = check.KVOutput{OK: true}

func history(t *testing.T, ops ...op) *check.History {
	t.Helper()
	h := check.NewHistory()
	for _, o := range ops {
		id := h.Invoke(o.client, o.in, o.call)
		if !o.noResponse {
			require.NoError(t, h.Return(id, o.out, o.ret))
		}
	}
	return h
}

func TestCheckKV(t *testing.T) {
	cases := []struct {
		name string
		ops  []op
		want check.Verdict
	}{
		{
			name: "read sees the completed write",
			ops: []op{
				{client: "c1", in: put("x", "1"), out: done, call: 0, ret: 10 * ms},
				{client: "c2", in: get("x"), out: read("1"), call: 20 * ms, ret: 30 * ms},
			},
			want: check.Linearizable,
		},
		{
			name: "stale read after a completed write",
			ops: []op{
				{client: "c1", in: put("x", "1"), out: done, call: 0, ret: 10 * ms},
				{client: "c2", in: get("x"), out: read(""), call: 20 * ms, ret: 30 * ms},
			},
			want: check.NotLinearizable,
		},
		{
			name: "a read concurrent with a write may see either value",
			ops: []op{
				{client: "c1", in: put("x", "1"), out: done, call: 0, ret: 30 * ms},
				{client: "c2", in: get("x"), out: read(""), call: 10 * ms, ret: 20 * ms},
				{client: "c3", in: get("x"), out: read("1"), call: 12 * ms, ret: 25 * ms},
			},
			want: check.Linearizable,
		},
		{
			name: "reads go back in time",
			ops: []op{
				{client: "c1", in: put("x", "1"), out: done, call: 0, ret: 50 * ms},
				{client: "c2", in: get("x"), out: read("1"), call: 10 * ms, ret: 20 * ms},
				{client: "c3", in: get("x"), out: read(""), call: 30 * ms, ret: 40 * ms},
			},
			want: check.NotLinearizable,
		},
		{
			name: "appends in some order",
			ops: []op{
				{client: "c1", in: appendOp("x", "a"), out: done, call: 0, ret: 20 * ms},
				{client: "c2", in: appendOp("x", "b"), out: done, call: 5 * ms, ret: 15 * ms},
				{client: "c3", in: get("x"), out: read("ba"), call: 30 * ms, ret: 40 * ms},
			},
			want: check.Linearizable,
		},
		{
			name: "an append lost after it was acknowledged",
			ops: []op{
				{client: "c1", in: appendOp("x", "a"), out: done, call: 0, ret: 10 * ms},
				{client: "c2", in: appendOp("x", "b"), out: done, call: 20 * ms, ret: 30 * ms},
				{client: "c3", in: get("x"), out: read("b"), call: 40 * ms, ret: 50 * ms},
			},
			want: check.NotLinearizable,
		},
		{
			name: "two compare-and-sets from the same value cannot both win",
			ops: []op{
				{client: "c1", in: put("x", "0"), out: done, call: 0, ret: 5 * ms},
				{client: "c2", in: cas("x", "0", "a"), out: check.KVOutput{Value: "0", OK: true}, call: 10 * ms, ret: 20 * ms},
				{client: "c3", in: cas("x", "0", "b"), out: check.KVOutput{Value: "0", OK: true}, call: 11 * ms, ret: 21 * ms},
			},
			want: check.NotLinearizable,
		},
		{
			name: "one compare-and-set wins, the other sees the winner",
			ops: []op{
				{client: "c1", in: put("x", "0"), out: done, call: 0, ret: 5 * ms},
				{client: "c2", in: cas("x", "0", "a"), out: check.KVOutput{Value: "b", OK: false}, call: 10 * ms, ret: 20 * ms},
				{client: "c3", in: cas("x", "0", "b"), out: check.KVOutput{Value: "0", OK: true}, call: 11 * ms, ret: 21 * ms},
				{client: "c1", in: get("x"), out: read("b"), call: 30 * ms, ret: 31 * ms},
			},
			want: check.Linearizable,
		},
		{
			name: "a stale read on one key among several",
			ops: []op{
				{client: "c1", in: put("x", "1"), out: done, call: 0, ret: 10 * ms},
				{client: "c1", in: put("y", "2"), out: done, call: 11 * ms, ret: 20 * ms},
				{client: "c2", in: get("y"), out: read("2"), call: 25 * ms, ret: 30 * ms},
				{client: "c2", in: get("x"), out: read(""), call: 31 * ms, ret: 40 * ms},
			},
			want: check.NotLinearizable,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := check.CheckKV(history(t, tc.ops...), 0)
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Verdict)
		})
	}
}

func TestOperationWithoutAnswerMayTakeEffectLater(t *testing.T) {
	// c1's put timed out: nobody knows whether it happened. A read long
	// after may see it...
	h := history(t,
		op{client: "c1", in: put("x", "1"), call: 0, noResponse: true},
		op{client: "c2", in: get("x"), out: read(""), call: 100 * ms, ret: 110 * ms},
		op{client: "c2", in: get("x"), out: read("1"), call: 200 * ms, ret: 210 * ms},
	)
	res, err := check.CheckKV(h, 0)
	require.NoError(t, err)
	assert.Equal(t, check.Linearizable, res.Verdict, "a put that never answered may take effect at any time after its invocation")
	assert.Equal(t, 1, res.Pending)

	// ...or never.
	h = history(t,
		op{client: "c1", in: put("x", "1"), call: 0, noResponse: true},
		op{client: "c2", in: get("x"), out: read(""), call: 100 * ms, ret: 110 * ms},
	)
	res, err = check.CheckKV(h, 0)
	require.NoError(t, err)
	assert.Equal(t, check.Linearizable, res.Verdict, "a put that never answered may never take effect")

	// But it cannot take effect before it was invoked.
	h = history(t,
		op{client: "c2", in: get("x"), out: read("1"), call: 0, ret: 10 * ms},
		op{client: "c1", in: put("x", "1"), call: 20 * ms, noResponse: true},
	)
	res, err = check.CheckKV(h, 0)
	require.NoError(t, err)
	assert.Equal(t, check.NotLinearizable, res.Verdict, "a read cannot see a write invoked after the read returned")

	// And once seen, it cannot be unseen.
	h = history(t,
		op{client: "c1", in: put("x", "1"), call: 0, noResponse: true},
		op{client: "c2", in: get("x"), out: read("1"), call: 100 * ms, ret: 110 * ms},
		op{client: "c2", in: get("x"), out: read(""), call: 200 * ms, ret: 210 * ms},
	)
	res, err = check.CheckKV(h, 0)
	require.NoError(t, err)
	assert.Equal(t, check.NotLinearizable, res.Verdict)
}

func TestHistoryRejectsImpossibleReturns(t *testing.T) {
	h := check.NewHistory()
	id := h.Invoke("c1", get("x"), 10*ms)
	assert.ErrorContains(t, h.Return(id, read(""), 5*ms), "before its invocation")
	require.NoError(t, h.Return(id, read(""), 20*ms))
	assert.ErrorContains(t, h.Return(id, read(""), 30*ms), "returned twice")
	assert.ErrorContains(t, h.Return(7, read(""), 30*ms), "only 1 were invoked")
}

func TestCheckKVRejectsForeignOperations(t *testing.T) {
	h := check.NewHistory()
	h.Invoke("c1", "get x", 0)
	_, err := check.CheckKV(h, 0)
	require.ErrorIs(t, err, check.ErrBadHistory)
	assert.ErrorContains(t, err, "input string")
}

func TestVisualizationShowsFaults(t *testing.T) {
	h := history(t,
		op{client: "c1", in: put("x", "1"), out: done, call: 0, ret: 10 * ms},
		op{client: "c2", in: get("x"), out: read(""), call: 20 * ms, ret: 30 * ms},
	)
	h.Annotate(check.FaultAnnotations([]sim.Record{
		{At: 5 * ms, Kind: sim.KindFault, Text: "partition {n1} | {n2 n3}"},
		{At: 12 * ms, Kind: sim.KindCrash, Node: "n1"},
		{At: 25 * ms, Kind: sim.KindRestart, Node: "n1"},
	})...)
	res, err := check.CheckKV(h, 0)
	require.NoError(t, err)
	require.Equal(t, check.NotLinearizable, res.Verdict)

	var buf bytes.Buffer
	require.NoError(t, res.WriteVisualization(&buf))
	html := buf.String()
	assert.True(t, strings.HasPrefix(strings.TrimSpace(html), "<!DOCTYPE html>") || strings.Contains(html, "<html"), "porcupine writes an HTML page")
	for _, want := range []string{"partition {n1} | {n2 n3}", "crashed", `get(\"x\")`, "client c2"} {
		assert.Contains(t, html, want)
	}

	path := filepath.Join(t.TempDir(), "history.html")
	require.NoError(t, res.WriteVisualizationFile(path))
}

func TestFaultAnnotationsPairCrashWithRestart(t *testing.T) {
	notes := check.FaultAnnotations([]sim.Record{
		{At: 1 * ms, Kind: sim.KindCrash, Node: "n1"},
		{At: 2 * ms, Kind: sim.KindCrash, Node: "n2"},
		{At: 3 * ms, Kind: sim.KindFault, Text: "heal"},
		{At: 4 * ms, Kind: sim.KindRestart, Node: "n1"},
		{At: 9 * ms, Kind: sim.KindLog, Text: "the end"},
	})
	require.Len(t, notes, 3)
	assert.Equal(t, check.Annotation{Tag: "n1", At: 1 * ms, End: 4 * ms}, strip(notes[0]))
	assert.Equal(t, check.Annotation{Tag: "n2", At: 2 * ms, End: 9 * ms}, strip(notes[1]), "a node still down spans to the end of the trace")
	assert.Equal(t, check.Annotation{Tag: check.FaultTag, At: 3 * ms}, strip(notes[2]))
	assert.Equal(t, "heal", notes[2].Text)
}

// strip keeps where and when: the text and colors are for people.
func strip(a check.Annotation) check.Annotation {
	return check.Annotation{Tag: a.Tag, At: a.At, End: a.End}
}
