// Package raftsuite grades a Raft implementation: ours, or a student's.
//
// It is the Raft lab's test suite (MIT 6.5840, labs 3A–3D) rebuilt on dsim's
// simulator, plus scripted scenarios for the classic mistakes. Each test
// takes a Constructor, so every implementation is judged by the same tests;
// each runs on virtual time, so the whole suite at five seeds takes well
// under a second of CPU where the lab's takes minutes of real time, and a
// failure replays exactly from its seed.
//
// # Grading a homework
//
// A student writes a raft.Implementation (a sim.Node with Propose and
// Status) that applies committed commands to the rsm.Applier it is given.
// The course's test file is all it takes:
//
//	package myraft
//
//	import (
//		"testing"
//
//		"github.com/dsimlab/dsim/consensus/raft"
//		"github.com/dsimlab/dsim/consensus/rsm"
//		"github.com/dsimlab/dsim/scenarios/raftsuite"
//	)
//
//	func TestRaft(t *testing.T) {
//		raftsuite.Run(t, func(cfg raft.Config, app rsm.Applier) raft.Implementation {
//			return New(cfg, app) // the student's constructor
//		})
//	}
//
// Run runs every test of Tests at seeds 1 to 5 as parallel subtests named
// TestRaft/Figure8/seed=3. RunTests chooses the tests, the Config and the
// seeds; Grade runs one test without a *testing.T and returns a Result, to
// score a submission test by test.
//
// Homework is what a homework module's test calls instead (see
// homework/raft): the tests as the lab's parts A to D, scored, a failure
// reported once however many seeds it recurs at, artifacts, Gradescope and
// JUnit output (package scenarios/suite), and a refusal of any node that is
// or wraps dsim's own raft.Node. Scenario turns a constructor into a
// scenario, so a course's own dsim (dsimcli.Main with dsimcli.Scenarios)
// runs and shows the student's nodes.
//
// # What is checked, always
//
// Besides what each test asserts, a Cluster checks after every simulation
// step, whatever the test is doing:
//
//   - Election Safety (§5.2): at most one leader per term, from every node's
//     Status (check.ElectionSafety);
//   - elections (check.Elections): a node's term never decreases, across
//     restarts too; it votes for at most one candidate per term, and a vote
//     it has sent survives a restart; a leader holds votes from a majority
//     cast in its own term (Status must report VotedFor);
//   - Leader Completeness (§5.4): a node that becomes leader holds every
//     entry committed so far (check.LeaderCompleteness);
//   - committed entries never change: two nodes never report different terms
//     at an index both say is committed;
//   - State Machine Safety (§5.4.3): no two nodes apply different commands at
//     one index (check.StateMachineSafety);
//   - each node applies in log order, without skipping a command some other
//     node applied, and a snapshot it restores holds exactly the commands
//     committed up to its index (the Applier's snapshot is a digest of what
//     it applied, so a lost or reordered command shows);
//
// and at the end of a test, Log Matching (§5.3) between every two nodes.
// The first violation fails the test with its description, why it matters,
// every node's state, the last lines each node logged and its last events,
// the seed and the command that replays it.
//
// # The tests
//
// Leader election (3A): InitialElection, ReElection, ManyElections (seven
// nodes, three cut off at a time). Agreement (3B): BasicAgree,
// FollowerFailure, LeaderFailure, FailAgree, FailNoAgree (no commit without
// a majority), ConcurrentStarts, Rejoin (a deposed leader's uncommitted
// entries are replaced), Backup (stragglers with 50 conflicting entries each
// catch up within BackupLimit), Count (messages per election, per
// agreement and per idle second are bounded). Persistence (3C): Persist1,
// Persist2, Persist3, Figure8 (leaders crash at random moments),
// UnreliableAgree, Figure8Unreliable (loss and long reordering),
// ReliableChurn and UnreliableChurn (clients keep proposing while nodes
// crash, restart and disconnect). Log compaction (3D), with
// SnapshotThreshold nodes compact themselves: SnapshotBasic,
// SnapshotInstall, SnapshotInstallUnreliable, SnapshotInstallCrash,
// SnapshotInstallUnCrash, SnapshotAllCrash, SnapshotInit (nodes restart from
// their snapshot).
//
// Provoked tests make happen what the election checks need:
// RejoinUnderPreVote (a node cut off, entirely or from the leader only,
// rejoins: leader and term stay), StableLeader (no campaigns under a healthy
// leader: heartbeats reset timers), StaleLeaderHeartbeats (a deposed leader's
// old-term heartbeats must not reset timers), StaleVoteReplies (votes
// granted in an earlier term arrive late and must not count) and
// SnapshotReordered (late, duplicate InstallSnapshots).
//
// Three scripted scenarios steer the cluster into the one schedule a classic
// mistake needs, so it fails on every seed instead of now and then:
//
//   - CrashAfterVote: every voter crashes right after it votes, while two
//     sides that cannot hear each other campaign in the same term. A node
//     that does not persist votedFor votes twice: two leaders in one term.
//   - ElectionRestriction: two stale nodes race the one up-to-date survivor.
//     A voter that skips the §5.4.1 up-to-date check elects a leader that
//     lacks committed entries.
//   - Figure8Scripted: Figure 8 of the paper, step by step. A leader that
//     commits an entry of an earlier term by counting replicas (§5.4.2) sees
//     it overwritten by the next leader: a committed entry changes.
//
// The package's own tests run the suite against raft.New, and show that it
// rejects each bug of raft.NewBroken for the right reason.
//
// # Replaying a failure
//
// Every failure ends like this:
//
//	seed 3, at 2512.372ms of virtual time; replay: go test ./scenarios/raftsuite -run '^TestRaft$/^Figure8$/^seed=3$' -count=1
//
// The same seed gives the same run, event for event, so the command brings
// the failure back every time: add log lines, run it again, and read what
// your nodes did. Setup.Tracer can record the whole trace (sim.NewJSONL).
//
// # Writing a test
//
// A Test's Run gets a T (a *testing.T, or Grade's recorder) and a Setup,
// builds clusters with Setup.MakeCluster and drives them with the
// operations of 6.5840's config.go: CheckOneLeader, CheckNoLeader,
// CheckTerms, Start, One, NCommitted, Wait, Disconnect, Connect, Partition,
// Cut, Crash, Restart, SetUnreliable, SetLongReordering, Messages. Nodes are
// addressed by index, 0 to n-1, and named n0, n1, ... in traces. Nothing
// sleeps: "wait" means RunFor or RunUntil, on virtual time.
package raftsuite
