// Command watch is dsim with your 2PC in it, as the scenario "my-2pc"
// (twenty racing transactions, a coordinator crash, a participant crash):
//
//	go run ./cmd/watch run my-2pc --seed 3
//	go run ./cmd/watch tui my-2pc
package main

import (
	"os"

	"github.com/dsimlab/dsim/dsimcli"
	my2pc "github.com/dsimlab/dsim/homework/twopc"
	"github.com/dsimlab/dsim/scenarios/txn/twopcsuite"
)

func main() {
	nodes := twopcsuite.Constructors{Coordinator: my2pc.NewCoordinator, Participant: my2pc.NewParticipant}
	os.Exit(dsimcli.Main(os.Args[1:], dsimcli.Scenarios(twopcsuite.Scenario("my-2pc", nodes))))
}
