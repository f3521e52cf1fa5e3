package quorumsuite

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/suite"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/quorum"
)

func ours(cfg quorum.Config) Implementation {
	s, err := quorum.NewServer(cfg)
	if err != nil {
		panic(err)
	}
	return s
}

func TestQuorum(t *testing.T) { Run(t, ours) }

func byName(t *testing.T, name string) Test {
	for _, test := range Tests {
		if test.Name == name {
			return test
		}
	}
	t.Fatalf("no test %s", name)
	return Test{}
}

func TestSuiteRejectsBrokenQuorum(t *testing.T) {
	cases := []struct {
		bug  quorum.Bug
		test string
		want []error
	}{
		{quorum.AcksAfterOneReplica, "ReadYourWrites", []error{ErrStaleRead}},
		{quorum.ReplacesSiblings, "Convergence", []error{ErrLostWrite, ErrDiverged}},
		{quorum.ForgetsHints, "HintedHandoff", []error{ErrNoHandoff}},
	}
	for _, tc := range cases {
		t.Run(tc.bug.String(), func(t *testing.T) {
			t.Parallel()
			for _, seed := range DefaultSeeds {
				failed, msgs := Grade(byName(t, tc.test), func(cfg quorum.Config) Implementation {
					s, err := quorum.NewBroken(cfg, tc.bug)
					if err != nil {
						panic(err)
					}
					return s
				}, seed)
				require.Truef(t, failed, "seed %d: %s passed %v", seed, tc.test, tc.bug)
				msg := msgs[len(msgs)-1]
				right := false
				for _, w := range tc.want {
					right = right || strings.HasPrefix(msg, w.Error())
				}
				assert.Truef(t, right, "seed %d: %v caught for the wrong reason: %.300s", seed, tc.bug, msg)
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
		RunOne(t, byName(t, "Convergence"), ours, 2, h)
		return h.Sum()
	}
	require.Equal(t, hash(), hash())
}

func TestScenarioOfAServer(t *testing.T) {
	run := func(newServer Constructor) (scenarios.Result, string) {
		h := sim.NewHasher()
		r, err := scenarios.Start(Scenario("test-quorum", newServer), scenarios.Options{Seed: 3, Tracer: h})
		require.NoError(t, err)
		r.World.RunFor(r.For)
		return r.Finish(), h.Sum()
	}
	res, h1 := run(ours)
	require.NoError(t, res.Err, "%v", res.Summary)
	_, h2 := run(ours)
	require.Equal(t, h1, h2)
	res, _ = run(func(cfg quorum.Config) Implementation { s, _ := quorum.NewBroken(cfg, quorum.ForgetsHints); return s })
	require.ErrorIs(t, res.Err, ErrNoHandoff)
}
