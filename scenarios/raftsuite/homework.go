package raftsuite

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/scenarios/suite"
	"github.com/dsimlab/dsim/sim"
)

// Homework grades a student's Raft, part by part, as the Raft lab of
// 6.5840 does: part A leader election, B log replication, C persistence,
// D log compaction. It is what a homework module's test calls:
//
//	func TestRaft(t *testing.T) { raftsuite.Homework(t, New) }
//	func TestRaftA(t *testing.T) { raftsuite.Homework(t, New, "A") }
//
// Unlike Run it refuses dsim's own Raft (a constructor returning raft.New,
// or a node wrapping one), runs a test's seeds one after another and
// reports a failure once with the seeds it recurs at, writes the failing
// run's trace and space-time diagram as artifacts, scores each part, and
// writes Gradescope or JUnit results when DSIM_GRADESCOPE or DSIM_JUNIT
// name a file (see scenarios/suite). DSIM_SEED=N runs one seed: the replay
// of a failure.
func Homework(t *testing.T, newNode Constructor, parts ...string) []suite.Outcome {
	t.Helper()
	return suite.Grade(t, Assignment(newNode), parts...)
}

// Reference names dsim's own consensus implementations, which a homework
// may neither return nor wrap.
var Reference = []string{
	"github.com/dsimlab/dsim/consensus/raft.Node",
	"github.com/dsimlab/dsim/consensus/paxos.Node",
	"github.com/dsimlab/dsim/consensus/paxos/multipaxos.Node",
}

// Parts are the lab's parts and their points.
var Parts = []suite.Part{
	{Name: "A", Title: "leader election", Points: 25},
	{Name: "B", Title: "log replication", Points: 30},
	{Name: "C", Title: "persistence", Points: 25},
	{Name: "D", Title: "log compaction", Points: 20},
}

// partOf assigns every test of Tests to a part.
var partOf = map[string]string{
	"InitialElection": "A", "ReElection": "A", "ManyElections": "A",
	"RejoinUnderPreVote": "A", "StableLeader": "A", "StaleVoteReplies": "A", "StaleLeaderHeartbeats": "A",
	"BasicAgree": "B", "FollowerFailure": "B", "LeaderFailure": "B", "FailAgree": "B",
	"FailNoAgree": "B", "ConcurrentStarts": "B", "Rejoin": "B", "Backup": "B", "Count": "B",
	"ElectionRestriction": "B", "Figure8Scripted": "B",
	"Persist1": "C", "Persist2": "C", "Persist3": "C", "Figure8": "C", "UnreliableAgree": "C",
	"Figure8Unreliable": "C", "ReliableChurn": "C", "UnreliableChurn": "C", "CrashAfterVote": "C",
	"SnapshotBasic": "D", "SnapshotInstall": "D", "SnapshotInstallUnreliable": "D",
	"SnapshotInstallCrash": "D", "SnapshotInstallUnCrash": "D", "SnapshotReordered": "D",
	"SnapshotAllCrash": "D", "SnapshotInit": "D",
}

// Assignment is the Raft homework as scenarios/suite grades it: Tests
// split into Parts, at DefaultSeeds, refusing Reference.
func Assignment(newNode Constructor) suite.Assignment {
	a := suite.Assignment{Name: "raft", Parts: Parts, Seeds: DefaultSeeds, Reference: Reference}
	for _, test := range Tests {
		part, ok := partOf[test.Name]
		if !ok {
			panic("raftsuite: test " + test.Name + " belongs to no part")
		}
		a.Cases = append(a.Cases, suite.Case{
			Part: part, Name: test.Name, Doc: test.Doc,
			Run: func(t suite.T, seed uint64, tracer sim.Tracer) {
				RunOne(t, test, Setup{New: newNode, Seed: seed, Config: DefaultConfig(), Tracer: tracer})
			},
		})
	}
	a.Probe = func() []any {
		var nodes []any
		suite.Record("probe", func(t suite.T) {
			c := Setup{New: newNode, Seed: 1, Config: DefaultConfig()}.MakeCluster(t, 3, false, false)
			c.w.RunFor(300 * time.Millisecond)
			for i := range c.N() {
				if n := c.w.Node(c.ID(i)); n != nil {
					nodes = append(nodes, n)
				}
			}
		})
		return nodes
	}
	return a
}
