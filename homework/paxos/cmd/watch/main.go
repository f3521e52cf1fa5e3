// Command watch is dsim with your Paxos in it, as the scenario "my-paxos":
//
//	go run ./cmd/watch run my-paxos --seed 3
//	go run ./cmd/watch tui my-paxos
package main

import (
	"os"

	"github.com/dsimlab/dsim/dsimcli"
	mypaxos "github.com/dsimlab/dsim/homework/paxos"
	"github.com/dsimlab/dsim/scenarios/paxos/paxossuite"
)

func main() {
	os.Exit(dsimcli.Main(os.Args[1:], dsimcli.Scenarios(paxossuite.Scenario("my-paxos", mypaxos.New))))
}
