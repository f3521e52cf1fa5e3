// Command watch is dsim with your broadcast node in it, as the scenario
// "my-broadcast" (five nodes, 30 values, a partition that heals):
//
//	go run ./cmd/watch run my-broadcast --seed 3
//	go run ./cmd/watch tui my-broadcast
package main

import (
	"os"

	"github.com/dsimlab/dsim/dsimcli"
	mybroadcast "github.com/dsimlab/dsim/homework/broadcast"
	"github.com/dsimlab/dsim/scenarios/broadcastsuite"
)

func main() {
	os.Exit(dsimcli.Main(os.Args[1:], dsimcli.Scenarios(broadcastsuite.Scenario("my-broadcast", mybroadcast.New))))
}
