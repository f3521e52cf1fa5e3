package clock_test

import (
	"math"
	"testing"

	"github.com/dsimlab/dsim/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLamportRules(t *testing.T) {
	var c clock.Lamport
	require.Equal(t, clock.LamportTime(0), c.Time(), "a fresh clock is at 0")
	assert.Equal(t, clock.LamportTime(1), c.Tick(), "local event")
	assert.Equal(t, clock.LamportTime(2), c.Tick(), "send")
	assert.Equal(t, clock.LamportTime(8), c.Observe(7), "receive from a process that is ahead: max(2,7)+1")
	assert.Equal(t, clock.LamportTime(9), c.Observe(3), "receive from a process that is behind: max(8,3)+1")
	assert.Equal(t, clock.LamportTime(9), c.Time(), "Time does not tick")
}

// A Lamport order between two events does not mean one caused the other:
// here two processes never talk, yet their stamps are ordered.
func TestLamportOrderIsNotCausality(t *testing.T) {
	var a, b clock.Lamport
	a1 := a.Tick()
	b.Tick()
	b2 := b.Tick()
	assert.Less(t, a1, b2, "a1 has the smaller stamp, but a1 and b2 are concurrent")
}

func TestLamportOverflowPanics(t *testing.T) {
	var c clock.Lamport
	assert.Panics(t, func() { c.Observe(math.MaxUint64) })
}
