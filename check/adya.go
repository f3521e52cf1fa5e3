package check

import (
	"fmt"
	"slices"
	"strings"
)

// This file is a transactional anomaly checker in the spirit of Jepsen's
// Elle: it builds the dependency graph of a recorded history of
// transactions (Adya, "Weak Consistency: A Generalized Theory and
// Optimistic Implementations for Distributed Transactions", 1999) and
// reports the phenomena it finds, each with the cycle that proves it.
//
// The edges between committed transactions, for every key:
//
//	ww  Ti installs a version and Tj installs the next one;
//	wr  Tj reads a version Ti installed;
//	rw  Ti reads a version and Tj installs the next one (an
//	    anti-dependency: Tj overwrote what Ti saw). A predicate read
//	    (a scan of a key prefix) has an rw edge to every transaction
//	    that installed a later version of a matching key, a key the scan
//	    did not see included: that is how a phantom shows.
//
// The phenomena:
//
//	G0        a cycle of ww edges (dirty write);
//	G1a       a committed transaction read a version written by a
//	          transaction that aborted (aborted read; a dirty read made
//	          visible);
//	G1b       a committed transaction read a version that was not its
//	          writer's final write of that key (intermediate read);
//	G1c       a cycle of ww and wr edges (circular information flow);
//	G-single  a cycle with exactly one rw edge (read skew: a
//	          non-repeatable read, a lost update, a phantom);
//	G2        a cycle with two or more rw edges (write skew).
//
// A history is serializable when it has none of them. Versions are
// identified by writer: a read records which transaction's write it saw
// (and which of that transaction's writes of the key, for G1b). The
// version order of a key is the commit order of its writers, so Txns must
// list committed transactions in commit order — true of any store that
// holds write locks until commit or checks write conflicts at commit.

// TxnOp is one operation of a transaction, as the client saw it answered.
type TxnOp struct {
	// Write is true for a write of Key; false for a read of Key, or, with
	// Prefix set, for a predicate read of every key starting with Prefix.
	Write bool
	Key   string
	// Prefix makes a read a predicate read; Observed then lists, per key
	// the scan returned, the writer of the version it saw.
	Prefix   string
	Observed map[string]string
	// From is, for a read of Key, the transaction whose version was read
	// (InitialTxn for the initial value; "" if the key had no version),
	// and FromIndex which of that writer's writes of Key it was (0 for the
	// first).
	From      string
	FromIndex int
	Value     string // for reading the report only
}

// InitialTxn is the writer of every initial version: a committed
// transaction that precedes all others.
const InitialTxn = "T0"

// Txn is one transaction of a history.
type Txn struct {
	ID        string
	Committed bool // false: aborted
	Ops       []TxnOp
}

// TxnHistory is a history of transactions: every committed one in commit
// order, aborted ones anywhere.
type TxnHistory struct {
	Txns []Txn
	// VersionOrder, if set for a key, is the order its versions were
	// installed in (by writer, InitialTxn first if there is one); keys
	// it does not list take the commit order of their writers.
	VersionOrder map[string][]string
}

// EdgeKind is a dependency: ww, wr or rw.
type EdgeKind string

// The three kinds of dependency edge.
const (
	WW EdgeKind = "ww"
	WR EdgeKind = "wr"
	RW EdgeKind = "rw"
)

// Edge is one dependency between two committed transactions.
type Edge struct {
	From, To string
	Kind     EdgeKind
	Key      string // the key (or "prefix*" for a predicate read) it is about
}

func (e Edge) String() string { return fmt.Sprintf("%s -%s(%s)-> %s", e.From, e.Kind, e.Key, e.To) }

// Anomaly is one phenomenon found, with its evidence.
type Anomaly struct {
	Kind  string // "G0", "G1a", "G1b", "G1c", "G-single", "G2"
	Txns  []string
	Cycle []Edge // the cycle, for G0, G1c, G-single and G2
	Note  string // what happened, in a sentence
}

func (a Anomaly) String() string {
	if len(a.Cycle) == 0 {
		return a.Kind + ": " + a.Note
	}
	parts := make([]string, len(a.Cycle))
	for i, e := range a.Cycle {
		parts[i] = e.String()
	}
	return fmt.Sprintf("%s: %s", a.Kind, strings.Join(parts, ", "))
}

// Graph is the dependency graph of a history's committed transactions.
type Graph struct {
	Txns  []string // committed, in commit order
	Edges []Edge
	out   map[string][]Edge
}

// DependencyGraph builds the ww, wr and rw edges of h's committed
// transactions.
func DependencyGraph(h TxnHistory) *Graph {
	g := &Graph{out: map[string][]Edge{}}
	committed := map[string]bool{InitialTxn: true}
	order := map[string][]string{} // key -> writers in version order
	g.Txns = append(g.Txns, InitialTxn)
	initialKeys := map[string]bool{}
	for _, t := range h.Txns {
		for _, op := range t.Ops {
			if !op.Write && op.Prefix == "" && op.From == InitialTxn {
				initialKeys[op.Key] = true
			}
			for k, from := range op.Observed {
				if from == InitialTxn {
					initialKeys[k] = true
				}
			}
		}
	}
	for _, k := range sortedSet(initialKeys) {
		order[k] = []string{InitialTxn}
	}
	for _, t := range h.Txns {
		if !t.Committed || t.ID == InitialTxn {
			if t.ID == InitialTxn {
				for _, op := range t.Ops {
					if op.Write && !slices.Contains(order[op.Key], InitialTxn) {
						order[op.Key] = append([]string{InitialTxn}, order[op.Key]...)
					}
				}
			}
			continue
		}
		committed[t.ID] = true
		g.Txns = append(g.Txns, t.ID)
		seen := map[string]bool{}
		for _, op := range t.Ops {
			if op.Write && !seen[op.Key] {
				seen[op.Key] = true
				order[op.Key] = append(order[op.Key], t.ID)
			}
		}
	}
	for k, o := range h.VersionOrder {
		order[k] = slices.Clone(o)
	}
	add := func(e Edge) {
		if e.From == e.To || !committed[e.From] || !committed[e.To] {
			return
		}
		for _, x := range g.out[e.From] {
			if x == e {
				return
			}
		}
		g.Edges = append(g.Edges, e)
		g.out[e.From] = append(g.out[e.From], e)
	}
	next := func(key, writer string) (string, bool) {
		w := order[key]
		if writer == "" { // the key had no version: the next is the first
			if len(w) > 0 && w[0] != InitialTxn {
				return w[0], true
			}
			return "", false
		}
		i := slices.Index(w, writer)
		if i < 0 || i+1 >= len(w) {
			return "", false
		}
		return w[i+1], true
	}
	for _, key := range sortedKeysOf(order) {
		w := order[key]
		for i := 1; i < len(w); i++ {
			add(Edge{From: w[i-1], To: w[i], Kind: WW, Key: key})
		}
	}
	for _, t := range h.Txns {
		if !t.Committed {
			continue
		}
		for _, op := range t.Ops {
			switch {
			case op.Write:
			case op.Prefix != "":
				for _, k := range sortedKeysOf(op.Observed) {
					from := op.Observed[k]
					add(Edge{From: from, To: t.ID, Kind: WR, Key: k})
					if n, ok := next(k, from); ok {
						add(Edge{From: t.ID, To: n, Kind: RW, Key: op.Prefix + "*"})
					}
				}
				// Keys matching the predicate that the scan did not see: any
				// writer of them is an anti-dependency (a phantom).
				for _, k := range sortedKeysOf(order) {
					if _, saw := op.Observed[k]; saw || !strings.HasPrefix(k, op.Prefix) {
						continue
					}
					for _, wtr := range order[k] {
						if wtr != InitialTxn {
							add(Edge{From: t.ID, To: wtr, Kind: RW, Key: op.Prefix + "*"})
						}
					}
				}
			default:
				if op.From != "" {
					add(Edge{From: op.From, To: t.ID, Kind: WR, Key: op.Key})
				}
				if n, ok := next(op.Key, op.From); ok {
					add(Edge{From: t.ID, To: n, Kind: RW, Key: op.Key})
				}
			}
		}
	}
	return g
}

// CheckTxns finds the anomalies of h: G1a and G1b from the reads, and
// G0, G1c, G-single and G2 from cycles of its dependency graph, each
// cycle reported once, by its most specific kind.
func CheckTxns(h TxnHistory) []Anomaly {
	var out []Anomaly
	byID := map[string]Txn{}
	for _, t := range h.Txns {
		byID[t.ID] = t
	}
	for _, t := range h.Txns {
		if !t.Committed {
			continue
		}
		for _, op := range t.Ops {
			if op.Write || op.Prefix != "" || op.From == "" || op.From == InitialTxn || op.From == t.ID {
				continue
			}
			w, known := byID[op.From]
			switch {
			case known && !w.Committed:
				out = append(out, Anomaly{Kind: "G1a", Txns: []string{op.From, t.ID},
					Note: fmt.Sprintf("%s read %s=%s written by %s, which aborted", t.ID, op.Key, op.Value, op.From)})
			case known && op.FromIndex < writesOf(w, op.Key)-1:
				out = append(out, Anomaly{Kind: "G1b", Txns: []string{op.From, t.ID},
					Note: fmt.Sprintf("%s read %s=%s, an intermediate write of %s", t.ID, op.Key, op.Value, op.From)})
			}
		}
	}
	g := DependencyGraph(h)
	seen := map[string]bool{}
	report := func(kind string, cycle []Edge) {
		ids := make([]string, len(cycle))
		for i, e := range cycle {
			ids[i] = e.From
		}
		key := strings.Join(sortedSet(setOf(ids)), ",")
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, Anomaly{Kind: kind, Txns: ids, Cycle: cycle})
	}
	only := func(kinds ...EdgeKind) func(Edge) bool {
		return func(e Edge) bool { return slices.Contains(kinds, e.Kind) }
	}
	// Most specific first: a cycle of ww edges, then ww+wr, then one rw,
	// then any.
	for _, e := range g.Edges {
		if e.Kind == WW {
			if path := g.path(e.To, e.From, only(WW)); path != nil {
				report("G0", append([]Edge{e}, path...))
			}
		}
	}
	for _, e := range g.Edges {
		if e.Kind != RW {
			if path := g.path(e.To, e.From, only(WW, WR)); path != nil {
				report("G1c", append([]Edge{e}, path...))
			}
		}
	}
	for _, e := range g.Edges {
		if e.Kind == RW {
			if path := g.path(e.To, e.From, only(WW, WR)); path != nil {
				report("G-single", append([]Edge{e}, path...))
			}
		}
	}
	for _, e := range g.Edges {
		if e.Kind == RW {
			if path := g.path(e.To, e.From, func(Edge) bool { return true }); path != nil {
				report("G2", append([]Edge{e}, path...))
			}
		}
	}
	return out
}

// path is a shortest path of edges allowed by ok from a to b (nil if
// none; empty if a == b).
func (g *Graph) path(a, b string, ok func(Edge) bool) []Edge {
	if a == b {
		return []Edge{}
	}
	prev := map[string]Edge{}
	visited := map[string]bool{a: true}
	queue := []string{a}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range g.out[n] {
			if !ok(e) || visited[e.To] {
				continue
			}
			visited[e.To] = true
			prev[e.To] = e
			if e.To == b {
				var p []Edge
				for at := b; at != a; at = prev[at].From {
					p = append(p, prev[at])
				}
				slices.Reverse(p)
				return p
			}
			queue = append(queue, e.To)
		}
	}
	return nil
}

func writesOf(t Txn, key string) int {
	n := 0
	for _, op := range t.Ops {
		if op.Write && op.Key == key {
			n++
		}
	}
	return n
}

func setOf(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
