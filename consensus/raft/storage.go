package raft

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dsimlab/dsim/sim"
)

// What a node keeps on its Disk. Figure 2's persistent state is currentTerm,
// votedFor and log[]; compaction (§7) adds the snapshot. The layout never
// rewrites the whole log:
//
//	meta                         {"term":4,"votedFor":"n2"}  (JSON)
//	snapshot                     lastIncludedIndex, lastIncludedTerm (8 bytes each, big endian), then the state
//	log/00000000000000000042     one key per entry: term (8 bytes), kind (1 byte: 0 no-op, 1 command), command
//
// Appending an entry is one Put; truncating a suffix deletes its keys. Keys
// sort by index because the index is zero-padded. The snapshot record names
// its own index and term, so the boundary is known even if a crash hit
// between writing the snapshot and deleting the entries it covers: entries at
// or below it are ignored when loading.
const (
	metaKey     = "meta"
	snapshotKey = "snapshot"
	logPrefix   = "log/"
)

// ErrCorruptDisk is wrapped by errors from loading a disk that this package
// did not write.
var ErrCorruptDisk = errors.New("raft: corrupt disk")

// entryKey is "log/" and the index in 20 digits, zero-padded.
func entryKey(i uint64) string {
	var b [len(logPrefix) + 20]byte
	copy(b[:], logPrefix)
	for k := len(b) - 1; k >= len(logPrefix); k-- {
		b[k] = byte('0' + i%10)
		i /= 10
	}
	return string(b[:])
}

type meta struct {
	Term     uint64     `json:"term"`
	VotedFor sim.NodeID `json:"votedFor,omitempty"`
}

const (
	kindNoop    byte = 0
	kindCommand byte = 1
)

func encodeEntry(e *Entry) []byte {
	b := make([]byte, 9+len(e.Command))
	binary.BigEndian.PutUint64(b, e.Term)
	if !e.Noop {
		b[8] = kindCommand
		copy(b[9:], e.Command)
	}
	return b
}

func decodeEntry(index uint64, b []byte) (Entry, error) {
	if len(b) < 9 || b[8] > kindCommand {
		return Entry{}, fmt.Errorf("%w: entry %d: %d bytes is no entry record", ErrCorruptDisk, index, len(b))
	}
	e := Entry{Index: index, Term: binary.BigEndian.Uint64(b)}
	switch {
	case b[8] == kindCommand && len(b) > 9:
		e.Command = b[9:]
	case b[8] == kindCommand:
		// An empty command: Noop, not a nil Command, tells it from a no-op.
	default:
		e.Noop = true
	}
	return e, nil
}

func encodeSnapshot(index, term uint64, data []byte) []byte {
	b := make([]byte, 16+len(data))
	binary.BigEndian.PutUint64(b, index)
	binary.BigEndian.PutUint64(b[8:], term)
	copy(b[16:], data)
	return b
}

// persistent is what loadState recovers.
type persistent struct {
	meta
	log      raftLog
	snapshot []byte // state machine snapshot at log.snapIndex (nil if none)
}

// loadState reads a node's disk. An empty disk is a fresh node.
func loadState(d sim.Disk) (persistent, error) {
	var p persistent
	if b, ok := d.Get(metaKey); ok {
		if err := json.Unmarshal(b, &p.meta); err != nil {
			return p, fmt.Errorf("%w: meta: %w", ErrCorruptDisk, err)
		}
	}
	if b, ok := d.Get(snapshotKey); ok {
		if len(b) < 16 {
			return p, fmt.Errorf("%w: snapshot record is %d bytes", ErrCorruptDisk, len(b))
		}
		p.log.snapIndex = binary.BigEndian.Uint64(b)
		p.log.snapTerm = binary.BigEndian.Uint64(b[8:])
		p.snapshot = b[16:]
	}
	for _, k := range d.Keys() {
		if !strings.HasPrefix(k, logPrefix) {
			continue
		}
		i, err := strconv.ParseUint(k[len(logPrefix):], 10, 64)
		if err != nil {
			return p, fmt.Errorf("%w: key %q: %w", ErrCorruptDisk, k, err)
		}
		if i <= p.log.snapIndex {
			continue // covered by the snapshot; a crash came before their deletion
		}
		if i != p.log.lastIndex()+1 {
			return p, fmt.Errorf("%w: log jumps from %d to %d", ErrCorruptDisk, p.log.lastIndex(), i)
		}
		b, _ := d.Get(k)
		e, err := decodeEntry(i, b)
		if err != nil {
			return p, err
		}
		if e.Term < p.log.lastTerm() {
			return p, fmt.Errorf("%w: entry %d has term %d after term %d", ErrCorruptDisk, i, e.Term, p.log.lastTerm())
		}
		p.log.append(e)
	}
	return p, nil
}
