// Command watch is dsim with your quorum store in it, as the scenario
// "my-quorum" (two replicas down while clients write, then hinted handoff):
//
//	go run ./cmd/watch run my-quorum --seed 3
//	go run ./cmd/watch tui my-quorum
package main

import (
	"os"

	"github.com/dsimlab/dsim/dsimcli"
	myquorum "github.com/dsimlab/dsim/homework/quorumkv"
	"github.com/dsimlab/dsim/scenarios/storage/quorumsuite"
)

func main() {
	os.Exit(dsimcli.Main(os.Args[1:], dsimcli.Scenarios(quorumsuite.Scenario("my-quorum", myquorum.New))))
}
