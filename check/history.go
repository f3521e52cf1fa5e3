package check

import (
	"fmt"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/dsimlab/dsim/sim"
)

// OpID names one operation of a History, for Return.
type OpID int

// Operation is one recorded operation.
type Operation struct {
	ID     OpID
	Client sim.NodeID
	Input  any
	Call   time.Duration // when the client invoked it (virtual time)
	// Output and Return are set when the answer arrived; Returned says
	// whether it did.
	Output   any
	Return   time.Duration
	Returned bool
}

// History records the operations clients invoke and the answers they get,
// on virtual time. The zero value is an empty history ready to use.
//
// A client records an operation once, when it first sends it, however many
// times it retries; it records the answer when the first answer arrives.
type History struct {
	ops         []Operation
	annotations []Annotation
}

// NewHistory returns an empty history.
func NewHistory() *History { return &History{} }

// Invoke records that client invoked an operation with this input at time
// at, and returns its id for Return.
func (h *History) Invoke(client sim.NodeID, input any, at time.Duration) OpID {
	id := OpID(len(h.ops))
	h.ops = append(h.ops, Operation{ID: id, Client: client, Input: input, Call: at})
	return id
}

// Return records the answer to operation id, received at time at. An
// operation answers once, and not before it was invoked.
func (h *History) Return(id OpID, output any, at time.Duration) error {
	if id < 0 || int(id) >= len(h.ops) {
		return fmt.Errorf("check: return of operation %d, but only %d were invoked", id, len(h.ops))
	}
	op := &h.ops[id]
	if op.Returned {
		return fmt.Errorf("check: operation %d of %s returned twice (at %s and %s)",
			id, op.Client, sim.FormatTime(op.Return), sim.FormatTime(at))
	}
	if at < op.Call {
		return fmt.Errorf("check: operation %d of %s returns at %s, before its invocation at %s",
			id, op.Client, sim.FormatTime(at), sim.FormatTime(op.Call))
	}
	op.Output, op.Return, op.Returned = output, at, true
	return nil
}

// Annotate adds notes to draw on the visualization's timeline, such as the
// faults a scenario injected (see FaultAnnotations).
func (h *History) Annotate(notes ...Annotation) {
	h.annotations = append(h.annotations, notes...)
}

// Operations returns a copy of every recorded operation, in invocation order.
func (h *History) Operations() []Operation { return slices.Clone(h.ops) }

// Len is how many operations were invoked.
func (h *History) Len() int { return len(h.ops) }

// Pending is how many operations never got an answer.
func (h *History) Pending() int {
	n := 0
	for i := range h.ops {
		if !h.ops[i].Returned {
			n++
		}
	}
	return n
}

// end is an instant after everything recorded: where operations without an
// answer are taken to return.
func (h *History) end() time.Duration {
	var end time.Duration
	for i := range h.ops {
		end = max(end, h.ops[i].Call, h.ops[i].Return)
	}
	for _, a := range h.annotations {
		end = max(end, a.At, a.End)
	}
	return end + 1
}

// clientIndex numbers the clients in sorted order, as porcupine wants
// small integers starting at zero.
func (h *History) clientIndex() map[sim.NodeID]int {
	var names []sim.NodeID
	for i := range h.ops {
		names = append(names, h.ops[i].Client)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	index := make(map[sim.NodeID]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	return index
}

// opMeta is porcupine metadata: shown in the visualization's tooltips.
type opMeta struct {
	client   sim.NodeID
	returned bool
}

func (m opMeta) String() string {
	if m.returned {
		return "client " + string(m.client)
	}
	return "client " + string(m.client) + "; no answer: outcome unknown"
}

// PorcupineOperations converts the history for porcupine. An operation
// without an answer gets a nil Output and returns at the end of the history,
// so a model can let it take effect at any time after its invocation, or
// not at all.
func (h *History) PorcupineOperations() []porcupine.Operation {
	clients := h.clientIndex()
	end := h.end()
	out := make([]porcupine.Operation, len(h.ops))
	for i := range h.ops {
		op := &h.ops[i]
		ret, output := end, any(nil)
		if op.Returned {
			ret, output = op.Return, op.Output
		}
		out[i] = porcupine.Operation{
			ClientId: clients[op.Client],
			Input:    op.Input,
			Call:     int64(op.Call),
			Output:   output,
			Return:   int64(ret),
			Metadata: opMeta{client: op.Client, returned: op.Returned},
		}
	}
	return out
}
