package raftsuite

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/sim"
)

// flightKeep is how many events and log lines per node a failure shows:
// enough to see what each node just did, few enough for one screen.
const flightKeep = 5

// whyItMatters explains, for each safety property, what a client would
// suffer if it broke.
var whyItMatters = []struct {
	err error
	why string
}{
	{check.ErrElectionSafety, "two leaders in one term can commit different commands at the same index (§5.2)"},
	{check.ErrLeaderWithoutMajority, "a leader elected without a majority of its own term may miss committed entries and overwrite them (§5.2, §5.4)"},
	{check.ErrTermDecreased, "a node whose term goes back accepts messages from deposed leaders and can vote twice (Figure 2: currentTerm is persistent)"},
	{check.ErrDoubleVote, "a node that votes twice in one term lets two candidates win it (Figure 2: votedFor is persistent)"},
	{check.ErrLeaderCompleteness, "a leader missing a committed entry will overwrite it: a client's acknowledged write is lost (§5.4)"},
	{check.ErrStateMachineSafety, "two replicas executed different commands at the same index: their states diverge (§5.4.3)"},
	{check.ErrLogMatching, "logs that agree on an entry must agree on everything before it (§5.3)"},
	{ErrApplyOrder, "a service sees every committed command exactly once, in log order"},
	{ErrBadSnapshot, "a snapshot must hold exactly the committed commands it claims to cover (§7)"},
}

// why says why a violation matters, or "" for a failure that is no
// violation (the test's intent says it then).
func why(err error) string {
	for _, w := range whyItMatters {
		if errors.Is(err, w.err) {
			return w.why
		}
	}
	return ""
}

// report is what follows a failure's message: one screen with the test's
// intent, every node's state, the last lines each node logged and its last
// events, and how to replay the run.
func (c *Cluster) report() string {
	var b strings.Builder
	if c.violation != nil {
		if w := why(c.violation); w != "" {
			fmt.Fprintf(&b, "why it matters: %s\n", w)
		}
	}
	if c.intent != "" {
		fmt.Fprintf(&b, "this test: %s\n", c.intent)
	}
	b.WriteString("nodes now:\n")
	for i, id := range c.ids {
		s, up := c.Status(i)
		switch {
		case !up:
			fmt.Fprintf(&b, "  %s crashed", id)
		default:
			fmt.Fprintf(&b, "  %s %s term %d votedFor %q commit %d applied %d snapshot %d log %d..%d",
				id, s.Role, s.Term, s.VotedFor, s.CommitIndex, s.LastApplied, s.SnapshotIndex, s.SnapshotIndex+1, s.SnapshotIndex+uint64(len(s.Log)))
		}
		if !c.connected[i] {
			b.WriteString(" (disconnected)")
		}
		b.WriteByte('\n')
	}
	b.WriteString(c.flight.Logs(c.ids))
	b.WriteString(c.flight.Report(c.ids))
	b.WriteString(c.replayHint())
	return b.String()
}

// Trace runs test again at seed with a tracer: the same run, event for event,
// since the seed decides everything. Graders use it to write a failure's
// full trace.
func Trace(test Test, s Setup, tracer sim.Tracer) {
	s.Tracer = tracer
	Grade(test, s, test.Name)
}
