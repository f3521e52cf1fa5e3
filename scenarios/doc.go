// Package scenarios holds dsim's runnable stories: each Scenario builds a
// world, plays a workload and faults, and checks what a learner should see.
//
// Every scenario runs three ways: from `go test` (this package's tests read
// like the exercises they check), from the command line with
// `dsim run NAME --seed N`, and in the terminal UI, which steps through the
// very same world one event at a time.
//
// A scenario is data plus two functions. Setup builds the world for a seed
// and returns a Run: the world, its network, how long to run it, and a
// Finish function that inspects the final state, checks it and summarises
// it. Execute does the rest: it plays an extra fault schedule if one was
// given (`dsim run --schedule FILE`), runs the world, and calls Finish.
// Because the world is deterministic, (scenario, seed, schedule) names a run
// exactly: a failing seed printed by a test or a sweep replays the failure.
//
// To add one, write a file with a Setup function and Register it in init.
// A new family of scenarios goes in a subpackage that registers itself and
// is imported by scenarios/catalog; the catalog's
// TestEveryScenarioIsDeterministic then checks it without further work.
package scenarios
