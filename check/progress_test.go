package check

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompletedFindsTheLongestPause(t *testing.T) {
	h := NewHistory()
	ms := time.Millisecond
	for _, r := range []struct{ call, ret time.Duration }{{0, 5 * ms}, {6 * ms, 10 * ms}, {11 * ms, 250 * ms}, {251 * ms, 260 * ms}} {
		id := h.Invoke("c1", KVInput{Op: KVGet, Key: "x"}, r.call)
		require.NoError(t, h.Return(id, KVOutput{OK: true}, r.ret))
	}
	h.Invoke("c1", KVInput{Op: KVGet, Key: "x"}, 261*ms) // never answered
	n, gap, at := h.Completed()
	assert.Equal(t, 4, n)
	assert.Equal(t, 240*ms, gap)
	assert.Equal(t, 10*ms, at)
	assert.Equal(t, 2, h.CompletedSince(250*ms))
}

func TestAppendsAppliedCatchesLostAndDoubledAppends(t *testing.T) {
	appendOp := func(h *History, value string, answered bool) {
		id := h.Invoke("c1", KVInput{Op: KVAppend, Key: "k", Value: value}, 0)
		if answered {
			require.NoError(t, h.Return(id, KVOutput{OK: true}, time.Millisecond))
		}
	}
	cases := []struct {
		name  string
		final string
		want  string
	}{
		{"all there once", "a;b;", ""},
		{"acknowledged append lost", "a;", `acknowledged append "b;" to k by c1 is missing`},
		{"retry applied twice", "a;b;b;", `append "b;" to k by c1 was applied 2 times`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHistory()
			appendOp(h, "a;", true)
			appendOp(h, "b;", true)
			appendOp(h, "c;", false) // unanswered: may or may not be there
			err := AppendsApplied(h, func(string) (string, bool) { return tc.final, true })
			if tc.want == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tc.want)
			}
		})
	}
}
