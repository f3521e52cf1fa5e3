package eventstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Event is one fact of a stream. Version is its position in the stream,
// from 1; it never changes.
type Event struct {
	Stream  string
	Version int64
	Type    string
	Data    string
	// Command is the id of the command that produced the event, so a
	// retried command can be recognised.
	Command string
	At      time.Time
}

// Snapshot is a stream's state as of a version, encoded by the caller.
type Snapshot struct {
	Version int64
	State   string
}

// ErrConflict is returned by Append when the stream is not at the version
// the caller expected: someone else appended in between.
var ErrConflict = errors.New("eventstore: stream moved on")

// Store is the event store on a disk. It holds no state of its own beyond
// the disk, so a restarted node opens the same store again.
type Store struct{ disk sim.Disk }

// Open returns the store kept on disk.
func Open(disk sim.Disk) *Store { return &Store{disk: disk} }

func eventKey(stream string, v int64) string { return fmt.Sprintf("es/%s/%010d", stream, v) }

// Version is the stream's last version (0 for a stream with no events).
func (s *Store) Version(stream string) int64 {
	v, ok := s.disk.Get("esv/" + stream)
	if !ok {
		return 0
	}
	var n int64
	fmt.Sscan(string(v), &n)
	return n
}

// Append adds events to stream if it is at expected; they get versions
// expected+1, expected+2, ... It does not sync.
func (s *Store) Append(stream string, expected int64, events ...Event) ([]Event, error) {
	if cur := s.Version(stream); cur != expected {
		return nil, fmt.Errorf("%w: %s is at version %d, not %d", ErrConflict, stream, cur, expected)
	}
	out := make([]Event, len(events))
	for i, e := range events {
		e.Stream, e.Version = stream, expected+int64(i)+1
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("eventstore: encoding %s: %w", e.Type, err)
		}
		s.disk.Put(eventKey(stream, e.Version), b)
		out[i] = e
	}
	s.disk.Put("esv/"+stream, fmt.Appendf(nil, "%d", expected+int64(len(events))))
	return out, nil
}

// Sync makes every append so far durable.
func (s *Store) Sync() { s.disk.Sync() }

// Load returns the events of stream after version from, in order.
func (s *Store) Load(stream string, from int64) ([]Event, error) {
	var out []Event
	last := s.Version(stream)
	for v := from + 1; v <= last; v++ {
		b, ok := s.disk.Get(eventKey(stream, v))
		if !ok {
			return nil, fmt.Errorf("eventstore: %s has no event %d of %d", stream, v, last)
		}
		var e Event
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("eventstore: decoding %s v%d: %w", stream, v, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Streams lists the streams with events, sorted.
func (s *Store) Streams() []string {
	var out []string
	for _, k := range s.disk.Keys() {
		if name, ok := strings.CutPrefix(k, "esv/"); ok {
			out = append(out, name)
		}
	}
	return out
}

// SaveSnapshot stores a stream's state as of a version (unsynced).
func (s *Store) SaveSnapshot(stream string, snap Snapshot) {
	b, _ := json.Marshal(snap)
	s.disk.Put("snap/"+stream, b)
}

// LoadSnapshot returns the stream's latest snapshot, if any.
func (s *Store) LoadSnapshot(stream string) (Snapshot, bool) {
	b, ok := s.disk.Get("snap/" + stream)
	if !ok {
		return Snapshot{}, false
	}
	var snap Snapshot
	if json.Unmarshal(b, &snap) != nil {
		return Snapshot{}, false
	}
	return snap, true
}

// Replay folds events into state, in order.
func Replay[S any](state S, events []Event, apply func(S, Event) S) S {
	for _, e := range events {
		state = apply(state, e)
	}
	return state
}

// ReplayUntil folds the events that happened at or before t: the state as
// of t.
func ReplayUntil[S any](state S, events []Event, t time.Time, apply func(S, Event) S) S {
	for _, e := range events {
		if e.At.After(t) {
			break
		}
		state = apply(state, e)
	}
	return state
}
