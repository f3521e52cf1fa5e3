package check

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/anishathalye/porcupine"
)

// Verdict is the outcome of a linearizability check.
type Verdict string

// The verdicts of CheckKV.
const (
	Linearizable    Verdict = "linearizable"
	NotLinearizable Verdict = "not linearizable"
	// Unknown means the checker ran out of time before deciding. It found
	// no violation in what it explored, which is weaker than Linearizable.
	Unknown Verdict = "unknown (the checker timed out)"
)

// ErrBadHistory says a history holds operations the model cannot judge.
var ErrBadHistory = errors.New("check: history does not fit the model")

// Result is a linearizability verdict plus what is needed to draw it.
type Result struct {
	Verdict    Verdict
	Operations int // operations in the history
	Pending    int // operations that never got an answer

	model       porcupine.Model
	info        porcupine.LinearizationInfo
	annotations []Annotation
}

func (r Result) String() string {
	return fmt.Sprintf("%s (%d operations, %d without an answer)", r.Verdict, r.Operations, r.Pending)
}

// KVModel is porcupine's sequential specification of a key/value store whose
// inputs are KVInput and outputs KVOutput (nil for an operation that never
// got an answer). It partitions the history by key: keys are independent
// registers, and a history is linearizable exactly when each key's
// sub-history is, which makes checking much faster.
func KVModel() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() any { return "" },
		Step: func(state, input, output any) (bool, any) {
			return kvStep(state.(string), input.(KVInput), kvOutput(output))
		},
		DescribeOperation: func(input, output any) string {
			return describeKV(input.(KVInput), kvOutput(output))
		},
		DescribeState: func(state any) string { return describeKVState(state.(string)) },
	}
}

func kvOutput(output any) *KVOutput {
	if output == nil {
		return nil
	}
	out := output.(KVOutput)
	return &out
}

// partitionByKey splits a history into one sub-history per key, keys in
// order of first appearance.
func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	index := map[string]int{}
	var parts [][]porcupine.Operation
	for _, op := range history {
		key := op.Input.(KVInput).Key
		i, ok := index[key]
		if !ok {
			i = len(parts)
			index[key] = i
			parts = append(parts, nil)
		}
		parts[i] = append(parts[i], op)
	}
	return parts
}

// CheckKV decides whether a key/value history is linearizable. Every input
// must be a KVInput and every output a KVOutput. A timeout of zero means no
// limit; with one, the verdict may be Unknown.
func CheckKV(h *History, timeout time.Duration) (Result, error) {
	for _, op := range h.ops {
		if _, ok := op.Input.(KVInput); !ok {
			return Result{}, fmt.Errorf("%w: operation %d of %s has input %T, want check.KVInput", ErrBadHistory, op.ID, op.Client, op.Input)
		}
		if _, ok := op.Output.(KVOutput); op.Returned && !ok {
			return Result{}, fmt.Errorf("%w: operation %d of %s has output %T, want check.KVOutput", ErrBadHistory, op.ID, op.Client, op.Output)
		}
	}
	model := KVModel()
	model.DescribeOperationMetadata = func(m any) string { return fmt.Sprint(m) }
	res, info := porcupine.CheckOperationsVerbose(model, h.PorcupineOperations(), timeout)
	verdict := Unknown
	switch res {
	case porcupine.Ok:
		verdict = Linearizable
	case porcupine.Illegal:
		verdict = NotLinearizable
	}
	return Result{
		Verdict:     verdict,
		Operations:  h.Len(),
		Pending:     h.Pending(),
		model:       model,
		info:        info,
		annotations: append([]Annotation(nil), h.annotations...),
	}, nil
}

// WriteVisualization writes porcupine's interactive HTML page for the
// checked history to w: one row per client, one bar per operation, the
// history's annotations (faults) in rows of their own. For a linearizable
// history it shows the order found; otherwise the longest prefixes that
// could be linearized and the operation none of them could place next.
func (r Result) WriteVisualization(w io.Writer) error {
	if r.model.Init == nil {
		return errors.New("check: visualization of a zero Result; use the Result CheckKV returned")
	}
	info := r.info
	info.AddAnnotations(porcupineAnnotations(r.annotations))
	if err := porcupine.Visualize(r.model, info, w); err != nil {
		return fmt.Errorf("check: writing visualization: %w", err)
	}
	return nil
}

// WriteVisualizationFile writes the visualization to a file at path.
func (r Result) WriteVisualizationFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if err := r.WriteVisualization(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	return nil
}
