package raftsuite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

// TestScenarioOfANode: the scenario a course registers for a node runs our
// Raft cleanly, the same way twice, and reports a broken one's violation.
func TestScenarioOfANode(t *testing.T) {
	run := func(newNode Constructor, seed uint64) (scenarios.Result, string) {
		h := sim.NewHasher()
		r, err := scenarios.Start(Scenario("test-raft", newNode), scenarios.Options{Seed: seed, Tracer: h})
		require.NoError(t, err)
		r.World.RunFor(r.For)
		return r.Finish(), h.Sum()
	}
	res, h1 := run(ours, 1)
	require.NoError(t, res.Err, "%v", res.Summary)
	committed, _ := res.Metric("committed")
	assert.Greater(t, committed, 30.0, "%v", res.Summary)
	leaders, _ := res.Metric("leaders")
	assert.GreaterOrEqual(t, leaders, 2.0, "the crash of the leader makes a new one: %v", res.Summary)
	_, h2 := run(ours, 1)
	assert.Equal(t, h1, h2, "same seed, same trace")

	res, _ = run(func(cfg raft.Config, app rsm.Applier) raft.Implementation {
		return &forgetful{raft.New(cfg, app)}
	}, 1)
	require.Error(t, res.Err, "a node whose reported term goes back is caught")
	assert.Contains(t, res.Summary[len(res.Summary)-1], "why it matters")
}

// forgetful reports a term one lower once its term passes 1: the checks of
// a scenario must notice.
type forgetful struct{ *raft.Node }

func (f *forgetful) Status() raft.Status {
	s := f.Node.Status()
	if s.Term > 1 && s.Role != raft.Leader {
		s.Term--
	}
	return s
}
