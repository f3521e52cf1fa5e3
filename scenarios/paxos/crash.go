package paxos

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "paxos-acceptor-crash",
		Summary: "a majority of acceptors down: nothing is chosen, safely; one back, so only a minority is down: the value is chosen",
		Doc: `Five nodes n1..n5. At the start n3, n4 and n5 crash: three of five, a
majority. At 10ms n1 proposes "blue". Its Prepare reaches only n1 and n2,
two promises are not a majority, and each round times out after 100ms and
is retried (with backoff). Nothing is chosen, and nothing can be: no
majority can hear of any proposal. But nothing unsafe happens either — the
safety checks run after every event.

At 1s n3 comes back. Now only n4 and n5 are down, a minority, and n1's
next round hears from n1, n2 and n3: "blue" is chosen. n3 restarted with
its promise and acceptance state read back from its disk.`,
		LookFor: `the rounds n1 tries while the majority is down, and how soon
after n3's restart the value is chosen.`,
		Chapter: "consensus",
		For:     2 * time.Second,
		Setup:   setupAcceptorCrash,
	})
}

func setupAcceptorCrash(o scenarios.Options) (*scenarios.Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	g := addGroup(w, "n", 5, paxos.DefaultConfig())
	majority := []sim.NodeID{"n3", "n4", "n5"}
	w.At(time.Millisecond, func() {
		w.Logf("crashing n3, n4 and n5: a majority of the five acceptors")
		for _, id := range majority {
			w.Crash(id)
		}
	})
	start, back := 10*time.Millisecond, time.Second
	w.At(start, func() {
		w.Logf("n1 proposes \"blue\" with only n1 and n2 up")
		g.propose("n1", "blue")
	})
	var chosenWhileDown bool
	var roundsWhileDown int
	w.At(back, func() {
		chosenWhileDown = g.chosen
		roundsWhileDown = g.rounds("n1")
		w.Logf("n1 tried %d rounds and nothing was chosen; restarting n3: now only n4 and n5 are down, a minority", roundsWhileDown)
		w.Restart("n3")
	})
	var announced bool
	w.AfterStep(func() {
		if g.chosen && !announced && w.Now() > back {
			announced = true
			w.Logf("%q chosen %s after n3 came back", g.chosenV, sim.FormatTime(g.at-back))
		}
	})
	finish := func() scenarios.Result {
		var r scenarios.Result
		switch {
		case chosenWhileDown:
			r.Err = fmt.Errorf("a value was chosen at %s with a majority of acceptors down", sim.FormatTime(g.at))
		case !g.chosen:
			r.Err = fmt.Errorf("nothing was chosen after n3 came back, with three of five acceptors up")
		case g.chosenV != "blue":
			r.Err = fmt.Errorf("%q was chosen, but only blue was proposed", g.chosenV)
		default:
			r.Summary = append(r.Summary,
				fmt.Sprintf("%-28s %6s  %s", "", "rounds", "chosen"),
				fmt.Sprintf("%-28s %6d  %s", "3 of 5 down (10ms-1s)", roundsWhileDown, "no"),
				fmt.Sprintf("%-28s %6d  %s", "2 of 5 down (from 1s)", g.rounds("n1")-roundsWhileDown, fmt.Sprintf("%q, %s after n3 came back", g.chosenV, sim.FormatTime(g.at-back))))
		}
		if err := g.verdict("paxos", &r.Summary); err != nil && r.Err == nil {
			r.Err = err
		}
		r.Metrics = []scenarios.Metric{
			{Name: "rounds_majority_down", Value: float64(roundsWhileDown), Unit: "rounds"},
			{Name: "chosen_majority_down", Value: boolf(chosenWhileDown), Unit: "bool"},
			{Name: "chosen_minority_down", Value: boolf(g.chosen), Unit: "bool"},
			{Name: "time_to_choose_after_restart", Value: (g.at - back).Seconds(), Unit: "s"},
		}
		return r
	}
	return &scenarios.Run{World: w, Net: net, Finish: finish}, nil
}
