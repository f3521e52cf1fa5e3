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
// answers.
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

// MemDisk is the simulator's Disk. The zero value is not usable; use
// NewMemDisk.
type MemDisk struct {
	synced map[string][]byte
	// dirty holds writes since the last Sync: a nil value is a delete.
	dirty map[string][]byte
	// syncs counts calls to Sync, so tests can see a protocol synced.
	syncs int
}

// NewMemDisk returns an empty in-memory Disk.
func NewMemDisk() *MemDisk {
	return &MemDisk{synced: map[string][]byte{}, dirty: map[string][]byte{}}
}

func (d *MemDisk) Get(key string) ([]byte, bool) {
	if v, ok := d.dirty[key]; ok {
		if v == nil {
			return nil, false
		}
		return slices.Clone(v), true
	}
	v, ok := d.synced[key]
	if !ok {
		return nil, false
	}
	return slices.Clone(v), true
}

func (d *MemDisk) Put(key string, value []byte) {
	v := make([]byte, len(value))
	copy(v, value)
	d.dirty[key] = v
}

func (d *MemDisk) Delete(key string) { d.dirty[key] = nil }

func (d *MemDisk) Keys() []string {
	keys := make([]string, 0, len(d.synced)+len(d.dirty))
	for k := range d.synced {
		if v, ok := d.dirty[k]; ok && v == nil {
			continue
		}
		keys = append(keys, k)
	}
	for k, v := range d.dirty {
		if _, ok := d.synced[k]; !ok && v != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func (d *MemDisk) Sync() {
	d.syncs++
	for k, v := range d.dirty {
		if v == nil {
			delete(d.synced, k)
		} else {
			d.synced[k] = v
		}
	}
	clear(d.dirty)
}

// Syncs reports how many times Sync was called.
func (d *MemDisk) Syncs() int { return d.syncs }

// crash applies a crash to the disk: unsynced writes survive or are lost.
func (d *MemDisk) crash(loseUnsynced bool) (lost int) {
	lost = len(d.dirty)
	if loseUnsynced {
		clear(d.dirty)
		return lost
	}
	d.Sync()
	d.syncs--
	return 0
}
