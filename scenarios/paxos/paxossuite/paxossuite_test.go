package paxossuite_test

import (
	"errors"
	"testing"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/scenarios/paxos/paxossuite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPaxos(t *testing.T) {
	paxossuite.Run(t, func(cfg paxos.Config) paxos.Implementation { return paxos.New(cfg) })
}

func findTest(t *testing.T, name string) paxossuite.Test {
	for _, test := range paxossuite.Tests {
		if test.Name == name {
			return test
		}
	}
	t.Fatalf("no test %s", name)
	return paxossuite.Test{}
}

// The suite rejects each deliberate bug, on every seed, and for the reason
// the bug deserves: two values chosen.
func TestSuiteRejectsBrokenPaxos(t *testing.T) {
	tests := []struct {
		bug  paxos.Bug
		test string
		want []error
	}{
		{paxos.ForgetsPromise, "ForgottenPromise", []error{paxossuite.ErrPromiseBroken, paxossuite.ErrTwoValuesChosen}},
		{paxos.IgnoresAcceptedValues, "AcceptedValueCarriedOver", []error{paxossuite.ErrTwoValuesChosen}},
		{paxos.NeverSyncs, "ForgottenPromise", []error{paxossuite.ErrPromiseDecreased}},
		{paxos.AcceptDoesNotRaisePromise, "AcceptWithoutPrepare", []error{paxossuite.ErrAcceptNotPromised}},
		{paxos.CountsAcceptancesAcrossBallots, "LearnerOneBallot", []error{paxossuite.ErrChosenValueChanged}},
	}
	for _, tt := range tests {
		t.Run(tt.bug.String(), func(t *testing.T) {
			for _, seed := range paxossuite.DefaultSeeds {
				res := paxossuite.Grade(findTest(t, tt.test), paxossuite.Setup{
					New:    func(cfg paxos.Config) paxos.Implementation { return paxos.NewBroken(cfg, tt.bug) },
					Seed:   seed,
					Config: paxossuite.DefaultConfig(),
				})
				require.True(t, res.Failed, "seed %d: the suite passed %v", seed, tt.bug)
				for _, want := range tt.want {
					assert.True(t, containsErr(res.Violations, want), "seed %d: want %v among %v", seed, want, res.Violations)
				}
				t.Logf("seed %d: %v", seed, res.Violations)
			}
		})
	}
}

// And the same scripted tests pass the correct Paxos: the failures above
// are the bugs', not the scripts'.
func TestScriptsPassCorrectPaxos(t *testing.T) {
	for _, name := range []string{"ForgottenPromise", "AcceptedValueCarriedOver", "AcceptWithoutPrepare", "LearnerOneBallot"} {
		for _, seed := range paxossuite.DefaultSeeds {
			res := paxossuite.Grade(findTest(t, name), paxossuite.Setup{
				New:    func(cfg paxos.Config) paxos.Implementation { return paxos.New(cfg) },
				Seed:   seed,
				Config: paxossuite.DefaultConfig(),
			})
			assert.False(t, res.Failed, "%s seed %d: %v %v", name, seed, res.Messages, res.Violations)
		}
	}
}

func containsErr(errs []error, target error) bool {
	for _, err := range errs {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
