package mvcc

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dsimlab/dsim/check"
)

// Level is an isolation level.
type Level int

// The four SQL isolation levels, weakest first.
const (
	ReadUncommitted Level = iota
	ReadCommitted
	RepeatableRead // snapshot isolation
	Serializable   // strict two-phase locking
)

// Levels lists the levels, weakest first.
var Levels = []Level{ReadUncommitted, ReadCommitted, RepeatableRead, Serializable}

func (l Level) String() string {
	switch l {
	case ReadUncommitted:
		return "read uncommitted"
	case ReadCommitted:
		return "read committed"
	case RepeatableRead:
		return "repeatable read (snapshot)"
	case Serializable:
		return "serializable (2PL)"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// Errors an operation can return. After ErrSerialization or ErrDeadlock
// the transaction has been aborted.
var (
	ErrSerialization = errors.New("could not serialize access due to a concurrent update")
	ErrDeadlock      = errors.New("deadlock: aborted to break a cycle of waits")
	ErrNotActive     = errors.New("transaction is not active")
)

// Blocked is returned by an operation that must wait for a lock held by
// another transaction.
type Blocked struct{ By string }

func (b *Blocked) Error() string { return "waiting for a lock held by " + b.By }

type version struct {
	writer    string
	index     int // the writer's index-th write of the key, from 0
	value     string
	committed bool
	commitSeq int64
}

type txnState int

const (
	active txnState = iota
	committed
	aborted
)

type txn struct {
	id       string
	level    Level
	snapshot int64 // the last commit visible to a snapshot (RepeatableRead)
	state    txnState
	writes   map[string]int // key -> writes so far
	ops      []check.TxnOp
	shared   map[string]bool // keys read-locked (Serializable)
	prefixes map[string]bool // prefixes predicate-locked (Serializable)
}

// Store is the transactional store. Invariants: a key's versions are in
// install order, committed ones in commit order, and only the holder of
// the key's exclusive lock can have an uncommitted version (the last).
type Store struct {
	versions  map[string][]*version
	txns      map[string]*txn
	finished  []string // ids in commit or abort order
	commitSeq int64
	exclusive map[string]string // key -> holder
	waitsFor  map[string]string // blocked txn -> holder
	next      int
}

// New returns an empty store.
func New() *Store {
	return &Store{versions: map[string][]*version{}, txns: map[string]*txn{}, exclusive: map[string]string{}, waitsFor: map[string]string{}}
}

// Load sets a key's initial committed value, written by check.InitialTxn.
func (s *Store) Load(key, value string) {
	s.versions[key] = append(s.versions[key], &version{writer: check.InitialTxn, value: value, committed: true})
}

// Begin starts a transaction at level and returns its id (T1, T2, ...).
func (s *Store) Begin(level Level) string {
	s.next++
	id := fmt.Sprintf("T%d", s.next)
	s.txns[id] = &txn{id: id, level: level, snapshot: s.commitSeq, writes: map[string]int{}, shared: map[string]bool{}, prefixes: map[string]bool{}}
	return id
}

func (s *Store) active(id string) (*txn, error) {
	t, ok := s.txns[id]
	if !ok || t.state != active {
		return nil, fmt.Errorf("%s: %w", id, ErrNotActive)
	}
	return t, nil
}

// visible is the version of key t reads, or nil.
func (s *Store) visible(t *txn, key string) *version {
	vs := s.versions[key]
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		switch {
		case v.writer == t.id:
			return v // its own write
		case t.level == ReadUncommitted:
			return v
		case !v.committed:
			continue
		case t.level == RepeatableRead && v.commitSeq > t.snapshot:
			continue
		default:
			return v
		}
	}
	return nil
}

// block records that t waits for holder, and aborts t instead if that
// wait would close a cycle.
func (s *Store) block(t *txn, holder string) error {
	for at := holder; at != ""; at = s.waitsFor[at] {
		if at == t.id {
			s.Abort(t.id)
			return fmt.Errorf("%s waiting for %s: %w", t.id, holder, ErrDeadlock)
		}
	}
	s.waitsFor[t.id] = holder
	return &Blocked{By: holder}
}

// conflicts returns a transaction other than t holding a lock that keeps
// t from taking the lock it asks for, or "".
func (s *Store) conflicts(t *txn, key, prefix string, exclusive bool) string {
	if h, ok := s.exclusive[key]; ok && key != "" && h != t.id {
		return h
	}
	if prefix != "" {
		for _, k := range slices.Sorted(maps.Keys(s.exclusive)) {
			if h := s.exclusive[k]; h != t.id && strings.HasPrefix(k, prefix) {
				return h
			}
		}
	}
	if !exclusive {
		return ""
	}
	for _, id := range slices.Sorted(maps.Keys(s.txns)) {
		o := s.txns[id]
		if o.id == t.id || o.state != active {
			continue
		}
		if o.shared[key] {
			return o.id
		}
		for p := range o.prefixes {
			if strings.HasPrefix(key, p) {
				return o.id
			}
		}
	}
	return ""
}

// Read returns the value of key t sees.
func (s *Store) Read(id, key string) (string, bool, error) {
	t, err := s.active(id)
	if err != nil {
		return "", false, err
	}
	if t.level == Serializable && !t.shared[key] {
		if h := s.conflicts(t, key, "", false); h != "" {
			return "", false, s.block(t, h)
		}
		t.shared[key] = true
	}
	delete(s.waitsFor, id)
	op := check.TxnOp{Key: key}
	v := s.visible(t, key)
	if v != nil {
		op.From, op.FromIndex, op.Value = v.writer, v.index, v.value
	}
	t.ops = append(t.ops, op)
	if v == nil {
		return "", false, nil
	}
	return v.value, true, nil
}

// Scan returns every key starting with prefix that t sees, with its value.
func (s *Store) Scan(id, prefix string) (map[string]string, error) {
	t, err := s.active(id)
	if err != nil {
		return nil, err
	}
	if t.level == Serializable && !t.prefixes[prefix] {
		if h := s.conflicts(t, "", prefix, false); h != "" {
			return nil, s.block(t, h)
		}
		t.prefixes[prefix] = true
	}
	delete(s.waitsFor, id)
	out := map[string]string{}
	op := check.TxnOp{Prefix: prefix, Observed: map[string]string{}}
	for _, k := range slices.Sorted(maps.Keys(s.versions)) {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if v := s.visible(t, k); v != nil {
			out[k] = v.value
			op.Observed[k] = v.writer
		}
	}
	t.ops = append(t.ops, op)
	return out, nil
}

// Write sets key to value in t.
func (s *Store) Write(id, key, value string) error {
	t, err := s.active(id)
	if err != nil {
		return err
	}
	if t.level == RepeatableRead {
		for _, v := range s.versions[key] {
			if v.committed && v.commitSeq > t.snapshot {
				s.Abort(id)
				return fmt.Errorf("%s writing %s, changed by %s since its snapshot: %w", id, key, v.writer, ErrSerialization)
			}
		}
	}
	if h := s.conflicts(t, key, "", true); h != "" {
		return s.block(t, h)
	}
	delete(s.waitsFor, id)
	s.exclusive[key] = id
	s.versions[key] = append(s.versions[key], &version{writer: id, index: t.writes[key], value: value})
	t.writes[key]++
	t.ops = append(t.ops, check.TxnOp{Write: true, Key: key, Value: value})
	return nil
}

// Commit makes t's writes visible and releases its locks.
func (s *Store) Commit(id string) error {
	t, err := s.active(id)
	if err != nil {
		return err
	}
	s.commitSeq++
	for _, k := range slices.Sorted(maps.Keys(t.writes)) {
		for _, v := range s.versions[k] {
			if v.writer == id {
				v.committed, v.commitSeq = true, s.commitSeq
			}
		}
	}
	t.state = committed
	s.release(t)
	return nil
}

// Abort throws t's writes away and releases its locks. Aborting a
// finished transaction does nothing.
func (s *Store) Abort(id string) {
	t, ok := s.txns[id]
	if !ok || t.state != active {
		return
	}
	for k := range t.writes {
		s.versions[k] = slices.DeleteFunc(s.versions[k], func(v *version) bool { return v.writer == id })
		if len(s.versions[k]) == 0 {
			delete(s.versions, k)
		}
	}
	t.state = aborted
	s.release(t)
}

func (s *Store) release(t *txn) {
	for k, h := range s.exclusive {
		if h == t.id {
			delete(s.exclusive, k)
		}
	}
	t.shared, t.prefixes = map[string]bool{}, map[string]bool{}
	delete(s.waitsFor, t.id)
	s.finished = append(s.finished, t.id)
}

// Committed is key's newest committed value.
func (s *Store) Committed(key string) (string, bool) {
	vs := s.versions[key]
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].committed {
			return vs[i].value, true
		}
	}
	return "", false
}

// History is what every finished transaction did, committed ones in
// commit order, for check.CheckTxns.
func (s *Store) History() check.TxnHistory {
	var h check.TxnHistory
	for _, id := range s.finished {
		t := s.txns[id]
		h.Txns = append(h.Txns, check.Txn{ID: id, Committed: t.state == committed, Ops: slices.Clone(t.ops)})
	}
	return h
}

// Ops returns what transaction id has done so far.
func (s *Store) Ops(id string) []check.TxnOp {
	if t, ok := s.txns[id]; ok {
		return slices.Clone(t.ops)
	}
	return nil
}

// Locks describes the locks held: "x: X by T3", "y: S by T1 T2",
// "emp/*: predicate by T1", sorted.
func (s *Store) Locks() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(s.exclusive)) {
		out = append(out, fmt.Sprintf("%s: X by %s", k, s.exclusive[k]))
	}
	shared, preds := map[string][]string{}, map[string][]string{}
	for _, id := range slices.Sorted(maps.Keys(s.txns)) {
		t := s.txns[id]
		for k := range t.shared {
			shared[k] = append(shared[k], id)
		}
		for p := range t.prefixes {
			preds[p] = append(preds[p], id)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(shared)) {
		out = append(out, fmt.Sprintf("%s: S by %s", k, strings.Join(shared[k], " ")))
	}
	for _, p := range slices.Sorted(maps.Keys(preds)) {
		out = append(out, fmt.Sprintf("%s*: predicate by %s", p, strings.Join(preds[p], " ")))
	}
	return out
}

// Versions describes key's versions: "T0=100 T3=110 T5=120(uncommitted)".
func (s *Store) Versions(key string) string {
	var parts []string
	for _, v := range s.versions[key] {
		p := v.writer + "=" + v.value
		if !v.committed {
			p += "(uncommitted)"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// Keys lists every key with a version, sorted.
func (s *Store) Keys() []string { return slices.Sorted(maps.Keys(s.versions)) }
