// Command dsimvet checks that node code keeps dsim's one rule: a node is a
// deterministic state machine. It reads the methods of every type that
// implements sim.Node, and the functions of the same package they call, and
// reports what would make two runs with the same seed differ: the wall
// clock, goroutines, select, locks, global randomness, file and network
// I/O, and map iteration whose order escapes.
//
//	go run github.com/dsimlab/dsim/cmd/dsimvet ./...
//	go vet -vettool=$(command -v dsimvet) ./...
//
// The analysis itself is package nodepurity, so a course can add it to its
// own multichecker.
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/dsimlab/dsim/cmd/dsimvet/nodepurity"
)

func main() { singlechecker.Main(nodepurity.Analyzer) }
