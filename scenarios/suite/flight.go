package suite

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dsimlab/dsim/sim"
)

// Flight is a flight recorder for a graded run: a sim.Tracer that keeps,
// per node, the last events it took part in and the last lines it logged
// (the student's own env.Logf), so that a failure can show what each node
// did just before it. It also tells the suite, step by step, which nodes
// sent a message (what a node has sent it has promised) and which booted.
//
// Timer set and cancel records are left out of the per-node tail: they are
// many and rarely tell the story. The zero value is not ready: use
// NewFlight.
type Flight struct {
	keep  int
	nodes map[sim.NodeID]*tail
	world tail // faults and the suite's own narration
	// sent and booted list the nodes that sent a message or booted since
	// the last TakeStep.
	sent, booted []sim.NodeID
}

type tail struct {
	events []sim.Record // ring of the last keep events
	logs   []string     // ring of the last keep log lines
	nEv    int
	nLog   int
}

func (t *tail) add(keep int, r *sim.Record) {
	if r.Kind == sim.KindLog {
		line := fmt.Sprintf("%s %s", sim.FormatTime(r.At), r.Text)
		if len(t.logs) < keep {
			t.logs = append(t.logs, line)
		} else {
			t.logs[t.nLog%keep] = line
		}
		t.nLog++
	}
	rec := *r
	if len(t.events) < keep {
		t.events = append(t.events, rec)
	} else {
		t.events[t.nEv%keep] = rec
	}
	t.nEv++
}

func ring[E any](xs []E, n int) []E {
	if n <= len(xs) {
		return xs
	}
	k := n % len(xs)
	return append(slices.Clone(xs[k:]), xs[:k]...)
}

// NewFlight keeps the last keep events and log lines of every node.
func NewFlight(keep int) *Flight {
	return &Flight{keep: max(keep, 1), nodes: map[sim.NodeID]*tail{}}
}

// Trace implements sim.Tracer.
func (f *Flight) Trace(r *sim.Record) {
	switch r.Kind {
	case sim.KindTimerSet, sim.KindTimerCancel:
		return
	case sim.KindSend:
		f.sent = append(f.sent, r.Node)
	case sim.KindStart:
		f.booted = append(f.booted, r.Node)
	}
	if r.Node == "" {
		f.world.add(f.keep, r)
		return
	}
	t := f.nodes[r.Node]
	if t == nil {
		t = &tail{}
		f.nodes[r.Node] = t
	}
	t.add(f.keep, r) // a send, drop or duplicate at its sender, a delivery at its receiver
}

// TakeStep returns the nodes that sent a message and those that booted
// since the last call, and forgets them.
func (f *Flight) TakeStep() (sent, booted []sim.NodeID) {
	sent, booted = f.sent, f.booted
	f.sent, f.booted = f.sent[:0:0], f.booted[:0:0]
	return sent, booted
}

// Report renders, for each of ids, its last events other than log lines
// (Logs has those), and the last world events (faults). One block per node,
// oldest line first.
func (f *Flight) Report(ids []sim.NodeID) string {
	var b strings.Builder
	for _, id := range ids {
		t := f.nodes[id]
		if t == nil {
			fmt.Fprintf(&b, "  %s: no events\n", id)
			continue
		}
		fmt.Fprintf(&b, "  %s, last events:\n", id)
		for _, r := range ring(t.events, t.nEv) {
			if r.Kind == sim.KindLog {
				continue // shown by Logs
			}
			fmt.Fprintf(&b, "    %s\n", clip(r.String(), 150))
		}
	}
	if ws := ring(f.world.events, f.world.nEv); len(ws) > 0 {
		b.WriteString("  faults and narration, last:\n")
		for _, r := range ws {
			fmt.Fprintf(&b, "    %s\n", clip(r.String(), 150))
		}
	}
	return b.String()
}

// Logs renders the last lines each of ids logged with env.Logf.
func (f *Flight) Logs(ids []sim.NodeID) string {
	var b strings.Builder
	for _, id := range ids {
		t := f.nodes[id]
		if t == nil || t.nLog == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %s logged:\n", id)
		for _, l := range ring(t.logs, t.nLog) {
			fmt.Fprintf(&b, "    %s\n", clip(l, 150))
		}
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
