package sweep_test

import (
	"fmt"
	"os"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sweep"
)

func ExampleParseSeeds() {
	seeds, err := sweep.ParseSeeds("1,5,9-12")
	fmt.Println(seeds, err)
	_, err = sweep.ParseSeeds("12-9")
	fmt.Println(err)
	// Output:
	// [1 5 9 10 11 12] <nil>
	// bad seed list "12-9": range 12-9 is reversed; did you mean 9-12?
}

func ExampleWriteTable() {
	elections := []float64{0.181, 0.150, 0.412, 0.176, 0.203}
	terms := []float64{4, 4, 5, 4, 4}
	_ = sweep.WriteTable(os.Stdout, []sweep.Stats{
		sweep.Stat("election_time", "s", elections),
		sweep.Stat("new_term", "term", terms),
	})
	// Output:
	// metric         runs     min  median     p99     max
	// election_time     5   150ms   181ms   412ms   412ms
	// new_term          5  4 term  4 term  5 term  5 term
}

// Run a scenario over a thousand seeds, two at a time, and print what the
// runs measured and which seeds failed.
func ExampleRun() {
	s, err := scenarios.Lookup("raft-election")
	if err != nil {
		panic(err)
	}
	seeds, _ := sweep.ParseSeeds("1-1000")
	sum, err := sweep.Run(s, seeds, sweep.Options{Parallel: 2})
	if err != nil {
		panic(err)
	}
	_ = sweep.WriteTable(os.Stdout, sum.Metrics)
	for _, r := range sum.Failures() {
		fmt.Printf("seed %d: %v\n  %s\n", r.Seed, r.Problem(), sum.Replay(r.Seed))
	}
}
