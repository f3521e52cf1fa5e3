package raft

import (
	"errors"
	"fmt"

	"github.com/dsimlab/dsim/sim"
)

// ErrSnapshotIndex is wrapped by Snapshot's error for an index it cannot
// compact at.
var ErrSnapshotIndex = errors.New("raft: no snapshot at that index")

// Snapshot is the service telling Raft that data is a snapshot of its state
// after applying every entry up to index, so Raft may drop those entries
// (6.5840's Snapshot(index, snapshot)). Raft keeps data, sends it to
// followers that fall behind, and hands it back to the Applier's Restore
// after a restart. With Config.SnapshotThreshold 0 this is the only way a
// node compacts; otherwise Raft also compacts on its own.
//
// The service may call it from Apply (env is the one Apply got). index must
// be applied already and above the current snapshot.
func (n *Node) Snapshot(env sim.Env, index uint64, data []byte) error {
	if index <= n.snapIndex || index > n.lastApplied || index <= n.log.prevIndex {
		return fmt.Errorf("%w: %d is not between the snapshot at %d (exclusive) and the last applied entry %d",
			ErrSnapshotIndex, index, n.snapIndex, n.lastApplied)
	}
	term := n.log.term(index)
	n.saveSnapshot(env, index, term, append([]byte(nil), data...))
	keep := uint64(n.cfg.SnapshotTrailingEntries)
	if index > keep && index-keep > n.log.prevIndex {
		n.compactLog(env, index-keep)
	}
	env.Logf("snapshot at %d/%d from the service (%d bytes), log kept from %d", index, term, len(data), n.log.prevIndex+1)
	return nil
}
