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
		Name:    "paxos-basic",
		Summary: "one proposer, three acceptors: both phases of Paxos, narrated, and a value chosen",
		Doc: `Three nodes n1, n2, n3 each play proposer, acceptor and learner. At 10ms
n1 proposes "blue". Messages take 2–5ms.`,
		LookFor: `The two phases of Paxos Made Simple. Phase 1: n1 sends Prepare
with ballot 1.n1; each acceptor promises never to accept a lower ballot,
writes that promise to disk, and answers Promise, saying it accepted
nothing yet. Phase 2: with a majority of promises and no accepted value
among them, n1 is free to propose its own value: Accept 1.n1 "blue". Each
acceptor accepts, writes it to disk and tells every learner (Accepted).
The moment a majority (2 of 3) accepted, "blue" is chosen — before anyone
knows it. The learners find out as the Accepted messages arrive.`,
		Chapter: "consensus",
		For:     200 * time.Millisecond,
		Knobs: []scenarios.Knob{
			{Name: "proposers", Kind: scenarios.KnobInt, Default: "1", Min: 1, Max: 3,
				Doc: "how many nodes propose (n1 blue at 10ms, n2 red at 12ms, n3 green at 14ms); with more than one they compete"},
		},
		Broken: brokenNames(),
		Explore: &scenarios.Exploration{
			// Two proposers, so that two different values could be chosen;
			// one crash and restart, which is what a forgotten promise needs.
			Knobs:     scenarios.Knobs{"proposers": "2"},
			Crashable: []sim.NodeID{"n1", "n2", "n3"},
			// Deviations from FIFO delivery: 3 are enough for both broken
			// variants. The horizon stops before the first retry (110ms).
			Bounds: explore.Bounds{Depth: 40, Crashes: 1, Deviations: 3, Horizon: 100 * time.Millisecond},
		},
		Setup: setupBasic,
	})
}

func setupBasic(o scenarios.Options) (*scenarios.Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 2 * time.Millisecond, Max: 5 * time.Millisecond}}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	g := addBrokenGroup(w, "n", 3, paxos.DefaultConfig(), o.Broken)
	const proposer = sim.NodeID("n1")
	start := 10 * time.Millisecond
	proposers := o.Knobs.Int("proposers")
	values := []string{"blue", "red", "green"}
	for i := range proposers {
		// The second and third proposers start 2ms apart: a learner sees
		// their rounds overlap, as with real delays they would.
		id, v := g.ids[i], values[i]
		w.At(start+time.Duration(i)*2*time.Millisecond, func() {
			w.Logf("%s proposes %q", id, v)
			g.propose(id, v)
		})
	}
	// Narrate the moments of the protocol as the proposer and the
	// acceptors reach them.
	var promisedAt, chosenAt, allAt time.Duration
	promises := map[sim.NodeID]bool{}
	// Each moment is looked for only until it happens: this runs after
	// every event, the explorer's replays included.
	w.AfterStep(func() {
		for _, id := range g.ids {
			if promises[id] {
				continue
			}
			if st, ok := g.status(id); ok && !st.Promised.IsZero() {
				promises[id] = true
				w.Logf("phase 1b: %s promised ballot %v (and has accepted nothing)", id, st.Promised)
			}
		}
		if promisedAt == 0 {
			if st, ok := g.status(proposer); ok && st.Phase == paxos.Accepting {
				promisedAt = w.Now()
				w.Logf("phase 2a: a majority promised %v; n1 sends Accept %v", st.Ballot, st.Ballot)
			}
		}
		if g.chosen && chosenAt == 0 {
			chosenAt = w.Now()
			_, ballot, _ := g.safety.Chosen()
			w.Logf("CHOSEN: a majority has accepted %q at ballot %v — no learner knows yet", g.chosenV, ballot)
		}
		if allAt == 0 && g.chosen && g.learned() == len(g.ids) {
			allAt = w.Now()
			w.Logf("every learner knows %q", g.chosenV)
		}
	})
	finish := func() scenarios.Result {
		var r scenarios.Result
		st, _ := g.status(proposer)
		stats := w.Stats()
		switch {
		case !g.chosen:
			r.Err = errors.New("no value was chosen")
		case proposers > 1:
			r.Summary = append(r.Summary, fmt.Sprintf("%d proposers competed; %q was chosen after %d rounds in all, %s after the proposals",
				proposers, g.chosenV, g.rounds(g.ids...), sim.FormatTime(chosenAt-start)))
		case g.chosenV != "blue":
			r.Err = fmt.Errorf("%q was chosen, but only blue was proposed", g.chosenV)
		case st.Rounds != 1:
			r.Err = fmt.Errorf("n1 needed %d rounds; alone it should need one", st.Rounds)
		case allAt == 0:
			r.Err = fmt.Errorf("only %d of 3 learners learned the value", g.learned())
		default:
			r.Summary = append(r.Summary,
				fmt.Sprintf("%q chosen at ballot 1.n1 in one round: phase 1 took %s, the value was chosen %s after the proposal",
					g.chosenV, sim.FormatTime(promisedAt-start), sim.FormatTime(chosenAt-start)),
				fmt.Sprintf("every learner knew it %s after the proposal; %d messages in all", sim.FormatTime(allAt-start), stats.Sent))
		}
		if err := g.verdict("paxos", &r.Summary); err != nil && r.Err == nil {
			r.Err = err
		}
		r.Metrics = []scenarios.Metric{
			{Name: "rounds", Value: float64(st.Rounds), Unit: "rounds"},
			{Name: "time_to_choose", Value: (chosenAt - start).Seconds(), Unit: "s"},
			{Name: "time_all_learned", Value: (allAt - start).Seconds(), Unit: "s"},
			{Name: "messages", Value: float64(stats.Sent), Unit: "messages"},
		}
		return r
	}
	return &scenarios.Run{World: w, Net: net, Finish: finish, Violation: g.violation, Observers: []any{g.safety}}, nil
}
