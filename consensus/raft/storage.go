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
// rewrites the whole log, and never puts a whole snapshot in one value:
//
//	meta                         {"term":4,"votedFor":"n2"}  (JSON)
//	snap                         the snapshot's header: lastIncludedIndex, lastIncludedTerm, size (8 bytes each, big endian), flags (1 byte)
//	snap/<index>/<offset>        the snapshot's bytes, in pieces of at most a chunk, keyed by their offset
//	snap.incoming                a snapshot being received (Figure 13): index, term, bytes stored so far
//	log/00000000000000000042     one key per entry: term (8 bytes), kind (1 byte: 0 no-op, 1 command), command
//
// Appending an entry is one Put; truncating a suffix deletes its keys. Keys
// sort by index because numbers are zero-padded to 20 digits.
//
// Every change is written so that a crash between two writes (a disk keeps
// a prefix of the writes since the last Sync) leaves something loadState
// understands. A snapshot's pieces are written before its header, and the
// header names its index, so the pieces of any other index are garbage,
// collected at the next Start. Log entries behind the snapshot are deleted
// lowest first, so what survives is contiguous. When an installed snapshot
// replaces a log that does not match it, the header is first written with
// flagDiscardLog, then the entries deleted, then the header written again
// without the flag: a crash in between leaves the flag, and loadState then
// drops whatever entries are left.
const (
	metaKey     = "meta"
	snapKey     = "snap"
	piecePrefix = "snap/"
	incomingKey = "snap.incoming"
	logPrefix   = "log/"
	// legacySnapshotKey held the whole snapshot in one value (index and
	// term, 8 bytes each, then the data) before snapshots were chunked.
	// loadState still reads it.
	legacySnapshotKey = "snapshot"
)

// flagDiscardLog in a snapshot header: the log entries on disk predate the
// snapshot and do not match it.
const flagDiscardLog byte = 1

// ErrCorruptDisk is wrapped by errors from loading a disk that this package
// did not write.
var ErrCorruptDisk = errors.New("raft: corrupt disk")

// entryKey is "log/" and the index in 20 digits, zero-padded.
func entryKey(i uint64) string {
	return string(appendPadded([]byte(logPrefix), i))
}

// pieceDir is the prefix of the pieces of the snapshot at index.
func pieceDir(index uint64) string {
	return string(append(appendPadded([]byte(piecePrefix), index), '/'))
}

// pieceKey names the piece of the snapshot at index that starts at offset.
func pieceKey(index, offset uint64) string {
	return string(appendPadded([]byte(pieceDir(index)), offset))
}

// appendPadded appends i in 20 decimal digits, zero-padded.
func appendPadded(b []byte, i uint64) []byte {
	var d [20]byte
	for k := len(d) - 1; k >= 0; k-- {
		d[k] = byte('0' + i%10)
		i /= 10
	}
	return append(b, d[:]...)
}

// keysWithPrefix lists d's keys that start with prefix, sorted.
func keysWithPrefix(d sim.Disk, prefix string) []string {
	var out []string
	for _, k := range d.Keys() {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
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

// snapHeader is the snap record.
type snapHeader struct {
	index, term, size uint64
	flags             byte
}

func encodeSnapHeader(h snapHeader) []byte {
	b := make([]byte, 25)
	binary.BigEndian.PutUint64(b, h.index)
	binary.BigEndian.PutUint64(b[8:], h.term)
	binary.BigEndian.PutUint64(b[16:], h.size)
	b[24] = h.flags
	return b
}

// incomingSnapshot is a snapshot a follower is receiving in chunks: the
// snap.incoming record. Its pieces are stored under pieceDir(index) as
// they arrive, offset is how many bytes are stored.
type incomingSnapshot struct {
	index, term, offset uint64
}

func encodeIncoming(in incomingSnapshot) []byte {
	b := make([]byte, 24)
	binary.BigEndian.PutUint64(b, in.index)
	binary.BigEndian.PutUint64(b[8:], in.term)
	binary.BigEndian.PutUint64(b[16:], in.offset)
	return b
}

// persistent is what loadState recovers.
type persistent struct {
	meta
	log                 raftLog
	snapIndex, snapTerm uint64
	snapshot            []byte            // state machine snapshot at snapIndex (nil if none)
	incoming            *incomingSnapshot // a partly received snapshot, nil if none
	// garbage lists keys left over by a crash in the middle of a change:
	// Start deletes them, and then, if clearFlags, rewrites the header
	// without flagDiscardLog.
	garbage    []string
	clearFlags bool
}

// loadState reads a node's disk. An empty disk is a fresh node.
func loadState(d sim.Disk) (persistent, error) {
	var p persistent
	if b, ok := d.Get(metaKey); ok {
		if err := json.Unmarshal(b, &p.meta); err != nil {
			return p, fmt.Errorf("%w: meta: %w", ErrCorruptDisk, err)
		}
	}
	keys := d.Keys()
	discardLog := false
	if b, ok := d.Get(snapKey); ok {
		if len(b) != 25 {
			return p, fmt.Errorf("%w: snapshot header is %d bytes, want 25", ErrCorruptDisk, len(b))
		}
		h := snapHeader{index: binary.BigEndian.Uint64(b), term: binary.BigEndian.Uint64(b[8:]),
			size: binary.BigEndian.Uint64(b[16:]), flags: b[24]}
		data, err := readPieces(d, keys, h.index, h.size)
		if err != nil {
			return p, err
		}
		if uint64(len(data)) != h.size {
			return p, fmt.Errorf("%w: snapshot at %d: %d of %d bytes on disk", ErrCorruptDisk, h.index, len(data), h.size)
		}
		p.snapIndex, p.snapTerm, p.snapshot = h.index, h.term, data
		discardLog = h.flags&flagDiscardLog != 0
		p.clearFlags = h.flags != 0
		if _, ok := d.Get(legacySnapshotKey); ok {
			p.garbage = append(p.garbage, legacySnapshotKey)
		}
	} else if b, ok := d.Get(legacySnapshotKey); ok {
		if len(b) < 16 {
			return p, fmt.Errorf("%w: snapshot record is %d bytes", ErrCorruptDisk, len(b))
		}
		p.snapIndex, p.snapTerm = binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
		p.snapshot = b[16:]
	}
	if b, ok := d.Get(incomingKey); ok {
		if len(b) != 24 {
			return p, fmt.Errorf("%w: incoming snapshot record is %d bytes, want 24", ErrCorruptDisk, len(b))
		}
		in := incomingSnapshot{index: binary.BigEndian.Uint64(b), term: binary.BigEndian.Uint64(b[8:]), offset: binary.BigEndian.Uint64(b[16:])}
		if in.index > p.snapIndex {
			// Resume after the pieces that are really there.
			data, err := readPieces(d, keys, in.index, in.offset)
			if err != nil {
				return p, err
			}
			in.offset = min(in.offset, uint64(len(data)))
			p.incoming = &in
		} else {
			p.garbage = append(p.garbage, incomingKey) // installed just before a crash
		}
	}
	// Pieces of any other snapshot are left over from one replaced or
	// abandoned when the node crashed.
	for _, k := range keys {
		if !strings.HasPrefix(k, piecePrefix) {
			continue
		}
		if strings.HasPrefix(k, pieceDir(p.snapIndex)) && p.snapIndex > 0 {
			continue
		}
		if p.incoming != nil && strings.HasPrefix(k, pieceDir(p.incoming.index)) {
			continue
		}
		p.garbage = append(p.garbage, k)
	}
	if err := loadLog(d, keys, &p, discardLog); err != nil {
		return p, err
	}
	return p, nil
}

// readPieces concatenates the pieces of the snapshot at index, in offset
// order, up to want bytes. It stops early at a gap (the pieces of an
// incoming snapshot stop where the transfer stopped).
func readPieces(d sim.Disk, keys []string, index, want uint64) ([]byte, error) {
	dir := pieceDir(index)
	data := make([]byte, 0, min(want, 1<<26)) // want comes from the disk: trust it only so far
	for _, k := range keys {
		if !strings.HasPrefix(k, dir) {
			continue
		}
		off, err := strconv.ParseUint(k[len(dir):], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %w", ErrCorruptDisk, k, err)
		}
		if off != uint64(len(data)) || off >= want {
			break
		}
		b, _ := d.Get(k)
		data = append(data, b...)
	}
	return data, nil
}

// loadLog reads the log entries into p.log. They must be contiguous; the
// first may lie behind the snapshot (the trailing entries) or just after
// it. Entries that do not match the snapshot, or that a flagDiscardLog
// header disowns, are garbage: an install of a snapshot replacing them was
// cut short by a crash.
func loadLog(d sim.Disk, keys []string, p *persistent, discardLog bool) error {
	var ents []Entry
	var entryKeys []string
	for _, k := range keys {
		if !strings.HasPrefix(k, logPrefix) {
			continue
		}
		i, err := strconv.ParseUint(k[len(logPrefix):], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: key %q: %w", ErrCorruptDisk, k, err)
		}
		if len(ents) > 0 && i != ents[len(ents)-1].Index+1 {
			return fmt.Errorf("%w: log jumps from %d to %d", ErrCorruptDisk, ents[len(ents)-1].Index, i)
		}
		b, _ := d.Get(k)
		e, err := decodeEntry(i, b)
		if err != nil {
			return err
		}
		if len(ents) > 0 && e.Term < ents[len(ents)-1].Term {
			return fmt.Errorf("%w: entry %d has term %d after term %d", ErrCorruptDisk, i, e.Term, ents[len(ents)-1].Term)
		}
		ents = append(ents, e)
		entryKeys = append(entryKeys, k)
	}
	p.log = raftLog{prevIndex: p.snapIndex, prevTerm: p.snapTerm}
	if len(ents) == 0 {
		return nil
	}
	first, last := ents[0].Index, ents[len(ents)-1].Index
	if first > p.snapIndex+1 {
		return fmt.Errorf("%w: log starts at %d, after a gap behind the snapshot at %d", ErrCorruptDisk, first, p.snapIndex)
	}
	if p.snapIndex >= first && p.snapIndex <= last && ents[p.snapIndex-first].Term != p.snapTerm {
		discardLog = true // entry snapIndex disagrees with the snapshot
	}
	if p.snapIndex > last {
		discardLog = true // all behind the snapshot, and no boundary to keep
	}
	if discardLog {
		p.garbage = append(p.garbage, entryKeys...)
		return nil
	}
	if first <= p.snapIndex {
		// Trailing entries behind the snapshot. The term before the first
		// is unknown, so the first becomes the boundary.
		p.log = raftLog{prevIndex: first, prevTerm: ents[0].Term}
		ents = ents[1:]
		p.garbage = append(p.garbage, entryKeys[0])
	}
	p.log.entries = ents
	return nil
}
