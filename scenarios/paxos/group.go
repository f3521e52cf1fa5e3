package paxos

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/scenarios/paxos/paxossuite"
	"github.com/dsimlab/dsim/sim"
)

// group is one single-decree Paxos group inside a world, with its safety
// checked after every event.
type group struct {
	w       *sim.World
	ids     []sim.NodeID
	safety  *paxossuite.Safety
	errs    []error
	chosen  bool
	chosenV string
	at      time.Duration // when a majority first accepted one value
}

// addGroup adds nodes prefix1..prefixN running paxos with cfg (Members set
// to the group, so several groups can share a world).
func addGroup(w *sim.World, prefix string, n int, cfg paxos.Config) *group {
	return addBrokenGroup(w, prefix, n, cfg, "")
}

// brokenVariants are the --broken names of paxos.NewBroken's bugs.
var brokenVariants = map[string]paxos.Bug{
	"forgets-promise":         paxos.ForgetsPromise,
	"ignores-accepted-values": paxos.IgnoresAcceptedValues,
}

// brokenNames lists brokenVariants' names, sorted, for Scenario.Broken.
func brokenNames() []string { return []string{"forgets-promise", "ignores-accepted-values"} }

// addBrokenGroup is addGroup with every node built with one of
// paxos.NewBroken's bugs, named as --broken takes it; "" is correct Paxos.
func addBrokenGroup(w *sim.World, prefix string, n int, cfg paxos.Config, broken string) *group {
	g := &group{w: w, safety: paxossuite.NewSafety(n)}
	for i := 1; i <= n; i++ {
		g.ids = append(g.ids, sim.NodeID(fmt.Sprintf("%s%d", prefix, i)))
	}
	cfg.Members = g.ids
	newNode := func() sim.Node { return paxos.New(cfg) }
	if bug, ok := brokenVariants[broken]; ok {
		newNode = func() sim.Node { return paxos.NewBroken(cfg, bug) }
	}
	for _, id := range g.ids {
		w.AddNode(id, newNode)
	}
	w.AfterStep(g.check)
	return g
}

func (g *group) check() {
	for _, id := range g.ids {
		st, ok := g.status(id)
		if !ok {
			continue
		}
		for _, err := range g.safety.Observe(st) {
			if len(g.errs) == 0 {
				g.w.Logf("SAFETY VIOLATION: %v", err)
			}
			g.errs = append(g.errs, fmt.Errorf("at %s: %w", sim.FormatTime(g.w.Now()), err))
		}
	}
	if v, _, ok := g.safety.Chosen(); ok && !g.chosen {
		g.chosen, g.chosenV, g.at = true, v, g.w.Now()
	}
}

func (g *group) status(id sim.NodeID) (paxos.Status, bool) {
	n, ok := g.w.Node(id).(*paxos.Node)
	if !ok || !g.w.Up(id) {
		return paxos.Status{}, false
	}
	return n.Status(), true
}

func (g *group) propose(id sim.NodeID, v string) {
	_ = g.w.Exec(id, func(n sim.Node, env sim.Env) { n.(*paxos.Node).Propose(env, v) })
}

// rounds is how many rounds the proposers among ids started in all.
func (g *group) rounds(ids ...sim.NodeID) int {
	total := 0
	for _, id := range ids {
		st, _ := g.status(id)
		total += st.Rounds
	}
	return total
}

// learned counts the up nodes that learned the chosen value.
func (g *group) learned() int {
	n := 0
	for _, id := range g.ids {
		if st, ok := g.status(id); ok && st.Chosen {
			n++
		}
	}
	return n
}

// violation is the first safety violation so far, for the explorer.
func (g *group) violation() error {
	if len(g.errs) > 0 {
		return g.errs[0]
	}
	return nil
}

// safe adds the safety verdict to a summary, or returns the violation.
func (g *group) verdict(name string, summary *[]string) error {
	if len(g.errs) > 0 {
		return fmt.Errorf("%s: %w", name, g.errs[0])
	}
	*summary = append(*summary, name+": safety held after every event: never two values chosen, no learner changed its mind, no acceptor went below its promise")
	return nil
}
