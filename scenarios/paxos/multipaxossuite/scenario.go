package multipaxossuite

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/scenarios"
)

// Scenario makes a scenario of a Multi-Paxos replica, a student's say, for
// a course's own dsim (dsimcli.Main with dsimcli.Scenarios): the suite's
// LeaderCrash test, five servers of the KV store on the replica and three
// clients, the serving leader crashed once a second; the run ends with the
// suite's verdict (linearizable, exactly once, progress).
func Scenario(name string, newReplica Constructor) scenarios.Scenario {
	return scenarios.Scenario{
		Name:    name,
		Summary: "your Multi-Paxos under a KV store: three clients, the leader crashes once a second",
		Doc: `Five servers n1..n5 run the key/value store of the Raft scenarios on your
Multi-Paxos replica; clients c1..c3 append and read. Once a second, from 1s to
5s, the server that last answered a client (the leader, most likely) crashes
for 800ms. At the end the clients' history must be linearizable and every
acknowledged append must be in the store exactly once.`,
		LookFor: `A new leader after each crash, running phase 1 and re-proposing what a
majority accepted; clients pausing and retrying; no acknowledged write lost.`,
		For: Busy + Calm,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			c, err := NewCluster(newReplica, o.Seed, o.Tracer)
			if err != nil {
				return nil, err
			}
			rollingCrashes(c)
			return &scenarios.Run{World: c.W, Net: c.Net, Finish: func() scenarios.Result {
				n, gap, _ := c.history.Completed()
				res := scenarios.Result{
					Summary: []string{fmt.Sprintf("clients completed %d operations; longest pause %s", n, gap.Round(time.Millisecond))},
					Metrics: []scenarios.Metric{{Name: "ops_completed", Value: float64(n), Unit: "ops"}},
				}
				if err := c.Verdict(); err != nil {
					res.Err = err
					res.Summary = append(res.Summary, "FAILED: "+err.Error())
				} else {
					res.Summary = append(res.Summary, "linearizable, and every acknowledged append applied exactly once")
				}
				return res
			}}, nil
		},
	}
}
