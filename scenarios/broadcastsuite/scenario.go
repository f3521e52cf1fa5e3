package broadcastsuite

import (
	"fmt"
	"slices"
	"time"

	"github.com/dsimlab/dsim/gossip/glomers"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

// Scenario makes a scenario of a broadcast node, a student's say, for a
// course's own dsim (dsimcli.Main with dsimcli.Scenarios): five nodes, a
// client broadcasting 30 values to random nodes, the nodes split in two from
// 300ms to 800ms; at 2.9s the client reads every node. The run fails unless
// every node then holds every value.
func Scenario(name string, newNode Constructor) scenarios.Scenario {
	return scenarios.Scenario{
		Name:    name,
		Summary: "your broadcast node: five nodes, 30 values, a partition that heals",
		Doc: `Five of your nodes n1..n5 and a client c1. Every 20ms the client broadcasts a
new value to a node drawn from the seed. From 300ms to 800ms the nodes are split
into {n1, n2} and {n3, n4, n5} (the client still reaches all). At 2.9s the client
reads every node.`,
		LookFor: `Values spreading at once inside each side of the partition, and across
it once it heals (if your nodes repair what they missed); the messages each
value costs.`,
		For: 3 * time.Second,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			c := newCluster(scenarioT{}, newNode, 5, o.Seed, o.Tracer, "")
			rnd := c.rand()
			var want []int
			for v := range 30 {
				node := c.Nodes[rnd(len(c.Nodes))]
				want = append(want, 4000+v)
				c.W.At(time.Duration(v)*20*time.Millisecond+time.Millisecond, func() { c.broadcast(node, 4000+v) })
			}
			c.W.At(300*time.Millisecond, func() { c.split(c.Nodes[:2], c.Nodes[2:]) })
			c.W.At(800*time.Millisecond, func() { c.Net.Heal() })
			reads := map[sim.NodeID]uint64{}
			c.W.At(2900*time.Millisecond, func() {
				for _, n := range c.Nodes {
					reads[n] = c.send(n, func(id uint64) sim.Message { return glomers.Read{ID: id} })
				}
			})
			return &scenarios.Run{World: c.W, Net: c.Net, Finish: func() scenarios.Result {
				res := scenarios.Result{Metrics: []scenarios.Metric{
					{Name: "messages_per_broadcast", Value: float64(c.peerMsgs) / float64(len(want))},
				}}
				complete := 0
				for _, n := range c.Nodes {
					r, ok := c.client.replies[reads[n]].(glomers.ReadOK)
					missing := 0
					for _, v := range want {
						if !ok || !slices.Contains(r.Values, v) {
							missing++
						}
					}
					if !ok {
						res.Summary = append(res.Summary, fmt.Sprintf("%s did not answer the read", n))
					} else if missing > 0 {
						res.Summary = append(res.Summary, fmt.Sprintf("%s lacks %d of %d values", n, missing, len(want)))
					} else {
						complete++
					}
				}
				res.Summary = append(res.Summary, fmt.Sprintf("%d of %d nodes hold every value; %d node-to-node messages (%.1f per broadcast)",
					complete, len(c.Nodes), c.peerMsgs, float64(c.peerMsgs)/float64(len(want))))
				if complete < len(c.Nodes) {
					res.Err = fmt.Errorf("%w: %d of %d nodes lack values 2.1s after the partition healed", ErrMissing, len(c.Nodes)-complete, len(c.Nodes))
				}
				return res
			}}, nil
		},
	}
}

// scenarioT is the T of a scenario run: a failure of the cluster's own
// setup panics (it is a bug of the suite), nothing else fails.
type scenarioT struct{}

func (scenarioT) Helper()                           {}
func (scenarioT) Name() string                      { return "scenario" }
func (scenarioT) Logf(format string, args ...any)   {}
func (scenarioT) Errorf(format string, args ...any) {}
func (scenarioT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
