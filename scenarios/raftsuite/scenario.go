package raftsuite

import (
	"errors"
	"fmt"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

// Scenario makes a scenario of a Raft node, a student's say, for a course's
// own dsim (dsimcli.Main with dsimcli.Scenarios): five nodes under the
// suite's per-step checks, a client proposing a command every 100ms to the
// leader, the leader crashed at 1s and restarted at 2.5s, a follower cut
// off from 3.5s to 5s. `dsim run NAME`, `dsim tui NAME`, sweeps and plots
// then work on that node; the run fails if a check does, or if no leader
// is elected or nothing commits.
func Scenario(name string, newNode Constructor) scenarios.Scenario {
	return scenarios.Scenario{
		Name:    name,
		Summary: "your Raft: five nodes, a steady client, the leader crashes and returns, a follower is cut off",
		Doc: `Five nodes of your Raft, n0 to n4, with the suite's Config (150-300ms
election timeouts, 50ms heartbeats, PreVote and CheckQuorum). A client hands a
command to the leader every 100ms. At 1s the leader crashes; at 2.5s it restarts
from its disk. At 3.5s a follower is cut off from everyone; at 5s it rejoins.
After every event the suite's checks run: one leader per term, terms that never
go back, one vote per term, leaders with a majority of their own term, committed
entries that never change, and commands applied in order.`,
		LookFor: `A new leader within a second of the crash, commands committing again
after it; the restarted node catching up; the cut-off follower rejoining without
disturbing the leader (PreVote). The summary lists each term's leader.`,
		For:   6 * time.Second,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) { return setupScenario(o, newNode) },
	}
}

// scenarioT is the T of a scenario run: nothing fails a test there, the
// Finish of the run reports the first violation.
type scenarioT struct{ w *sim.World }

func (scenarioT) Helper()      {}
func (scenarioT) Name() string { return "scenario" }
func (t scenarioT) Logf(format string, args ...any) {
	if t.w != nil {
		t.w.Logf(format, args...)
	}
}
func (t scenarioT) Errorf(format string, args ...any) { t.Logf(format, args...) }
func (t scenarioT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func setupScenario(o scenarios.Options, newNode Constructor) (*scenarios.Run, error) {
	const n = 5
	s := Setup{New: newNode, Seed: o.Seed, Config: DefaultConfig(), Tracer: o.Tracer}
	c := s.MakeCluster(scenarioT{}, n, false, false)
	c.t = scenarioT{w: c.w}
	leader := func() int {
		for i := range n {
			if st, up := c.Status(i); up && st.Role == raft.Leader && c.connected[i] {
				return i
			}
		}
		return -1
	}
	proposed := 0
	var client func()
	client = func() {
		if l := leader(); l >= 0 {
			proposed++
			c.Start(l, Cmd(proposed))
		}
		c.w.After(100*time.Millisecond, client)
	}
	c.w.After(100*time.Millisecond, client)
	crashed, cut := -1, -1
	c.w.At(time.Second, func() {
		if crashed = leader(); crashed >= 0 {
			c.w.Logf("crashing the leader, %s", c.ID(crashed))
			c.Crash(crashed)
		}
	})
	c.w.At(2500*time.Millisecond, func() {
		if crashed >= 0 {
			c.w.Logf("restarting %s", c.ID(crashed))
			c.w.Restart(c.ID(crashed))
		}
	})
	c.w.At(3500*time.Millisecond, func() {
		if l := leader(); l >= 0 {
			cut = (l + 1) % n
			c.w.Logf("cutting %s off", c.ID(cut))
			c.Disconnect(cut)
		}
	})
	c.w.At(5*time.Second, func() {
		if cut >= 0 {
			c.w.Logf("%s rejoins", c.ID(cut))
			c.Connect(cut)
		}
	})
	return &scenarios.Run{World: c.w, Net: c.net, Finish: func() scenarios.Result {
		committed := 0
		for i := uint64(1); ; i++ {
			k, cmd := c.NCommitted(i)
			if cmd == nil && k == 0 && i > uint64(len(c.cmds))+8 {
				break
			}
			if cmd != nil {
				committed++
			}
		}
		var terms []string
		for term := uint64(1); term <= 64; term++ {
			if id, ok := c.es.Leader(term); ok {
				terms = append(terms, fmt.Sprintf("%d:%s", term, id))
			}
		}
		res := scenarios.Result{
			Summary: []string{
				fmt.Sprintf("leaders by term: %v", terms),
				fmt.Sprintf("%d commands proposed to a leader, %d committed", proposed, committed),
			},
			Metrics: []scenarios.Metric{
				{Name: "leaders", Value: float64(len(terms))},
				{Name: "committed", Value: float64(committed)},
			},
			Err: c.violation,
		}
		switch {
		case c.violation != nil:
			res.Summary = append(res.Summary, "VIOLATION: "+c.violation.Error(), "why it matters: "+why(c.violation))
		case len(terms) == 0:
			res.Err = errors.New("no leader was ever elected")
		case committed == 0:
			res.Err = errors.New("no command was committed")
		}
		return res
	}}, nil
}
