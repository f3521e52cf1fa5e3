package scenarios

import "github.com/dsimlab/dsim/i18n"

// Scripted reports whether the run plays only the scenario's own faults.
// A scenario checks its scripted lesson (a new leader within the cut, a
// store that stays available) only then: the learner's schedule may make
// that lesson impossible, and the run must not fail for it. Safety checks
// (one leader per term, no stale read from overlapping quorums, atomic
// commits) hold whatever the faults, and always run.
func (o Options) Scripted() bool { return len(o.Schedule) == 0 }

// Unscripted is what a summary says when the learner's schedule changed
// the story.
func Unscripted(p *i18n.Printer, o Options) []string {
	return []string{
		p.T("your schedule added %d fault events: the story above is what they made happen;", len(o.Schedule)),
		p.T("the scripted lesson's checks are skipped; the safety checks still ran"),
	}
}
