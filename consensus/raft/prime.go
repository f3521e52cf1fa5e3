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
