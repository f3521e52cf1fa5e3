package nemesistest_test

import (
	"flag"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/network/nemesistest"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

var five = []sim.NodeID{"n1", "n2", "n3", "n4", "n5"}

func TestGeneratedSchedulesAreValidAndEndHealed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := nemesistest.Schedule(five, time.Second, network.RandomOptions{}).Draw(t, "schedule")
		require.NoError(t, s.Validate())
		down := map[sim.NodeID]bool{}
		for _, e := range s {
			require.LessOrEqual(t, e.At, time.Second)
			switch a := e.Action.(type) {
			case network.Crash:
				down[a.Node] = true
			case network.Restart:
				delete(down, a.Node)
			}
			require.LessOrEqual(t, len(down), 2, "a majority of five stays up")
		}
		require.Empty(t, down, "every node is restarted at the end")
		require.Contains(t, s, network.Event{At: time.Second, Action: network.Heal{}})
	})
}

// recorder stands in for the *testing.T that rapid.Check reports to, so a
// test can let a property fail on purpose and look at the result.
type recorder struct {
	*testing.T
	failed bool
}

func (r *recorder) Fail()                 { r.failed = true }
func (r *recorder) FailNow()              { r.failed = true }
func (r *recorder) Failed() bool          { return r.failed }
func (r *recorder) Error(...any)          { r.failed = true }
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatal(...any)          { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

// A property that fails whenever a schedule isolates n3 is shrunk to the
// smallest schedule that does: that one fault, at time zero, then the
// closing heal and reset.
func TestFailingSchedulesShrink(t *testing.T) {
	require.NoError(t, flag.Set("rapid.nofailfile", "true")) // no testdata/ from a failure we want
	defer flag.Set("rapid.nofailfile", "false")

	gen := nemesistest.Schedule(five, time.Second, network.RandomOptions{Kinds: network.FaultIsolate | network.FaultLoss})
	var last network.Schedule
	r := &recorder{T: t}
	rapid.Check(r, func(t *rapid.T) {
		s := gen.Draw(t, "schedule")
		for _, e := range s {
			if e.Action == network.Action(network.Isolate{Node: "n3"}) {
				last = s // rapid runs the shrunk case last
				t.Fatalf("isolated n3")
			}
		}
	})
	require.True(t, r.failed, "rapid found a schedule isolating n3")
	require.Equal(t, network.Schedule{
		{At: 0, Action: network.Isolate{Node: "n3"}},
		{At: time.Second, Action: network.Heal{}},
		{At: time.Second, Action: network.Reset{}},
	}, last)
}
