package check

import (
	"fmt"
	"strings"
)

// CheckCausal decides causal memory (Ahamad, Neiger, Burns, Kohli and
// Hutto, 1995) for a history whose puts write distinct values per key (so
// a read names the write it read from; "" is the initial value).
//
// Causal order is the transitive closure of program order (a client's
// earlier operation precedes its later one) and writes-into (a put
// precedes every get that returned its value). The history is causal if
// causal order has no cycle and, for every client, some order of all the
// puts and that client's own gets respects causal order and makes each of
// its gets return the latest put before it. Clients need not agree with
// each other on concurrent puts: that is what separates causal from
// sequential consistency.
func CheckCausal(h *History) (ModelResult, error) {
	rh, err := readRegisterHistory(h)
	if err != nil {
		return ModelResult{}, err
	}
	n := len(rh.all)
	// writes by key and value
	writer := map[[2]string]int{}
	for i, o := range rh.all {
		if !o.put {
			continue
		}
		kv := [2]string{rh.keys[o.key], o.value}
		if _, dup := writer[kv]; dup || o.value == "" {
			return ModelResult{}, fmt.Errorf("%w: put(%q, %q) by %s: the causal checker needs every put to write a distinct, non-empty value per key",
				ErrBadHistory, kv[0], kv[1], o.client)
		}
		writer[kv] = i
	}
	// causal order: before[i][j] means operation i precedes j
	before := make([][]bool, n)
	for i := range before {
		before[i] = make([]bool, n)
	}
	pos := 0
	for _, p := range rh.procs {
		for k := 1; k < len(p); k++ {
			before[pos+k-1][pos+k] = true
		}
		pos += len(p)
	}
	for j, o := range rh.all {
		if o.put || o.value == "" {
			continue
		}
		w, ok := writer[[2]string{rh.keys[o.key], o.value}]
		if !ok {
			return ModelResult{Why: fmt.Sprintf("%s read a value nobody wrote", rh.describe(o))}, nil
		}
		before[w][j] = true
	}
	for k := range n { // transitive closure (Warshall)
		for i := range n {
			if !before[i][k] {
				continue
			}
			for j := range n {
				if before[k][j] {
					before[i][j] = true
				}
			}
		}
	}
	for i := range n {
		if before[i][i] {
			return ModelResult{Why: fmt.Sprintf("causal order has a cycle through %s", rh.describe(rh.all[i]))}, nil
		}
	}
	// each client's view
	var first []OpID
	for _, c := range rh.clients {
		var view []int // indexes into rh.all: every put, and c's gets
		for i, o := range rh.all {
			if o.put || o.client == c {
				view = append(view, i)
			}
		}
		order, ok, err := causalView(rh, before, view)
		if err != nil {
			return ModelResult{}, err
		}
		if !ok {
			return ModelResult{Why: fmt.Sprintf("no order of the puts that respects causality explains the reads of %s", c)}, nil
		}
		if first == nil {
			first = order
		}
	}
	return ModelResult{OK: true, Order: first}, nil
}

// causalView searches for an order of the operations view (indexes into
// rh.all) that extends causal order and in which every get returns the
// latest put to its key. A put without an answer may be left out.
func causalView(rh *registerHistory, before [][]bool, view []int) ([]OpID, bool, error) {
	placed := make([]bool, len(view))
	values := make([]string, len(rh.keys))
	seen := map[string]bool{}
	var order []OpID
	var b strings.Builder
	states := 0
	left := len(view)
	ready := func(i int) bool {
		for j, v := range view {
			if !placed[j] && before[v][view[i]] {
				return false
			}
		}
		return true
	}
	var search func() (bool, error)
	search = func() (bool, error) {
		if left == 0 {
			return true, nil
		}
		mask := make([]byte, len(placed))
		for i, p := range placed {
			mask[i] = '0'
			if p {
				mask[i] = '1'
			}
		}
		k := string(mask) + "|" + stateKey(&b, nil, values)
		if seen[k] {
			return false, nil
		}
		seen[k] = true
		if states++; states > maxStates {
			return false, ErrTooLarge
		}
		for i, v := range view {
			if placed[i] || !ready(i) {
				continue
			}
			op := rh.all[v]
			if !op.put && values[op.key] != op.value {
				continue
			}
			for _, apply := range []bool{true, false} {
				if !apply && (!op.put || op.returned) {
					continue
				}
				old := values[op.key]
				if op.put && apply {
					values[op.key] = op.value
				}
				placed[i] = true
				left--
				order = append(order, op.id)
				ok, err := search()
				placed[i] = false
				left++
				values[op.key] = old
				if ok || err != nil {
					return ok, err
				}
				order = order[:len(order)-1]
			}
		}
		return false, nil
	}
	ok, err := search()
	return order, ok, err
}
