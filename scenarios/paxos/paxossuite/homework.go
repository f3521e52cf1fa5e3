package paxossuite

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/scenarios/suite"
	"github.com/dsimlab/dsim/sim"
)

// Homework grades a student's single-decree Paxos part by part: A, one
// value chosen with one or several proposers; B, under crashes, restarts
// and an unreliable network; C, the scripted schedules of the classic
// mistakes. It is what a homework module's test calls:
//
//	func TestPaxos(t *testing.T) { paxossuite.Homework(t, New) }
//
// It refuses dsim's own Paxos, reports a failure once with the seeds it
// recurs at, writes artifacts, scores parts and writes Gradescope or JUnit
// results on request (see scenarios/suite).
func Homework(t *testing.T, newNode Constructor, parts ...string) []suite.Outcome {
	t.Helper()
	return suite.Grade(t, Assignment(newNode), parts...)
}

// Reference names dsim's own consensus implementations, which a homework
// may neither return nor wrap.
var Reference = []string{
	"github.com/dsimlab/dsim/consensus/paxos.Node",
	"github.com/dsimlab/dsim/consensus/paxos/multipaxos.Node",
	"github.com/dsimlab/dsim/consensus/raft.Node",
}

// Parts are the homework's parts and their points.
var Parts = []suite.Part{
	{Name: "A", Title: "choosing a value", Points: 30},
	{Name: "B", Title: "crashes and bad networks", Points: 40},
	{Name: "C", Title: "the classic mistakes", Points: 30},
}

var partOf = map[string]string{
	"OneProposer": "A", "FiveNodes": "A", "ConcurrentProposers": "A",
	"MinorityCrashed": "B", "MajorityCrashed": "B", "ChosenSurvivesRestarts": "B", "Unreliable": "B", "Churn": "B",
	"ForgottenPromise": "C", "AcceptedValueCarriedOver": "C", "AcceptWithoutPrepare": "C", "LearnerOneBallot": "C",
}

// Assignment is the Paxos homework as scenarios/suite grades it.
func Assignment(newNode Constructor) suite.Assignment {
	a := suite.Assignment{Name: "paxos", Parts: Parts, Seeds: DefaultSeeds, Reference: Reference}
	for _, test := range Tests {
		part, ok := partOf[test.Name]
		if !ok {
			panic("paxossuite: test " + test.Name + " belongs to no part")
		}
		a.Cases = append(a.Cases, suite.Case{
			Part: part, Name: test.Name, Doc: test.Doc,
			Run: func(t suite.T, seed uint64, tracer sim.Tracer) {
				RunOne(t, test, Setup{New: newNode, Seed: seed, Config: DefaultConfig(), Tracer: tracer, Intent: test.Doc})
			},
		})
	}
	a.Probe = func() []any {
		var nodes []any
		suite.Record("probe", func(t suite.T) {
			c := Setup{New: newNode, Seed: 1, Config: DefaultConfig()}.MakeCluster(t, 3)
			c.Propose("n1", "probe")
			c.RunFor(100 * time.Millisecond)
			for _, id := range c.ids {
				if n := c.w.Node(id); n != nil {
					nodes = append(nodes, n)
				}
			}
		})
		return nodes
	}
	return a
}
