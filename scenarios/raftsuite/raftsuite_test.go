package raftsuite

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
)

func ours(cfg raft.Config, app rsm.Applier) raft.Implementation { return raft.New(cfg, app) }

// TestRaft grades our Raft with the whole suite.
func TestRaft(t *testing.T) {
	Run(t, ours)
}

func broken(bug raft.Bug) Constructor {
	return func(cfg raft.Config, app rsm.Applier) raft.Implementation { return raft.NewBroken(cfg, app, bug) }
}

func testByName(t *testing.T, name string) Test {
	for _, test := range Tests {
		if test.Name == name {
			return test
		}
	}
	t.Fatalf("no test %q", name)
	return Test{}
}

// TestSuiteRejectsBrokenRaft shows the suite can fail: each deliberate bug of
// raft.NewBroken is caught on every default seed by the scenario built for
// it, and for the right reason (the violation it must cause).
func TestSuiteRejectsBrokenRaft(t *testing.T) {
	cases := []struct {
		bug  raft.Bug
		test string
		// want are the violations that count as the right reason; a bug
		// that breaks no safety property but liveness or efficiency is
		// caught by its failure message instead, containing msg.
		want []error
		msg  string
	}{
		{raft.CommitsEarlierTermByCounting, "Figure8Scripted", []error{check.ErrStateMachineSafety, check.ErrLeaderCompleteness}, ""},
		{raft.ForgetsVotedFor, "CrashAfterVote", []error{check.ErrDoubleVote, check.ErrElectionSafety}, ""},
		{raft.GrantsVotesWithoutLogCheck, "ElectionRestriction", []error{check.ErrLeaderCompleteness, check.ErrStateMachineSafety}, ""},
		{raft.ForgetsTermOnStepDown, "Persist2", []error{check.ErrTermDecreased}, ""},
		{raft.CountsStaleVotes, "StaleVoteReplies", []error{check.ErrLeaderWithoutMajority}, ""},
		{raft.PreVoteIgnoresLease, "RejoinUnderPreVote", nil, "with PreVote"},
		{raft.TimerIgnoresHeartbeats, "StableLeader", nil, "a heartbeat must reset the follower's election timer"},
		{raft.ResetsTimerOnStaleHeartbeats, "StaleLeaderHeartbeats", nil, "a message from an older term must be rejected without resetting the election timer"},
		{raft.InstallsStaleSnapshots, "SnapshotReordered", []error{ErrBadSnapshot, ErrApplyOrder}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.bug.String(), func(t *testing.T) {
			t.Parallel()
			test := testByName(t, tc.test)
			for _, seed := range DefaultSeeds {
				res := Grade(test, Setup{New: broken(tc.bug), Seed: seed, Config: DefaultConfig()}, tc.test)
				require.Truef(t, res.Failed, "seed %d: %s passed a Raft with bug %v", seed, tc.test, tc.bug)
				if tc.want == nil {
					require.NoErrorf(t, res.Violation, "seed %d: %v broke safety; the test expects it to break only %q", seed, tc.bug, tc.msg)
					require.NotEmpty(t, res.Messages)
					assert.Containsf(t, res.Messages[0], tc.msg, "seed %d: %v caught for the wrong reason", seed, tc.bug)
					continue
				}
				require.Errorf(t, res.Violation, "seed %d: %s failed without a safety violation: %v", seed, tc.test, res.Messages)
				right := false
				for _, w := range tc.want {
					right = right || errors.Is(res.Violation, w)
				}
				assert.Truef(t, right, "seed %d: %v caught for the wrong reason: %v", seed, tc.bug, res.Violation)
				t.Logf("seed %d: %v", seed, res.Violation)
			}
		})
	}
}

// TestOursPassesScriptedUnderGrade checks Grade itself reports a pass.
func TestGradePassesOurs(t *testing.T) {
	res := Grade(testByName(t, "InitialElection"), Setup{New: ours, Seed: 1, Config: DefaultConfig()}, "InitialElection")
	require.False(t, res.Failed, "%v", res.Messages)
	require.NoError(t, res.Violation)
}

// TestDeterminism runs one test twice with the same seed: same trace bytes.
func TestDeterminism(t *testing.T) {
	hash := func(seed uint64) string {
		h := sim.NewHasher()
		RunOne(t, testByName(t, "Figure8Unreliable"), Setup{New: ours, Seed: seed, Config: DefaultConfig(), Tracer: h})
		require.Greater(t, h.Records(), 1000)
		return h.Sum()
	}
	a, b := hash(7), hash(7)
	require.Equal(t, a, b, "same seed, different traces")
	require.NotEqual(t, a, hash(8), "different seeds gave the same trace")
}

// skipper applies through to the suite's Applier, but drops the first
// command anyone applies at index 3.
type skipper struct {
	rsm.Applier
	skipped *bool
}

func (s skipper) Apply(env sim.Env, index uint64, cmd []byte) {
	if index == 3 && !*s.skipped {
		*s.skipped = true
		return
	}
	s.Applier.Apply(env, index, cmd)
}

// corrupter hands the suite's Applier a damaged snapshot to restore.
type corrupter struct{ rsm.Applier }

func (c corrupter) Restore(index uint64, snap []byte) {
	bad := append([]byte(nil), snap...)
	bad[len(bad)-1] ^= 1
	c.Applier.Restore(index, bad)
}

// TestHarnessCatchesApplyMistakes shows the applied-sequence checks can
// fail: a node that skips a command, and one that restores a snapshot that
// is not what it saved.
func TestHarnessCatchesApplyMistakes(t *testing.T) {
	skipped := false
	skip := func(cfg raft.Config, app rsm.Applier) raft.Implementation {
		return raft.New(cfg, skipper{app, &skipped})
	}
	res := Grade(testByName(t, "SnapshotBasic"), Setup{New: skip, Seed: 1, Config: DefaultConfig()}, "SnapshotBasic")
	require.ErrorIs(t, res.Violation, ErrApplyOrder)

	corrupt := func(cfg raft.Config, app rsm.Applier) raft.Implementation {
		return raft.New(cfg, corrupter{app})
	}
	res = Grade(testByName(t, "SnapshotInit"), Setup{New: corrupt, Seed: 1, Config: DefaultConfig()}, "SnapshotInit")
	require.ErrorIs(t, res.Violation, ErrBadSnapshot)
}
