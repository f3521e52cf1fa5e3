// Command watch is dsim with your Raft in it: every dsim command works on
// the scenario "my-raft", which runs your nodes.
//
//	go run ./cmd/watch run my-raft --seed 3
//	go run ./cmd/watch tui my-raft
package main

import (
	"os"

	"github.com/dsimlab/dsim/dsimcli"
	myraft "github.com/dsimlab/dsim/homework/raft"
	"github.com/dsimlab/dsim/scenarios/raftsuite"
)

func main() {
	os.Exit(dsimcli.Main(os.Args[1:], dsimcli.Scenarios(
		raftsuite.Scenario("my-raft", myraft.New),
	)))
}
