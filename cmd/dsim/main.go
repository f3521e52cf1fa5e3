// Command dsim runs dsim's scenarios: deterministic simulations of
// distributed protocols on a network you control, and the same nodes over
// real TCP. Everything it does lives in package dsimcli; see its doc, or
// run `dsim help`.
package main

import (
	"os"

	"github.com/dsimlab/dsim/dsimcli"
)

func main() { os.Exit(dsimcli.Main(os.Args[1:])) }
