package sim

import (
	"slices"
	"sort"
)

// Disk is a node's durable key/value store: what survives a crash.
//
// Put and Delete take effect at once for Get. They are durable once Sync
// returns; whether unsynced writes survive a crash depends on the runtime
// (in the simulator, on Config.LoseUnsyncedWrites). A protocol that must not
// forget something it promised, such as a Raft vote, calls Sync before it
// answers. (The live runtime, network/tcp, keeps that promise with group
// commit: it fsyncs once per batch of events and holds back every message
// sent after a Sync until then, so no one hears of a write before it is
// durable.)
//
// Values are copied in and out: changing a slice after Put, or the one Get
// returned, never changes what is stored.
type Disk interface {
	Get(key string) (value []byte, ok bool)
	Put(key string, value []byte)
	Delete(key string)
	// Keys lists every stored key, sorted.
	Keys() []string
	// Sync makes every earlier Put and Delete durable.
	Sync()
}

// LostWritesKey is the key a runtime puts on a Disk that lost writes it had
// already synced: a live node whose damaged log was salvaged (dsim node
// --salvage, see package network/tcp) keeps only what came before the
// damage. Its value says what happened, for people.
//
// A protocol that made promises from its disk (a Raft vote, an entry it
// acknowledged) may have broken them, and must not make new ones until its
// peers have brought it up to date; it deletes the key once they have. A
// protocol that ignores the key is as unsafe after a salvage as it would be
// with its disk wiped.
const LostWritesKey = "sim.lost-writes"

// MemDisk is the simulator's Disk. The zero value is not usable; use
// NewMemDisk.
//
// Writes go straight into the map; each write not yet synced also leaves an
// undo record, so a crash that loses unsynced writes can roll them back,
// newest first. Sync only forgets the undo records: durability costs
// nothing here, which keeps a protocol that syncs on every message fast.
type MemDisk struct {
	data map[string][]byte
	// undo holds, oldest first, what each unsynced write replaced; only
	// kept when a crash can lose unsynced writes (trackUnsynced).
	undo          []undoRecord
	trackUnsynced bool
	syncs         int
}

type undoRecord struct {
	key     string
	old     []byte
	existed bool
}

// NewMemDisk returns an empty in-memory Disk whose unsynced writes can be
// lost at a crash (see Config.LoseUnsyncedWrites).
func NewMemDisk() *MemDisk {
	return &MemDisk{data: map[string][]byte{}, trackUnsynced: true}
}

func (d *MemDisk) Get(key string) ([]byte, bool) {
	v, ok := d.data[key]
	if !ok {
		return nil, false
	}
	return slices.Clone(v), true
}

func (d *MemDisk) Put(key string, value []byte) {
	v := make([]byte, len(value))
	copy(v, value)
	d.remember(key)
	d.data[key] = v
}

func (d *MemDisk) Delete(key string) {
	if d.trackUnsynced {
		if _, ok := d.data[key]; !ok {
			return
		}
		d.remember(key)
	}
	delete(d.data, key)
}

func (d *MemDisk) remember(key string) {
	if !d.trackUnsynced {
		return
	}
	old, existed := d.data[key]
	d.undo = append(d.undo, undoRecord{key: key, old: old, existed: existed})
}

func (d *MemDisk) Keys() []string {
	keys := make([]string, 0, len(d.data))
	for k := range d.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Each calls f with every key and its value, in no particular order: for
// tools that digest a whole disk (the explorer) without sorting its keys.
// f must not modify the disk or keep value.
func (d *MemDisk) Each(f func(key string, value []byte)) {
	for k, v := range d.data {
		f(k, v)
	}
}

func (d *MemDisk) Sync() {
	d.syncs++
	clear(d.undo)
	d.undo = d.undo[:0]
}

// Syncs reports how many times Sync was called.
func (d *MemDisk) Syncs() int { return d.syncs }

// crash applies a crash to the disk: unsynced writes survive, or are rolled
// back. It reports how many writes were lost.
func (d *MemDisk) crash(loseUnsynced bool) (lost int) {
	lost = len(d.undo)
	if loseUnsynced {
		for i := len(d.undo) - 1; i >= 0; i-- {
			u := d.undo[i]
			if u.existed {
				d.data[u.key] = u.old
			} else {
				delete(d.data, u.key)
			}
		}
	} else {
		lost = 0
	}
	clear(d.undo)
	d.undo = d.undo[:0]
	return lost
}
