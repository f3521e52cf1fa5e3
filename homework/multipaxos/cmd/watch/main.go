// Command watch is dsim with your Multi-Paxos in it, as the scenario
// "my-multipaxos":
//
//	go run ./cmd/watch run my-multipaxos --seed 3
//	go run ./cmd/watch tui my-multipaxos
package main

import (
	"os"

	"github.com/dsimlab/dsim/dsimcli"
	mymp "github.com/dsimlab/dsim/homework/multipaxos"
	"github.com/dsimlab/dsim/scenarios/paxos/multipaxossuite"
)

func main() {
	os.Exit(dsimcli.Main(os.Args[1:], dsimcli.Scenarios(multipaxossuite.Scenario("my-multipaxos", mymp.New))))
}
