package paxossuite_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/scenarios/paxos/paxossuite"
	"github.com/dsimlab/dsim/scenarios/suite"
)

func ours(cfg paxos.Config) paxos.Implementation { return paxos.New(cfg) }

func TestHomeworkRefusesTheReference(t *testing.T) {
	a := paxossuite.Assignment(ours)
	var why error
	for _, v := range a.Probe() {
		if err := suite.Refuse(v, a.Reference...); err != nil {
			why = err
		}
	}
	require.ErrorIs(t, why, suite.ErrReference)
	assert.Contains(t, why.Error(), "paxos.Node")
}

func TestHomeworkGradesOursWhenNotRefused(t *testing.T) {
	a := paxossuite.Assignment(ours)
	a.Reference, a.Seeds = nil, []uint64{1}
	outs := suite.Grade(t, a)
	require.Len(t, outs, len(paxossuite.Tests))
	var total float64
	for _, o := range outs {
		assert.True(t, o.Passed, "%s: %s", o.Name, o.Output)
		total += o.Score
	}
	assert.InDelta(t, 100, total, 0.01)
}
