package twopcsuite

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/suite"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/twopc"
)

func TestTwoPC(t *testing.T) { Run(t, Ours()) }

func byName(t *testing.T, name string) Test {
	for _, test := range Tests {
		if test.Name == name {
			return test
		}
	}
	t.Fatalf("no test %s", name)
	return Test{}
}

func TestSuiteRejectsBrokenTwoPC(t *testing.T) {
	abortAlone := Ours()
	abortAlone.Participant = func(cfg twopc.ParticipantConfig) Participant {
		return twopc.NewBrokenParticipant(cfg, twopc.AbortsWhenUncertain)
	}
	noTimeout := Ours()
	noTimeout.Coordinator = func(cfg twopc.Config) sim.Node { return twopc.NewBrokenCoordinator(cfg, twopc.NoVoteTimeout) }
	cases := []struct {
		bug   twopc.Bug
		nodes Constructors
		test  string
		want  error
	}{
		{twopc.AbortsWhenUncertain, abortAlone, "CoordinatorCrash", ErrNotAtomic},
		{twopc.NoVoteTimeout, noTimeout, "NoNeedlessBlocking", ErrNeedlessBlock},
	}
	for _, tc := range cases {
		t.Run(tc.bug.String(), func(t *testing.T) {
			for _, seed := range DefaultSeeds {
				failed, msgs := Grade(byName(t, tc.test), tc.nodes, seed)
				require.Truef(t, failed, "seed %d: %s passed %v", seed, tc.test, tc.bug)
				msg := msgs[len(msgs)-1]
				assert.Truef(t, strings.HasPrefix(msg, tc.want.Error()), "seed %d: %v caught for the wrong reason: %.300s", seed, tc.bug, msg)
				t.Logf("seed %d: %.200s", seed, msg)
			}
		})
	}
}

func TestHomeworkRefusesTheReference(t *testing.T) {
	a := Assignment(Ours())
	var why error
	for _, v := range a.Probe() {
		if err := suite.Refuse(v, a.Reference...); err != nil {
			why = err
		}
	}
	require.ErrorIs(t, why, suite.ErrReference)
}

func TestDeterminism(t *testing.T) {
	hash := func() string {
		h := sim.NewHasher()
		RunOne(t, byName(t, "Conflicts"), Ours(), 3, h)
		return h.Sum()
	}
	require.Equal(t, hash(), hash())
}

func TestScenarioOfNodes(t *testing.T) {
	run := func(nodes Constructors) (scenarios.Result, string) {
		h := sim.NewHasher()
		r, err := scenarios.Start(Scenario("test-2pc", nodes), scenarios.Options{Seed: 2, Tracer: h})
		require.NoError(t, err)
		r.World.RunFor(r.For)
		return r.Finish(), h.Sum()
	}
	res, h1 := run(Ours())
	require.NoError(t, res.Err, "%v", res.Summary)
	committed, _ := res.Metric("committed")
	assert.Positive(t, committed, "%v", res.Summary)
	_, h2 := run(Ours())
	require.Equal(t, h1, h2)
}
