package raft

import (
	"encoding/json"
	"fmt"

	"github.com/dsimlab/dsim/sim"
)

// PrimeTerm writes to a fresh disk the persistent state of a node that has
// lived through the terms up to term and kept no log: a story can then start
// mid-history ("n1 leads term 3") without replaying the terms before it.
// Call it between World.AddNode and the first step. It refuses a disk that
// already holds Raft state, rather than overwrite it.
func PrimeTerm(d sim.Disk, term uint64) error {
	if len(d.Keys()) > 0 {
		return fmt.Errorf("raft: prime term %d: disk already holds %d keys", term, len(d.Keys()))
	}
	b, err := json.Marshal(meta{Term: term})
	if err != nil {
		return err
	}
	d.Put(metaKey, b)
	d.Sync()
	return nil
}

// PrimeLog writes to a fresh disk the persistent state of a node that
// reached term, voted for votedFor ("" for no one) in it, and holds entries
// (indexes from 1, terms never decreasing, none above term): a story can
// start from a situation of the paper, such as Figure 8's, without
// replaying how the cluster got there. It refuses a disk that already holds
// Raft state, and entries that could not be a Raft log.
func PrimeLog(d sim.Disk, term uint64, votedFor sim.NodeID, entries ...Entry) error {
	if len(d.Keys()) > 0 {
		return fmt.Errorf("raft: prime log: disk already holds %d keys", len(d.Keys()))
	}
	var last uint64
	for i, e := range entries {
		switch {
		case e.Index != uint64(i+1):
			return fmt.Errorf("raft: prime log: entry %d has index %d; indexes count from 1 without gaps", i+1, e.Index)
		case e.Term < last || e.Term > term || e.Term == 0:
			return fmt.Errorf("raft: prime log: entry %d has term %d; terms run from 1 to the node's term %d and never decrease", e.Index, e.Term, term)
		}
		last = e.Term
	}
	b, err := json.Marshal(meta{Term: term, VotedFor: votedFor})
	if err != nil {
		return err
	}
	d.Put(metaKey, b)
	for i := range entries {
		d.Put(entryKey(entries[i].Index), encodeEntry(&entries[i]))
	}
	d.Sync()
	return nil
}
