package paxossuite_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/paxos/paxossuite"
	"github.com/dsimlab/dsim/sim"
)

func TestScenarioOfANode(t *testing.T) {
	run := func(newNode paxossuite.Constructor, seed uint64) (scenarios.Result, string) {
		h := sim.NewHasher()
		r, err := scenarios.Start(paxossuite.Scenario("test-paxos", newNode), scenarios.Options{Seed: seed, Tracer: h})
		require.NoError(t, err)
		r.World.RunUntil(r.Done, r.For)
		return r.Finish(), h.Sum()
	}
	res, h1 := run(ours, 1)
	require.NoError(t, res.Err, "%v", res.Summary)
	learned, _ := res.Metric("learned")
	assert.Equal(t, 5.0, learned, "%v", res.Summary)
	_, h2 := run(ours, 1)
	assert.Equal(t, h1, h2)
}
