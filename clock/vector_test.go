package clock_test

import (
	"fmt"
	"testing"

	"github.com/dsimlab/dsim/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVectorCompare(t *testing.T) {
	abc := func(a, b, c uint64) clock.Vector { return clock.Vector{"A": a, "B": b, "C": c} }
	tests := []struct {
		name string
		a, b clock.Vector
		want clock.Order
	}{
		{"course: concurrent", abc(1, 0, 0), abc(0, 1, 0), clock.Concurrent},
		{"course: before", abc(1, 0, 0), abc(2, 1, 0), clock.Before},
		{"course: after", abc(2, 1, 0), abc(1, 0, 0), clock.After},
		{"equal", abc(1, 2, 3), abc(1, 2, 3), clock.Equal},
		{"one entry smaller", abc(1, 2, 3), abc(1, 2, 4), clock.Before},
		{"one entry larger", abc(1, 2, 4), abc(1, 2, 3), clock.After},
		{"concurrent in two entries of three", abc(3, 1, 1), abc(1, 3, 1), clock.Concurrent},
		{"missing entries are zero: equal", clock.Vector{"A": 1}, abc(1, 0, 0), clock.Equal},
		{"missing entries are zero: before", clock.Vector{"A": 1}, abc(1, 0, 1), clock.Before},
		{"missing entries are zero: after", abc(1, 0, 1), clock.Vector{"A": 1}, clock.After},
		{"disjoint members are concurrent", clock.Vector{"A": 1}, clock.Vector{"B": 1}, clock.Concurrent},
		{"nil is the zero vector", nil, clock.NewVector("A", "B"), clock.Equal},
		{"nil is before any event", nil, clock.Vector{"B": 1}, clock.Before},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.a.Compare(tt.b))
			assert.Equal(t, tt.want == clock.Before, tt.a.HappenedBefore(tt.b))
		})
	}
}

func TestVectorString(t *testing.T) {
	tests := []struct {
		v    clock.Vector
		want string
	}{
		{nil, "[]"},
		{clock.NewVector("C", "A", "B"), "[A:0,B:0,C:0]"},
		{clock.NewVector("C", "A", "B").Tick("A"), "[A:1,B:0,C:0]"},
		{clock.Vector{"n10": 3, "n2": 1, "n1": 12}, "[n1:12,n10:3,n2:1]"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.v.String())
		assert.Equal(t, tt.want, fmt.Sprint(tt.v), "fmt uses String")
	}
	assert.Equal(t, "{Clock:[A:2]}", fmt.Sprintf("%+v", struct{ Clock clock.Vector }{clock.Vector{"A": 2}}),
		"a vector inside a message prints the same way in a trace")
}

func TestOrderString(t *testing.T) {
	tests := []struct {
		o    clock.Order
		want string
	}{
		{clock.Before, "before"}, {clock.After, "after"}, {clock.Equal, "equal"},
		{clock.Concurrent, "concurrent"}, {clock.Order(0), "Order(0)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.o.String())
	}
}

// Tick and Merge return new vectors: a vector already sent in a message, or
// stored as a version, never changes when the sender's clock moves on.
func TestVectorMethodsDoNotMutate(t *testing.T) {
	sent := clock.NewVector("A", "B").Tick("A")
	local := sent
	local = local.Tick("A")
	local = local.Merge(clock.Vector{"B": 5})
	assert.Equal(t, "[A:1,B:0]", sent.String())
	assert.Equal(t, "[A:2,B:5]", local.String())

	cp := sent.Copy()
	cp["A"] = 9
	assert.Equal(t, "[A:1,B:0]", sent.String(), "Copy shares nothing")

	var zero clock.Vector
	require.Equal(t, "[A:1]", zero.Tick("A").String(), "Tick works on the nil vector")
	assert.Nil(t, zero)
}

func TestVectorReceiveRule(t *testing.T) {
	// B receives a message A sent at [A:2,B:0,C:0] while B is at
	// [A:0,B:1,C:3]; the receive is stamped max then tick.
	b := clock.Vector{"A": 0, "B": 1, "C": 3}
	msg := clock.Vector{"A": 2, "B": 0, "C": 0}
	recv := b.Merge(msg).Tick("B")
	assert.Equal(t, "[A:2,B:2,C:3]", recv.String())
	assert.True(t, msg.HappenedBefore(recv), "the send happened before the receive")
	assert.True(t, b.HappenedBefore(recv), "B's previous event happened before the receive")
}
