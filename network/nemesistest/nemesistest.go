// Package nemesistest draws fault schedules for property tests with rapid.
//
// network.RandomSchedule draws a schedule from a seed; when a protocol
// breaks under one, the seed alone says little. The generator here draws
// the same kind of schedule through rapid instead, so a failing property is
// shrunk to a short schedule that still breaks it: fewer faults, earlier,
// simpler. Print it (Schedule.String) and you have a replayable bug report.
//
//	rapid.Check(t, func(t *rapid.T) {
//		s := nemesistest.Schedule(nodes, 5*time.Second, network.RandomOptions{}).Draw(t, "faults")
//		w, m := newCluster(...)
//		require.NoError(t, network.Play(w, m, s))
//		w.RunFor(10 * time.Second)
//		// assert the protocol recovered
//	})
//
// It lives apart from package network so that rapid, a test library, is
// not a dependency of every program that simulates a network.
package nemesistest

import (
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"pgregory.net/rapid"
)

// choicesPerFault is how many numbers each fault draws up front: enough for
// the most demanding fault (a partition of many nodes shuffles them); if a
// fault needs more, the numbers are reused.
const choicesPerFault = 12

// Schedule generates fault schedules over nodes within span, as
// network.RandomSchedule does: faults drawn from opts.Kinds, at most
// opts.MaxCrashed nodes down at once, everything healed and restarted at
// span. The number of faults is drawn too, up to opts.Faults (default 10).
//
// Each fault is one element of a rapid slice, with its own time and its own
// numbers for every choice, so shrinking can delete a fault, move it to
// time zero and simplify it (node n1, the first kind, the smallest
// parameter) without disturbing the others.
func Schedule(nodes []sim.NodeID, span time.Duration, opts network.RandomOptions) *rapid.Generator[network.Schedule] {
	most := opts.Faults
	if most == 0 {
		most = 10
	}
	most = max(most, 0)
	fault := rapid.Custom(func(t *rapid.T) network.FaultDraw {
		return network.FaultDraw{
			At:      time.Duration(rapid.Int64Range(0, int64(max(span, 1))-1).Draw(t, "at")),
			Choices: &choices{n: rapid.SliceOfN(rapid.IntRange(0, 1<<20), choicesPerFault, choicesPerFault).Draw(t, "choices")},
		}
	})
	return rapid.Custom(func(t *rapid.T) network.Schedule {
		draws := rapid.SliceOfN(fault, 0, most).Draw(t, "faults")
		return network.BuildSchedule(draws, nodes, span, opts)
	})
}

// choices hands out pre-drawn numbers as a network.Source. A number v
// becomes v mod n, so rapid shrinking v toward 0 picks the first option.
type choices struct {
	n    []int
	next int
}

func (c *choices) take() int {
	v := c.n[c.next%len(c.n)]
	c.next++
	return v
}

func (c *choices) IntN(n int) int { return c.take() % n }

func (c *choices) Int64N(n int64) int64 { return int64(c.take()) % n }
