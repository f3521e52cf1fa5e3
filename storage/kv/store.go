package kv

import (
	"encoding/json"
	"fmt"
)

// Store is the key/value state machine. It implements rsm.StateMachine.
// The zero value is an empty store.
type Store struct {
	data map[string]string
}

// New returns an empty store.
func New() *Store { return &Store{} }

// Apply executes one encoded operation and returns the encoded result.
func (s *Store) Apply(cmd []byte) []byte {
	op, err := DecodeOp(cmd)
	if err != nil {
		return Result{Err: err.Error()}.Encode()
	}
	return s.Do(op).Encode()
}

// Do executes one operation.
func (s *Store) Do(op Op) Result {
	if s.data == nil {
		s.data = map[string]string{}
	}
	cur := s.data[op.Key]
	switch op.Kind {
	case KindGet:
		return Result{Value: cur, OK: true}
	case KindPut:
		s.data[op.Key] = op.Value
		return Result{OK: true}
	case KindAppend:
		s.data[op.Key] = cur + op.Value
		return Result{OK: true}
	case KindCAS:
		if cur != op.Expected {
			return Result{Value: cur}
		}
		s.data[op.Key] = op.Value
		return Result{Value: cur, OK: true}
	}
	return Result{Err: fmt.Sprintf("unknown operation %q", op.Kind)}
}

// Get reads a key directly, for tests and tools (clients go through Apply).
func (s *Store) Get(key string) (string, bool) {
	v, ok := s.data[key]
	return v, ok
}

// Len is the number of keys.
func (s *Store) Len() int { return len(s.data) }

// Snapshot encodes every key and value as JSON, keys sorted.
func (s *Store) Snapshot() []byte {
	b, err := json.Marshal(s.data)
	if err != nil {
		panic(fmt.Sprintf("kv: encoding a snapshot: %v", err)) // a map of strings always encodes
	}
	return b
}

// Restore replaces the contents with a snapshot.
func (s *Store) Restore(snapshot []byte) error {
	var data map[string]string
	if err := json.Unmarshal(snapshot, &data); err != nil {
		return fmt.Errorf("kv: restoring a snapshot: %w", err)
	}
	s.data = data
	return nil
}
