package broadcastsuite

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/gossip/glomers"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/suite"
	"github.com/dsimlab/dsim/sim"
)

func ours() sim.Node { return glomers.New() }

func TestBroadcast(t *testing.T) { Run(t, ours) }

func byName(t *testing.T, name string) Test {
	for _, test := range Tests {
		if test.Name == name {
			return test
		}
	}
	t.Fatalf("no test %s", name)
	return Test{}
}

func TestSuiteRejectsBrokenGossip(t *testing.T) {
	cases := []struct {
		bug  glomers.Bug
		test string
		want error
	}{
		{glomers.NoAntiEntropy, "Partition", ErrMissing},
		{glomers.RefloodsEveryValue, "Efficiency", ErrTooMany},
		{glomers.SumsCounters, "GCounter", ErrWrongCount},
	}
	for _, tc := range cases {
		t.Run(tc.bug.String(), func(t *testing.T) {
			for _, seed := range DefaultSeeds {
				failed, msgs := Grade(byName(t, tc.test), func() sim.Node { return glomers.NewBroken(tc.bug) }, seed)
				require.Truef(t, failed, "seed %d: %s passed %v", seed, tc.test, tc.bug)
				msg := msgs[len(msgs)-1]
				assert.Truef(t, strings.HasPrefix(msg, tc.want.Error()), "seed %d: %v caught for the wrong reason: %.300s", seed, tc.bug, msg)
				t.Logf("seed %d: %.200s", seed, msg)
			}
		})
	}
}

func TestHomeworkRefusesTheReference(t *testing.T) {
	a := Assignment(ours)
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
		RunOne(t, byName(t, "GCounter"), ours, 3, h)
		return h.Sum()
	}
	require.Equal(t, hash(), hash())
}

func TestScenarioOfANode(t *testing.T) {
	run := func(newNode Constructor) (scenarios.Result, string) {
		h := sim.NewHasher()
		r, err := scenarios.Start(Scenario("test-broadcast", newNode), scenarios.Options{Seed: 4, Tracer: h})
		require.NoError(t, err)
		r.World.RunFor(r.For)
		return r.Finish(), h.Sum()
	}
	res, h1 := run(ours)
	require.NoError(t, res.Err, "%v", res.Summary)
	_, h2 := run(ours)
	require.Equal(t, h1, h2)
	res, _ = run(func() sim.Node { return glomers.NewBroken(glomers.NoAntiEntropy) })
	require.ErrorIs(t, res.Err, ErrMissing, "%v", res.Summary)
}
