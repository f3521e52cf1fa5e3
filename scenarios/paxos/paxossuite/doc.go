// Package paxossuite grades a single-decree Paxos implementation: ours
// (paxos.New), or a student's.
//
// A student writes a paxos.Implementation — a sim.Node with
// Propose(env, value) and Status() — that speaks to its peers however it
// likes, and reports its acceptor's promised and accepted ballots and its
// learner's chosen value in Status. The course's test file is all it takes:
//
//	func TestPaxos(t *testing.T) {
//		paxossuite.Run(t, func(cfg paxos.Config) paxos.Implementation {
//			return New(cfg) // the student's constructor
//		})
//	}
//
// Run runs every test of Tests at seeds 1 to 5, as parallel subtests named
// TestPaxos/Churn/seed=3. Grade runs one test without a *testing.T and
// returns its Result, to score a submission test by test.
//
// # What is checked, always
//
// After every event of every cluster, Safety reads each node's Status and
// checks:
//
//   - at most one value is chosen: no two majorities ever accepted different
//     values (ErrTwoValuesChosen). Safety sees each acceptance as it happens,
//     so it knows every value ever chosen, even if acceptors later accept
//     something else;
//   - a chosen value never changes: a learner never changes its mind, and
//     learns only a value a majority accepted (ErrChosenValueChanged);
//   - no acceptor accepts a ballot below one it promised, even across a
//     crash (ErrPromiseBroken).
//
// # The tests
//
// OneProposer, FiveNodes, ConcurrentProposers (three at once, which needs
// the Config's randomised backoff to finish), MinorityCrashed,
// MajorityCrashed (nothing chosen without a majority), ChosenSurvivesRestarts,
// Unreliable (loss, duplicates, reordering), Churn (a minority crashes and
// restarts while everyone proposes), and four scripted schedules that a
// classic mistake cannot survive:
//
//   - ForgottenPromise: an acceptor restarts between promising a ballot and
//     receiving that ballot's late Accept. One that did not persist its
//     promise accepts a lower ballot meanwhile, and two values are chosen.
//   - AcceptedValueCarriedOver: a proposer whose phase 1 reports a value
//     already accepted must propose it. One that proposes its own value
//     overwrites a chosen value.
//   - AcceptWithoutPrepare: an acceptor misses the Prepare but gets the
//     Accept; its promise must rise with the acceptance.
//   - LearnerOneBallot: two acceptors accept one value at two ballots; a
//     learner that counts per value, not per ballot, learns it too early.
//
// The package's own tests run the suite against paxos.New, and show that it
// rejects each bug of paxos.NewBroken for the right reason.
//
// Besides each test's assertions, Safety checks after every step that no
// two values are chosen, that a learner learns only a value a majority
// accepted at one ballot, that an acceptor's promise never goes down (not
// even across a crash, which loses writes not synced: the suite's disks do),
// and that accepting a ballot raises the promise to it. Homework grades a
// student's Paxos in parts and refuses dsim's own; Scenario runs one in a
// course's own dsim.
package paxossuite
