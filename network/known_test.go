package network_test

import (
	"testing"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A fault that names a node the world does not have, or a model no world
// uses, is an error: before, both silently cut nobody off.
func TestFaultsOnUnknownNodesOrNoWorldAreErrors(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2", "n3")
	cases := []struct {
		name string
		do   func(m *network.Model) error
	}{
		{"partition", func(m *network.Model) error { return m.Partition([]sim.NodeID{"n1", "c1"}) }},
		{"isolate", func(m *network.Model) error { return m.Isolate("n9") }},
		{"cut", func(m *network.Model) error { return m.Cut("n1", "n7") }},
	}
	for _, tc := range cases {
		err := tc.do(l.m)
		require.ErrorIs(t, err, network.ErrUnknownNode, tc.name)
		assert.Contains(t, err.Error(), "the nodes are n1, n2, n3", tc.name)
	}
	assert.Equal(t, l.sendAll(), pairs([]sim.NodeID{"n1", "n2", "n3"}, func(_, _ sim.NodeID) bool { return true }), "the refused faults cut nothing")

	lone := network.MustNew(network.Config{})
	for _, tc := range cases {
		assert.ErrorIs(t, tc.do(lone), network.ErrNoWorld, tc.name)
	}
}
