package dsimcli

import (
	"fmt"
	"io"
	"sync"

	"github.com/dsimlab/dsim/scenarios"
)

// A course's own dsim is a main package that calls Main with extras: its
// scenarios, typically built around a student's node by a family's grader
// package (raftsuite.Scenario, paxossuite.Scenario, ...). Every command then
// knows them: list, run, tui, sweep, plot.
//
//	func main() {
//		os.Exit(dsimcli.Main(os.Args[1:], dsimcli.Scenarios(
//			raftsuite.Scenario("my-raft", myraft.New),
//		)))
//	}

// Extra is something a course adds to its dsim. Build one with Scenarios.
type Extra struct {
	scenarios []scenarios.Scenario
}

// Scenarios adds scenarios to the course's dsim, as if dsim had them.
func Scenarios(ss ...scenarios.Scenario) Extra { return Extra{scenarios: ss} }

var (
	installMu sync.Mutex
	installed = map[string]bool{} // names registered by an earlier Main
)

// install registers the extras' scenarios, once per process. A scenario
// that is malformed or takes a name dsim already uses is a usage error of
// the course's program: it is reported, not panicked on.
func install(extras []Extra, stderr io.Writer) int {
	installMu.Lock()
	defer installMu.Unlock()
	for _, e := range extras {
		for _, s := range e.scenarios {
			if installed[s.Name] {
				continue
			}
			if _, err := scenarios.Lookup(s.Name); err == nil {
				fmt.Fprintf(stderr, "dsim: the course's scenario %q has the name of one dsim already has; give it another name\n", s.Name)
				return exitUsage
			}
			if err := register1(s); err != nil {
				fmt.Fprintf(stderr, "dsim: the course's scenario %q cannot be added: %v\n", s.Name, err)
				return exitUsage
			}
			installed[s.Name] = true
		}
	}
	return exitOK
}

func register1(s scenarios.Scenario) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	scenarios.Register(s)
	return nil
}
