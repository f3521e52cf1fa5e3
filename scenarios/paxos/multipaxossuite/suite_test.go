package multipaxossuite

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/paxos/multipaxos"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/suite"
	"github.com/dsimlab/dsim/sim"
)

func ours(cfg multipaxos.Config, app rsm.Applier) rsm.Replica { return multipaxos.New(cfg, app) }

func TestMultiPaxos(t *testing.T) { Run(t, ours) }

func byName(t *testing.T, name string) Test {
	for _, test := range Tests {
		if test.Name == name {
			return test
		}
	}
	t.Fatalf("no test %s", name)
	return Test{}
}

// TestSuiteRejectsBrokenMultiPaxos: each bug of multipaxos.NewBroken fails
// the test built for it at every default seed, for the right reason.
func TestSuiteRejectsBrokenMultiPaxos(t *testing.T) {
	cases := []struct {
		bug  multipaxos.Bug
		test string
		want []error
	}{
		{multipaxos.IgnoresAcceptedValues, "LeaderCrash", []error{ErrLostOrDoubled, ErrNotLinearizable}},
		{multipaxos.DecidesWithoutMajority, "Partition", []error{ErrLostOrDoubled, ErrNotLinearizable}},
	}
	for _, tc := range cases {
		t.Run(tc.bug.String(), func(t *testing.T) {
			t.Parallel()
			for _, seed := range DefaultSeeds {
				failed, msgs := Grade(byName(t, tc.test), func(cfg multipaxos.Config, app rsm.Applier) rsm.Replica {
					return multipaxos.NewBroken(cfg, app, tc.bug)
				}, seed)
				require.Truef(t, failed, "seed %d: %s passed %v", seed, tc.test, tc.bug)
				msg := msgs[len(msgs)-1]
				right := false
				for _, w := range tc.want {
					right = right || strings.HasPrefix(msg, w.Error())
				}
				assert.Truef(t, right, "seed %d: %v caught for the wrong reason: %s", seed, tc.bug, firstLine(msg))
				t.Logf("seed %d: %s", seed, firstLine(msg))
			}
		})
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func TestHomeworkRefusesTheReference(t *testing.T) {
	a := Assignment(ours)
	var why error
	for _, v := range a.Probe() {
		if err := suite.Refuse(v, a.Reference...); err != nil {
			why = err
		}
	}
	require.True(t, errors.Is(why, suite.ErrReference), "%v", why)
}

func TestDeterminism(t *testing.T) {
	hash := func() string {
		h := sim.NewHasher()
		RunOne(t, byName(t, "LeaderCrash"), ours, 3, h)
		return h.Sum()
	}
	require.Equal(t, hash(), hash())
}

func TestScenarioOfAReplica(t *testing.T) {
	r, err := scenarios.Start(Scenario("test-mp", ours), scenarios.Options{Seed: 2})
	require.NoError(t, err)
	r.World.RunFor(r.For)
	res := r.Finish()
	require.NoError(t, res.Err, "%v", res.Summary)
}
