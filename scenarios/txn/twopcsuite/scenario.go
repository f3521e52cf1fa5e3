package twopcsuite

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

// Scenario makes a scenario of a 2PC coordinator and participants, a
// student's say, for a course's own dsim (dsimcli.Main with
// dsimcli.Scenarios): twenty transactions racing for three keys, begun
// while the coordinator is up, the coordinator crashed at 200ms and
// restarted at 700ms, participant p2 crashed from 400ms to 600ms. The run fails unless every transaction ends
// atomically and the client hears how.
func Scenario(name string, nodes Constructors) scenarios.Scenario {
	return scenarios.Scenario{
		Name:    name,
		Summary: "your 2PC: twenty racing transactions, a coordinator crash, a participant crash",
		Doc: `A coordinator "coord", participants p1..p3 and a client. Every 20ms the
client begins a transaction writing one of three keys at each participant, so
transactions conflict: ten from 0 to 180ms, ten more from 760ms. The
coordinator crashes at 200ms, with the last of the first ten in flight, and
comes back at 700ms; p2 is down from 400ms to 600ms.`,
		LookFor: `Participants that voted yes waiting, locks held, while the coordinator is
down (2PC blocks); the restarted coordinator finishing what it logged; every
transaction committed everywhere or nowhere.`,
		For: 3 * time.Second,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			c := newCluster(scenarioT{}, nodes, o.Seed, o.Tracer, "")
			rng := o.Seed
			var txns []string
			for i := range 20 {
				txn := fmt.Sprintf("t%d", i)
				txns = append(txns, txn)
				rng = rng*6364136223846793005 + 1442695040888963407
				a, b := fmt.Sprintf("k%d", (rng>>33)%3), fmt.Sprintf("k%d", (rng>>40)%3)
				at := time.Duration(i)*20*time.Millisecond + 2*time.Millisecond
				if i >= 10 {
					at += 560 * time.Millisecond // after the coordinator is back: the client does not retry
				}
				c.W.At(at, func() { c.begin(txn, a, b) })
			}
			c.W.At(200*time.Millisecond, func() { c.W.Crash("coord") })
			c.W.At(700*time.Millisecond, func() { c.W.Restart("coord") })
			c.W.At(400*time.Millisecond, func() { c.W.Crash("p2") })
			c.W.At(600*time.Millisecond, func() { c.W.Restart("p2") })
			return &scenarios.Run{World: c.W, Net: c.Net, Finish: func() scenarios.Result {
				committed, aborted, err := c.atomicity(txns, true)
				res := scenarios.Result{
					Summary: []string{fmt.Sprintf("%d transactions committed, %d aborted", committed, aborted)},
					Metrics: []scenarios.Metric{{Name: "committed", Value: float64(committed)}, {Name: "aborted", Value: float64(aborted)}},
					Err:     err,
				}
				if err == nil {
					res.Summary = append(res.Summary, "every transaction ended everywhere the same way, and the client was told so")
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

var _ sim.Node = (*client)(nil)
