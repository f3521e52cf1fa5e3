package paxossuite_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/consensus/paxos"
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

// TestExploreAStudentsPaxos: the course scenario can be explored; our
// Paxos shows no violation within the bounds, and a broken one is caught.
func TestExploreAStudentsPaxos(t *testing.T) {
	explored := func(newNode paxossuite.Constructor) explore.Result {
		s := paxossuite.Scenario("test-explore-paxos", newNode)
		m, err := scenarios.ExploreModel(s, scenarios.Options{Seed: 1})
		require.NoError(t, err)
		b := s.Explore.BoundsOr(scenarios.DefaultExploreBounds)
		b.MaxStates = 2000 // a taste: dsim explore goes on to 20,000
		r, err := explore.Explore(explore.Config{Model: m, Bounds: b, Strategy: explore.BFS})
		require.NoError(t, err)
		t.Logf("%d states, %d transitions, complete %v, %v", r.States, r.Edges, r.Complete, r.Violation)
		return r
	}
	require.NoError(t, explored(ours).Violation)
	r := explored(func(cfg paxos.Config) paxos.Implementation { return paxos.NewBroken(cfg, paxos.NeverSyncs) })
	require.ErrorIs(t, r.Violation, paxossuite.ErrPromiseDecreased)
}
