package scenarios

import (
	"fmt"
	"strings"
	"time"

	"github.com/dsimlab/dsim/clock"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	Register(Scenario{
		Name:    "lamport",
		Summary: "three processes stamp events with Lamport and vector clocks; which pairs are causal, which concurrent",
		Doc: `Processes A, B and C each follow a short script of local events and
sends; every receive is an event too. Each event is stamped with a Lamport
clock and a vector clock, and every message carries both.`,
		LookFor: `A's first event [A:1,B:0,C:0] and B's first event [A:0,B:1,C:0]
are concurrent: neither could have influenced the other. If a happened
before b, then L(a) < L(b), always; the converse fails (many concurrent
pairs get different Lamport times), and only vector clocks tell "before"
from "concurrent". The
summary prints every event with its stamps and a matrix of how each pair is
related (< happened before, > after, || concurrent). Seeds change the
network delays, and so which receives happen before which sends.`,
		Chapter: "basics",
		For:     time.Second,
		Setup:   setupLamport,
	})
}

// Stamped is a message carrying the sender's clocks.
type Stamped struct {
	Lamport clock.LamportTime
	Clock   clock.Vector
}

// step is one scripted action: a local event, or a send to To.
type step struct {
	At time.Duration
	To sim.NodeID // empty for a local event
}

type stepDue struct{ N int }

// stampedEvent is one event of a process with its clocks.
type stampedEvent struct {
	Name    string // a1, a2, ... in the process's order
	What    string // "local", "send to B", "receive from C"
	Lamport clock.LamportTime
	Vector  clock.Vector
}

// process runs its script and stamps every event.
type process struct {
	script  []step
	lamport clock.Lamport
	vector  clock.Vector
	events  []stampedEvent
}

func (p *process) Start(env sim.Env) {
	p.vector = clock.NewVector(append([]string{string(env.ID())}, idStrings(env.Peers())...)...)
	for i, s := range p.script {
		env.SetTimer(s.At, stepDue{N: i})
	}
}

func (p *process) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	me := string(env.ID())
	switch m := msg.(type) {
	case stepDue:
		s := p.script[m.N]
		l := p.lamport.Tick()
		p.vector = p.vector.Tick(me)
		if s.To == "" {
			p.record(env, "local", l)
			return
		}
		env.Send(s.To, Stamped{Lamport: l, Clock: p.vector.Copy()})
		p.record(env, "send to "+string(s.To), l)
	case Stamped:
		l := p.lamport.Observe(m.Lamport)
		p.vector = p.vector.Merge(m.Clock).Tick(me)
		p.record(env, "receive from "+string(from), l)
	}
}

func (p *process) record(env sim.Env, what string, l clock.LamportTime) {
	name := fmt.Sprintf("%s%d", strings.ToLower(string(env.ID())), len(p.events)+1)
	p.events = append(p.events, stampedEvent{Name: name, What: what, Lamport: l, Vector: p.vector.Copy()})
	env.Logf("%s %s  L=%d  %s", name, what, l, p.vector)
}

// Inspect shows the process's two clocks, the lesson of the scenario.
func (p *process) Inspect() map[string]string {
	return map[string]string{
		"lamport": fmt.Sprint(p.lamport.Time()),
		"vector":  p.vector.String(),
		"events":  fmt.Sprint(len(p.events)),
	}
}

func idStrings(ids []sim.NodeID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// lamportScripts: everyone starts with a local event at 10ms, so A's and
// B's first events are the course's concurrent pair.
var lamportScripts = map[sim.NodeID][]step{
	"A": {{At: 10 * time.Millisecond}, {At: 20 * time.Millisecond, To: "B"}, {At: 60 * time.Millisecond, To: "C"}},
	"B": {{At: 10 * time.Millisecond}, {At: 30 * time.Millisecond, To: "C"}, {At: 70 * time.Millisecond}},
	"C": {{At: 10 * time.Millisecond}, {At: 50 * time.Millisecond, To: "A"}},
}

func setupLamport(o Options) (*Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: 5 * time.Millisecond, Max: 40 * time.Millisecond},
	}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	ids := []sim.NodeID{"A", "B", "C"}
	for _, id := range ids {
		script := lamportScripts[id]
		w.AddNode(id, func() sim.Node { return &process{script: script} })
	}
	return &Run{World: w, Net: net, Finish: func() Result {
		var all []stampedEvent
		for _, id := range ids {
			if p, ok := w.Node(id).(*process); ok {
				all = append(all, p.events...)
			}
		}
		return lamportSummary(all)
	}}, nil
}

// lamportSummary lists the events, the pairwise relations, and checks the
// clock condition: a happened before b implies L(a) < L(b).
func lamportSummary(events []stampedEvent) Result {
	var r Result
	r.Summary = append(r.Summary, "events (name, what, Lamport time, vector clock):")
	for _, e := range events {
		r.Summary = append(r.Summary, fmt.Sprintf("  %-4s %-16s L=%-2d %s", e.Name, e.What, e.Lamport, e.Vector))
	}
	header := "      "
	for _, e := range events {
		header += fmt.Sprintf("%-4s", e.Name)
	}
	r.Summary = append(r.Summary, "", "how the row event relates to the column event (< before, > after, || concurrent):", header)
	ordered, concurrent, lamportOrdersConcurrent := 0, 0, 0
	var example string
	for i, a := range events {
		row := fmt.Sprintf("  %-4s", a.Name)
		for j, b := range events {
			ord := a.Vector.Compare(b.Vector)
			sym := map[clock.Order]string{clock.Before: "<", clock.After: ">", clock.Equal: "=", clock.Concurrent: "||"}[ord]
			row += fmt.Sprintf("%-4s", sym)
			if j <= i {
				continue
			}
			switch ord {
			case clock.Before, clock.After:
				ordered++
				first, second := a, b
				if ord == clock.After {
					first, second = b, a
				}
				if first.Lamport >= second.Lamport && r.Err == nil {
					r.Err = fmt.Errorf("clock condition broken: %s happened before %s but L=%d >= L=%d", first.Name, second.Name, first.Lamport, second.Lamport)
				}
			case clock.Concurrent:
				concurrent++
				if a.Lamport != b.Lamport {
					lamportOrdersConcurrent++
				}
				if example == "" && a.Name == "a1" && b.Name == "b1" {
					example = fmt.Sprintf("a1 %s and b1 %s are concurrent: neither happened before the other", a.Vector, b.Vector)
				}
			}
		}
		r.Summary = append(r.Summary, row)
	}
	r.Summary = append(r.Summary, "",
		fmt.Sprintf("%d pairs causally ordered, %d concurrent; Lamport times order %d of the concurrent pairs anyway,", ordered, concurrent, lamportOrdersConcurrent),
		"so a smaller Lamport time does not mean \"happened before\"; a smaller vector does.")
	if example != "" {
		r.Summary = append(r.Summary, example)
	} else if r.Err == nil {
		r.Err = fmt.Errorf("a1 and b1 should be concurrent")
	}
	r.Metrics = []Metric{
		{"events", float64(len(events)), "events"},
		{"ordered_pairs", float64(ordered), "pairs"},
		{"concurrent_pairs", float64(concurrent), "pairs"},
		{"concurrent_pairs_lamport_orders", float64(lamportOrdersConcurrent), "pairs"},
	}
	return r
}
