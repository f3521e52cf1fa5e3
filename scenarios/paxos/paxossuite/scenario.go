package paxossuite

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

// Scenario makes a scenario of a Paxos node, a student's say, for a
// course's own dsim (dsimcli.Main with dsimcli.Scenarios): five nodes under
// the suite's per-step checks; n1, n2 and n3 propose different values at
// once, n1 crashes at 5ms and restarts at 300ms, and the network loses 10%
// of messages. The run fails if a safety check does or if a proposer never
// learns the value.
func Scenario(name string, newNode Constructor) scenarios.Scenario {
	return scenarios.Scenario{
		Name:    name,
		Summary: "your Paxos: five nodes, three dueling proposers, a crash, a lossy network",
		Doc: `Five nodes of your single-decree Paxos, n1 to n5. n1, n2 and n3 propose
red, green and blue at the same moment on a network that loses 10% of messages.
n1 crashes 5ms in (after its Prepare went out) and restarts at 300ms. After
every event the suite's checks run: one value chosen, learners that learn only
what a majority accepted at one ballot, promises that never go down, accepts
that raise the promise.`,
		LookFor: `Dueling proposers pre-empting each other, then backing off until one
value is chosen at some ballot; every node learning that value, n1 too after
its restart.`,
		For: 3 * time.Second,
		Knobs: []scenarios.Knob{
			{Name: "nodes", Kind: scenarios.KnobInt, Default: "5", Min: 3, Max: 5, Doc: "how many nodes"},
			{Name: "proposers", Kind: scenarios.KnobInt, Default: "3", Min: 1, Max: 3, Doc: "how many nodes propose at once (n1 red, n2 green, n3 blue)"},
			{Name: "loss", Kind: scenarios.KnobFloat, Default: "0.1", Min: 0, Max: 0.5, Doc: "the share of messages lost"},
			{Name: "crash", Kind: scenarios.KnobBool, Default: "true", Doc: "crash n1 at 5ms and restart it at 300ms"},
		},
		// dsim explore: three nodes, two proposers, no loss or scripted
		// crash (the explorer drops, reorders and crashes by itself), as
		// paxos-basic's exploration.
		Explore: &scenarios.Exploration{
			Knobs:     scenarios.Knobs{"nodes": "3", "proposers": "2", "loss": "0", "crash": "false"},
			Crashable: []sim.NodeID{"n1", "n2", "n3"},
			Bounds:    explore.Bounds{Depth: 40, Crashes: 1, Deviations: 3, Horizon: 100 * time.Millisecond, MaxStates: 20000},
		},
		Setup: func(o scenarios.Options) (*scenarios.Run, error) { return setupScenario(o, newNode) },
	}
}

type scenarioT struct{}

func (scenarioT) Helper()                           {}
func (scenarioT) Name() string                      { return "scenario" }
func (scenarioT) Logf(format string, args ...any)   {}
func (scenarioT) Errorf(format string, args ...any) {}
func (scenarioT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func setupScenario(o scenarios.Options, newNode Constructor) (*scenarios.Run, error) {
	c := Setup{New: newNode, Seed: o.Seed, Config: DefaultConfig(), Tracer: o.Tracer}.MakeCluster(scenarioT{}, o.Knobs.Int("nodes"))
	if loss := o.Knobs.Float("loss"); loss > 0 {
		if err := c.net.SetLoss(network.AllLinks, loss); err != nil {
			return nil, err
		}
	}
	for _, p := range []struct {
		id sim.NodeID
		v  string
	}{{"n1", "red"}, {"n2", "green"}, {"n3", "blue"}}[:o.Knobs.Int("proposers")] {
		c.Propose(p.id, p.v)
	}
	if o.Knobs.Bool("crash") {
		c.w.After(5*time.Millisecond, func() { c.Crash("n1") })
		c.w.After(300*time.Millisecond, func() {
			c.Restart("n1")
			c.w.After(time.Millisecond, func() { c.Propose("n1", "red") })
		})
	}
	return &scenarios.Run{World: c.w, Net: c.net,
		Violation: func() error {
			if len(c.violations) > 0 {
				return c.violations[0]
			}
			return nil
		},
		Observers: []any{c.safety},
		Done: func() bool {
			for _, id := range c.ids {
				if _, ok := c.Learned(id); !ok {
					return false
				}
			}
			return true
		},
		Finish: func() scenarios.Result {
			var res scenarios.Result
			v, b, chosen := c.safety.Chosen()
			learned := 0
			for _, id := range c.ids {
				if _, ok := c.Learned(id); ok {
					learned++
				}
			}
			if chosen {
				res.Summary = append(res.Summary, fmt.Sprintf("chosen: %s at ballot %v; %d of %d nodes learned it", show(v), b, learned, len(c.ids)))
			} else {
				res.Summary = append(res.Summary, "no value was chosen")
				res.Err = fmt.Errorf("no value was chosen in %s", sim.FormatTime(c.w.Now()))
			}
			res.Metrics = []scenarios.Metric{{Name: "learned", Value: float64(learned)}}
			if len(c.violations) > 0 {
				res.Err = c.violations[0]
				for _, err := range c.violations {
					res.Summary = append(res.Summary, "VIOLATION: "+err.Error(), "why it matters: "+why(err))
				}
			}
			return res
		}}, nil
}
