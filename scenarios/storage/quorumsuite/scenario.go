package quorumsuite

import (
	"fmt"

	"github.com/dsimlab/dsim/scenarios"
)

// Scenario makes a scenario of a quorum store server, a student's say, for
// a course's own dsim (dsimcli.Main with dsimcli.Scenarios): the
// HintedHandoff test, five servers with N=3, R=2, W=2 and a sloppy quorum,
// two replicas of one key down from 500ms to 2.5s while three clients
// write. The run fails unless every hinted write reached its node.
func Scenario(name string, newServer Constructor) scenarios.Scenario {
	return scenarios.Scenario{
		Name:    name,
		Summary: "your quorum store: two replicas down while clients write, then hinted handoff",
		Doc: `Five of your servers n1..n5 (N=3, R=2, W=2, sloppy quorum) and three clients
writing four shared keys until 2.4s. Two replicas of one key are down from 500ms
to 2.5s: coordinators must write to stand-ins with a hint, and the stand-ins
must hand the writes over once the two are back. Nobody reads after that, so
only hinted handoff can bring them up to date.`,
		LookFor: `Coordinators timing out on the down replicas, then writing to the next
healthy nodes with a Hint; Handoff messages after the restart.`,
		For: handoffFor,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			c, verdict := setupHandoff(scenarioT{}, newServer, o.Seed, o.Tracer)
			return &scenarios.Run{World: c.w, Net: c.net, Finish: func() scenarios.Result {
				acked := len(c.acknowledged())
				res := scenarios.Result{
					Summary: []string{fmt.Sprintf("%d writes acknowledged", acked)},
					Metrics: []scenarios.Metric{{Name: "acknowledged", Value: float64(acked)}},
					Err:     verdict(),
				}
				if res.Err == nil {
					res.Summary = append(res.Summary, "every write a stand-in took for a down node reached it")
				}
				return res
			}}, nil
		},
	}
}

type scenarioT struct{}

func (scenarioT) Helper()                           {}
func (scenarioT) Name() string                      { return "scenario" }
func (scenarioT) Logf(format string, args ...any)   {}
func (scenarioT) Errorf(format string, args ...any) {}
func (scenarioT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
