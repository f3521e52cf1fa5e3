package kv

import (
	"fmt"
	"math/rand/v2"

	"github.com/dsimlab/dsim/consensus/rsm"
)

// WorkloadConfig shapes a random workload.
type WorkloadConfig struct {
	// Client makes written values unique across clients: "c1:7" is the
	// seventh operation of the workload named c1.
	Client string
	// Ops is how many operations to generate.
	Ops int
	// Keys is how many keys ("k0", "k1", ...) to draw from; few keys make
	// operations collide, which is what tests want. Zero means 3.
	Keys int
	// Weights of each kind of operation; all zero means equal weights.
	Get, Put, Append, CAS int
	// ReadBack makes the client read a key right after every write to it.
	// Linearizability checking has to try every order of the writes between
	// two reads of a key; reading back bounds how many there can be, so
	// porcupine's search stays small however long the run (without it, a
	// rare long run of appends to one key made the checker time out on
	// about one seed in a hundred).
	ReadBack bool
	// KeyLife, if set, retires the keys every KeyLife operations: the
	// client's operations n*KeyLife+1 to (n+1)*KeyLife use k0.n, k1.n, ...
	// (generation 0 keeps the plain names k0, k1). Clients run at about the
	// same pace, so they still meet on the same keys; but an append-heavy
	// workload's values stop growing without bound, and with them every
	// read's answer, the checker's states and the time to apply a write. A
	// long run then costs time and memory in proportion to its length.
	KeyLife int
}

// Workload generates random operations for an rsm.Client. Each written
// value is unique, so a history shows which write a read saw, and a CAS
// expects the value this client last saw for its key, so that some swaps
// succeed.
type Workload struct {
	cfg   WorkloadConfig
	rand  *rand.Rand
	n     int
	total int
	// readBack is the key to read next, after a write to it (ReadBack).
	readBack string
	// seen is the last value this client read or wrote per key.
	seen map[string]string
}

// NewWorkload returns a workload drawing from r. Pass a stream of its own
// (rand.New(rand.NewPCG(seed, n))): the workload is outside any node, so
// it must not share a node's Env.Rand.
func NewWorkload(r *rand.Rand, cfg WorkloadConfig) (*Workload, error) {
	if cfg.Keys == 0 {
		cfg.Keys = 3
	}
	if cfg.Get == 0 && cfg.Put == 0 && cfg.Append == 0 && cfg.CAS == 0 {
		cfg.Get, cfg.Put, cfg.Append, cfg.CAS = 1, 1, 1, 1
	}
	switch {
	case r == nil:
		return nil, fmt.Errorf("kv: NewWorkload needs a *rand.Rand")
	case cfg.Ops < 0 || cfg.Keys < 0 || cfg.KeyLife < 0 || cfg.Get < 0 || cfg.Put < 0 || cfg.Append < 0 || cfg.CAS < 0:
		return nil, fmt.Errorf("kv: WorkloadConfig has a negative count or weight: %+v", cfg)
	}
	return &Workload{cfg: cfg, rand: r, total: cfg.Get + cfg.Put + cfg.Append + cfg.CAS, seen: map[string]string{}}, nil
}

// Next returns the next operation, ready for an rsm.Client.
func (w *Workload) Next() (rsm.Op, bool) {
	if w.n >= w.cfg.Ops {
		return rsm.Op{}, false
	}
	w.n++
	var op Op
	if w.readBack != "" {
		op, w.readBack = Get(w.readBack), ""
	} else {
		op = w.draw()
		if w.cfg.ReadBack && op.Kind != KindGet {
			w.readBack = op.Key
		}
	}
	return rsm.Op{
		Cmd:   op.Encode(),
		Input: op.Input(),
		Output: func(result []byte) any {
			out := OutputOf(result)
			w.observe(op, result)
			return out
		},
	}, true
}

func (w *Workload) draw() Op {
	key := fmt.Sprintf("k%d", w.rand.IntN(w.cfg.Keys))
	if w.cfg.KeyLife > 0 {
		if gen := (w.n - 1) / w.cfg.KeyLife; gen > 0 {
			key = fmt.Sprintf("%s.%d", key, gen)
		}
	}
	value := fmt.Sprintf("%s:%d", w.cfg.Client, w.n)
	pick := w.rand.IntN(w.total)
	switch {
	case pick < w.cfg.Get:
		return Get(key)
	case pick < w.cfg.Get+w.cfg.Put:
		return Put(key, value)
	case pick < w.cfg.Get+w.cfg.Put+w.cfg.Append:
		return Append(key, value+";")
	}
	return CompareAndSet(key, w.seen[key], value)
}

// observe remembers what an answer revealed about a key.
func (w *Workload) observe(op Op, result []byte) {
	r, err := DecodeResult(result)
	if err != nil || r.Err != "" {
		return
	}
	switch op.Kind {
	case KindGet:
		w.seen[op.Key] = r.Value
	case KindPut:
		w.seen[op.Key] = op.Value
	case KindCAS:
		if r.OK {
			w.seen[op.Key] = op.Value
		} else {
			w.seen[op.Key] = r.Value
		}
	case KindAppend:
		delete(w.seen, op.Key) // we no longer know the whole value
	}
}

var _ rsm.Workload = (*Workload)(nil)
var _ rsm.StateMachine = (*Store)(nil)
