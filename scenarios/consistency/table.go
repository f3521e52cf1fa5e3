package consistency

import "github.com/dsimlab/dsim/scenarios/internal/report"

// What the scenarios of this package share with the other families to tell
// a run's story (package report).
var (
	table = report.Table
	dur   = report.Dur
	itoa  = report.Itoa
	pct   = report.Pct
)

// checks keeps the first check that failed.
type checks = report.Checks
