package check

import (
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/dsimlab/dsim/sim"
)

// Annotation is a note on the visualization's timeline: a crash, a
// partition, a leader change. It is drawn in a row of its own named by Tag.
type Annotation struct {
	Tag  string        // the row: a node's name, or "network" for faults
	At   time.Duration // virtual time it begins
	End  time.Duration // when it ends; at or before At for a point in time
	Text string        // shown on the timeline
	// Details are shown when the pointer rests on it.
	Details string
	// Color is a CSS background color ("#f4b6b6"); empty for the default.
	Color string
}

// Colors used by FaultAnnotations.
const (
	crashColor = "#f4b6b6"
	faultColor = "#efaefc"
)

// FaultTag is the row FaultAnnotations puts network faults in.
const FaultTag = "faults"

// FaultAnnotations turns the fault records of a trace into annotations: a
// span from each crash to the node's restart (or to the end of the trace,
// if it never came back), in the node's own row, and a point for each fault
// change (partition, heal, loss...) in the FaultTag row.
func FaultAnnotations(records []sim.Record) []Annotation {
	var out []Annotation
	down := map[sim.NodeID]int{} // node -> index in out of its open crash span
	var last time.Duration
	for i := range records {
		r := &records[i]
		last = max(last, r.At)
		switch r.Kind {
		case sim.KindCrash:
			if _, open := down[r.Node]; open {
				continue
			}
			down[r.Node] = len(out)
			out = append(out, Annotation{Tag: string(r.Node), At: r.At, End: -1, Text: "crashed", Details: r.String(), Color: crashColor})
		case sim.KindRestart:
			if j, open := down[r.Node]; open {
				out[j].End = r.At
				out[j].Details += "; restarted at " + sim.FormatTime(r.At)
				delete(down, r.Node)
			}
		case sim.KindFault:
			out = append(out, Annotation{Tag: FaultTag, At: r.At, Text: r.Text, Details: r.String(), Color: faultColor})
		}
	}
	for j := range out {
		if out[j].End < 0 { // still down when the trace ended
			out[j].End = last
			out[j].Details += "; still down at the end"
		}
	}
	return out
}

func porcupineAnnotations(notes []Annotation) []porcupine.Annotation {
	out := make([]porcupine.Annotation, len(notes))
	for i, n := range notes {
		out[i] = porcupine.Annotation{
			Tag:             n.Tag,
			Start:           int64(n.At),
			End:             int64(n.End),
			Description:     n.Text,
			Details:         n.Details,
			BackgroundColor: n.Color,
		}
	}
	return out
}
