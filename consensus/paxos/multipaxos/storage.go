package multipaxos

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/dsimlab/dsim/sim"
)

// What a node keeps on its Disk:
//
//	promised                     {"Round":3,"Node":"n2"}      (JSON)
//	slot/00000000000000000042    {"Index":42,"Ballot":...,"Value":"...","Decided":true}
//
// One Put per changed slot; keys sort by slot because the index is
// zero-padded. Every write is synced before the message that depends on it
// is sent. There are no snapshots: the log grows for ever, and a restarted
// node applies it again from slot 1.
const (
	promisedKey = "promised"
	slotPrefix  = "slot/"
)

func slotKey(s uint64) string {
	d := strconv.FormatUint(s, 10)
	return slotPrefix + strings.Repeat("0", 20-len(d)) + d
}

func (n *Node) persistPromise(env sim.Env) {
	b, err := json.Marshal(n.promised)
	if err != nil {
		panic("multipaxos: encoding promise: " + err.Error())
	}
	env.Disk().Put(promisedKey, b)
	env.Disk().Sync()
}

func (n *Node) persistSlot(env sim.Env, e *Slot) {
	b, err := json.Marshal(e)
	if err != nil {
		panic("multipaxos: encoding slot: " + err.Error())
	}
	env.Disk().Put(slotKey(e.Index), b)
	env.Disk().Sync()
}

// load reads what persistPromise and persistSlot wrote. A disk this
// package did not write is a broken invariant of the world: it panics.
func (n *Node) load(env sim.Env) {
	d := env.Disk()
	if b, ok := d.Get(promisedKey); ok {
		if err := json.Unmarshal(b, &n.promised); err != nil {
			panic("multipaxos: corrupt promise on disk: " + err.Error())
		}
	}
	for _, k := range d.Keys() {
		if !strings.HasPrefix(k, slotPrefix) {
			continue
		}
		b, _ := d.Get(k)
		var e Slot
		if err := json.Unmarshal(b, &e); err != nil {
			panic("multipaxos: corrupt slot on disk: " + err.Error())
		}
		n.log[e.Index] = &e
		n.maxSlot = max(n.maxSlot, e.Index)
	}
}
