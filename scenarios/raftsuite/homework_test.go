package raftsuite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/scenarios/suite"
)

// wrapper is what a student might hand in to get the reference graded.
type wrapper struct {
	raft.Implementation
}

// TestHomeworkRefusesTheReference: the homework grader refuses raft.New,
// and a node that wraps it, with a message saying so.
func TestHomeworkRefusesTheReference(t *testing.T) {
	cases := map[string]Constructor{
		"raft.New": ours,
		"wrapped": func(cfg raft.Config, app rsm.Applier) raft.Implementation {
			return &wrapper{Implementation: raft.New(cfg, app)}
		},
	}
	for name, newNode := range cases {
		t.Run(name, func(t *testing.T) {
			a := Assignment(newNode)
			var why error
			for _, v := range a.Probe() {
				if err := suite.Refuse(v, a.Reference...); err != nil {
					why = err
				}
			}
			require.ErrorIs(t, why, suite.ErrReference)
			assert.Contains(t, why.Error(), "raft.Node")
			t.Log(why)
		})
	}
}

// TestHomeworkGradesOursWhenNotRefused: with the refusal off, the homework
// grader passes our Raft in every part at one seed (the assignment is
// sound), and the scores add up.
func TestHomeworkGradesOursWhenNotRefused(t *testing.T) {
	a := Assignment(ours)
	a.Reference, a.Seeds = nil, []uint64{1}
	outs := suite.Grade(t, a)
	require.Len(t, outs, len(Tests))
	var total float64
	for _, o := range outs {
		assert.True(t, o.Passed, "%s: %s", o.Name, o.Output)
		total += o.Score
	}
	assert.InDelta(t, 100, total, 0.01)
}
