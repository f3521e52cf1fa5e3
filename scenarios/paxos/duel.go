package paxos

import (
	"errors"
	"fmt"
	"time"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "paxos-duel",
		Summary: "two proposers pre-empt each other for ever without backoff; with randomised backoff a value is chosen",
		Doc: `Two Paxos groups run side by side in one world, identical but for one
setting. In each, two proposers start at the same instant with different
values, and every message takes exactly 1ms.

Group a (a1, a2, a3) retries at once when pre-empted. a2's Prepare
arrives and the acceptors promise it, breaking their promise to a1, which
hears so (a Nack) and at once sends a Prepare with a higher ballot. That
Prepare reaches the acceptors just before a2's Accept, so a2's Accept is
refused, a2 retries at once, and so on: the two proposers take turns
pre-empting each other and nothing is ever chosen. Paxos stays safe — no
two values are chosen — but makes no progress. This is the intuition
behind the FLP impossibility result (Fischer, Lynch, Paterson 1985): some
schedule of message delays keeps any asynchronous consensus protocol
undecided; here the perfectly regular network is that schedule.

Group b (b1, b2, b3) waits a random, exponentially growing time before
retrying (full jitter, 5ms base, from each node's own random stream).
Within a round or two one proposer waits long enough for the other to
finish both phases, and a value is chosen.

The summary compares them: rounds tried and time to choose, in a 2s
window. Running both in one world keeps them on the same seed and in the
same trace; the nodes' names tell the groups apart.`,
		LookFor: `group a (no backoff) trying round after round and never choosing a
value, yet never choosing two: safe but not live, as FLP allows. Group b
(randomised backoff) chooses within a few rounds. Compare the rounds and
the time to choose in the summary. dsim explore paxos-duel finds group a's
cycle of pre-emptions itself.`,
		Chapter: "consensus",
		For:     2 * time.Second,
		Knobs: []scenarios.Knob{
			{Name: "groups", Kind: scenarios.KnobChoice, Default: "both", Choices: []string{"both", "a", "b"},
				Doc: "which groups run: a (retry at once), b (randomised backoff), or both side by side"},
		},
		// The explorer looks at group a alone, depth first, for a cycle of
		// pre-emptions in which nothing is ever chosen.
		Explore: &scenarios.Exploration{
			Knobs:  scenarios.Knobs{"groups": "a"},
			DFS:    true,
			Bounds: explore.Bounds{Depth: 40, Deviations: 2, MaxStates: 200_000},
		},
		Setup: setupDuel,
	})
}

func setupDuel(o scenarios.Options) (*scenarios.Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{Latency: network.Constant(time.Millisecond)}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	noBackoff := paxos.DefaultConfig()
	noBackoff.Backoff = paxos.Config{}.Backoff
	groups := o.Knobs.Choice("groups")
	var a, b *group
	if groups != "b" {
		a = addGroup(w, "a", 3, noBackoff)
	}
	if groups != "a" {
		b = addGroup(w, "b", 3, paxos.DefaultConfig())
	}
	start := 10 * time.Millisecond
	w.At(start, func() {
		if a != nil {
			w.Logf("group a (no backoff): a1 proposes \"red\", a2 proposes \"green\"")
			a.propose("a1", "red")
			a.propose("a2", "green")
		}
		if b != nil {
			w.Logf("group b (randomised backoff): b1 proposes \"red\", b2 proposes \"green\"")
			b.propose("b1", "red")
			b.propose("b2", "green")
		}
	})
	if a == nil || b == nil {
		return setupOneDuel(w, net, a, b, start)
	}
	var bAnnounced bool
	w.AfterStep(func() {
		if b.chosen && !bAnnounced {
			bAnnounced = true
			w.Logf("group b: %q chosen %s after the proposals, after %d rounds; group a has tried %d rounds and chosen nothing",
				b.chosenV, sim.FormatTime(b.at-start), b.rounds("b1", "b2"), a.rounds("a1", "a2"))
		}
	})
	finish := func() scenarios.Result {
		var r scenarios.Result
		window := w.Now() - start
		aRounds, bRounds := a.rounds("a1", "a2"), b.rounds("b1", "b2")
		aTime, bTime := "never", "never"
		if a.chosen {
			aTime = sim.FormatTime(a.at - start)
		}
		if b.chosen {
			bTime = sim.FormatTime(b.at - start)
		}
		r.Summary = append(r.Summary,
			fmt.Sprintf("in a %s window, two proposers starting together:", sim.FormatTime(window)),
			fmt.Sprintf("  %-30s %8s  %-8s  %s", "", "rounds", "chosen", "time to choose"),
			fmt.Sprintf("  %-30s %8d  %-8s  %s", "a: retry at once", aRounds, yesNo(a.chosen), aTime),
			fmt.Sprintf("  %-30s %8d  %-8s  %s", "b: randomised backoff", bRounds, yesNo(b.chosen), bTime),
		)
		switch {
		case a.chosen:
			r.Err = fmt.Errorf("group a chose %q at %s: the duel without backoff should never end", a.chosenV, sim.FormatTime(a.at))
		case !b.chosen:
			r.Err = errors.New("group b chose nothing: randomised backoff should end the duel")
		case aRounds < 100:
			r.Err = fmt.Errorf("group a tried only %d rounds: the proposers should keep pre-empting each other", aRounds)
		}
		for _, g := range []struct {
			name string
			g    *group
		}{{"group a", a}, {"group b", b}} {
			if err := g.g.verdict(g.name, &r.Summary); err != nil && r.Err == nil {
				r.Err = err
			}
		}
		r.Metrics = []scenarios.Metric{
			{Name: "rounds_no_backoff", Value: float64(aRounds), Unit: "rounds"},
			{Name: "chosen_no_backoff", Value: boolf(a.chosen), Unit: "bool"},
			{Name: "rounds_backoff", Value: float64(bRounds), Unit: "rounds"},
			{Name: "chosen_backoff", Value: boolf(b.chosen), Unit: "bool"},
			{Name: "time_to_choose_backoff", Value: (b.at - start).Seconds(), Unit: "s"},
			{Name: "window", Value: window.Seconds(), Unit: "s"},
		}
		return r
	}
	return &scenarios.Run{World: w, Net: net, Finish: finish}, nil
}

// setupOneDuel finishes a run of one group alone (--set groups=a or b):
// group a must never choose, group b must.
func setupOneDuel(w *sim.World, net *network.Model, a, b *group, start time.Duration) (*scenarios.Run, error) {
	g, name, backoff := a, "group a", false
	if g == nil {
		g, name, backoff = b, "group b", true
	}
	finish := func() scenarios.Result {
		var r scenarios.Result
		rounds := g.rounds(g.ids[0], g.ids[1])
		switch {
		case g.chosen:
			r.Summary = append(r.Summary, fmt.Sprintf("%s: %q chosen %s after the proposals, after %d rounds", name, g.chosenV, sim.FormatTime(g.at-start), rounds))
			if !backoff {
				r.Err = fmt.Errorf("group a chose %q at %s: the duel without backoff should never end", g.chosenV, sim.FormatTime(g.at))
			}
		default:
			r.Summary = append(r.Summary, fmt.Sprintf("%s: nothing chosen after %d rounds in %s", name, rounds, sim.FormatTime(w.Now()-start)))
			if backoff {
				r.Err = errors.New("group b chose nothing: randomised backoff should end the duel")
			}
		}
		if err := g.verdict(name, &r.Summary); err != nil && r.Err == nil {
			r.Err = err
		}
		r.Metrics = []scenarios.Metric{{Name: "rounds", Value: float64(rounds), Unit: "rounds"}, {Name: "chosen", Value: boolf(g.chosen), Unit: "bool"}}
		return r
	}
	return &scenarios.Run{World: w, Net: net, Finish: finish, Violation: g.violation,
		Progress: func() bool { return g.chosen }, Abstract: g.abstract, Observers: []any{g.safety}}, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
