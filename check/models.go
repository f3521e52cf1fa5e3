package check

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// The ladder of consistency models (seed 003 §3), strongest first, each
// admitting every history the ones above it admit, and more:
//
//   - Linearizability: one total order of all operations that respects real
//     time (an operation that returned before another was invoked comes
//     first) and the sequential specification. CheckKV decides it.
//   - Sequential consistency (Lamport, 1979): one total order that respects
//     each client's program order and the specification, but not real time:
//     a read may return an old value long after a newer write returned, as
//     long as everybody agrees on one order. CheckSequential decides it.
//   - Causal consistency (causal memory, Ahamad et al., 1995): writes that
//     are causally related (one client wrote after reading or writing the
//     other, transitively) are seen by every client in that order;
//     concurrent writes may be seen in different orders by different
//     clients: each client needs only its own order. CheckCausal decides it.
//   - Eventual consistency: if writes stop, replicas converge. It says
//     nothing about what reads return meanwhile, so it is a property of the
//     replicas' final states, not of a history of reads.
//
// CheckSequential and CheckCausal take register histories: KVInput gets and
// puts with KVOutput answers (other operations are refused with
// ErrBadHistory). A client's operations are in program order by invocation
// time (a client has one operation in flight at a time). A get without an
// answer tells nothing and is left out; a put without an answer may or may
// not have taken effect, and the checkers try both. Both search
// exhaustively, with memoisation: they are meant for the short histories of
// tests, exercises and scenario rounds (tens of operations), and give up
// with ErrTooLarge on much more.

// ModelResult is a checker's verdict on a history for one model.
type ModelResult struct {
	// OK says the model admits the history.
	OK bool
	// Order is a witness when OK: a total order of the operations that
	// respects the model (CheckSequential), or, for CheckCausal, the order
	// seen by the first client (each client has its own).
	Order []OpID
	// Why says, when not OK, what cannot be explained.
	Why string
}

// ErrTooLarge is returned when a search would visit too many states.
var ErrTooLarge = errors.New("check: history too large for an exhaustive search")

// maxStates bounds a search.
const maxStates = 1 << 21

// regOp is one get or put, as the model checkers read it.
type regOp struct {
	id       OpID
	client   sim.NodeID
	key      int // index into the keys
	put      bool
	value    string // written by a put, or returned by a get
	returned bool
	call     time.Duration
}

func (o regOp) String() string {
	if o.put {
		return fmt.Sprintf("%s put(k%d, %q)", o.client, o.key, o.value)
	}
	return fmt.Sprintf("%s get(k%d) → %q", o.client, o.key, o.value)
}

// registerHistory is a history split into clients' program orders.
type registerHistory struct {
	keys    []string
	clients []sim.NodeID // sorted
	procs   [][]regOp    // per client, in program order
	all     []regOp      // every operation kept, indexed by position
}

func (rh *registerHistory) describe(o regOp) string {
	if o.put {
		return fmt.Sprintf("%s put(%q, %q)", o.client, rh.keys[o.key], o.value)
	}
	return fmt.Sprintf("%s get(%q) → %q", o.client, rh.keys[o.key], o.value)
}

func readRegisterHistory(h *History) (*registerHistory, error) {
	rh := &registerHistory{}
	keyIndex := map[string]int{}
	byClient := map[sim.NodeID][]regOp{}
	for _, op := range h.ops {
		in, ok := op.Input.(KVInput)
		if !ok || (in.Op != KVGet && in.Op != KVPut) {
			return nil, fmt.Errorf("%w: operation %d of %s is %v; the sequential and causal checkers take gets and puts", ErrBadHistory, op.ID, op.Client, op.Input)
		}
		k, ok := keyIndex[in.Key]
		if !ok {
			k = len(rh.keys)
			keyIndex[in.Key] = k
			rh.keys = append(rh.keys, in.Key)
		}
		r := regOp{id: op.ID, client: op.Client, key: k, put: in.Op == KVPut, value: in.Value, returned: op.Returned, call: op.Call}
		if !r.put {
			if !op.Returned {
				continue // a read without an answer says nothing
			}
			out, ok := op.Output.(KVOutput)
			if !ok {
				return nil, fmt.Errorf("%w: operation %d of %s answered %v, not a KVOutput", ErrBadHistory, op.ID, op.Client, op.Output)
			}
			r.value = out.Value
		}
		byClient[op.Client] = append(byClient[op.Client], r)
	}
	for c := range byClient {
		rh.clients = append(rh.clients, c)
	}
	slices.Sort(rh.clients)
	for _, c := range rh.clients {
		ops := byClient[c]
		sort.SliceStable(ops, func(i, j int) bool { return ops[i].call < ops[j].call })
		rh.procs = append(rh.procs, ops)
		rh.all = append(rh.all, ops...)
	}
	return rh, nil
}

// stateKey encodes a search state for memoisation.
func stateKey(b *strings.Builder, parts []int, values []string) string {
	b.Reset()
	for _, p := range parts {
		b.WriteString(strconv.Itoa(p))
		b.WriteByte(',')
	}
	for _, v := range values {
		b.WriteString(strconv.Quote(v))
	}
	return b.String()
}

// CheckSequential decides whether some total order of the history's
// operations respects every client's program order and makes every get
// return the value of the latest put to its key before it ("" if none).
func CheckSequential(h *History) (ModelResult, error) {
	rh, err := readRegisterHistory(h)
	if err != nil {
		return ModelResult{}, err
	}
	idx := make([]int, len(rh.procs))
	values := make([]string, len(rh.keys))
	seen := map[string]bool{}
	var order []OpID
	var b strings.Builder
	states := 0
	var search func() (bool, error)
	search = func() (bool, error) {
		done := true
		for i := range idx {
			if idx[i] < len(rh.procs[i]) {
				done = false
			}
		}
		if done {
			return true, nil
		}
		k := stateKey(&b, idx, values)
		if seen[k] {
			return false, nil
		}
		seen[k] = true
		if states++; states > maxStates {
			return false, ErrTooLarge
		}
		for i := range idx {
			if idx[i] == len(rh.procs[i]) {
				continue
			}
			op := rh.procs[i][idx[i]]
			try := func(apply bool) (bool, error) {
				old := values[op.key]
				if apply {
					values[op.key] = op.value
					order = append(order, op.id)
				}
				idx[i]++
				ok, err := search()
				idx[i]--
				if apply {
					values[op.key] = old
					if !ok {
						order = order[:len(order)-1]
					}
				}
				return ok, err
			}
			if !op.put {
				if values[op.key] != op.value {
					continue
				}
				order = append(order, op.id)
				idx[i]++
				ok, err := search()
				idx[i]--
				if ok || err != nil {
					return ok, err
				}
				order = order[:len(order)-1]
				continue
			}
			if ok, err := try(true); ok || err != nil {
				return ok, err
			}
			if !op.returned { // it may never have taken effect
				if ok, err := try(false); ok || err != nil {
					return ok, err
				}
			}
		}
		return false, nil
	}
	ok, err := search()
	if err != nil {
		return ModelResult{}, err
	}
	if ok {
		return ModelResult{OK: true, Order: order}, nil
	}
	return ModelResult{Why: "no single order of all operations that keeps each client's own order explains every read"}, nil
}
