// Package multipaxos is your Multi-Paxos replica: it orders the commands of
// a replicated key/value store (rsm.Server runs dsim's KV store on it, with
// client sessions). Fill in the TODOs; README.md says what is graded.
//
// The one rule: react to one event at a time, touch the world only through
// env. No goroutines, no time.Now, no global rand, no decisions by map order.
package multipaxos

import (
	"github.com/dsimlab/dsim/consensus/paxos/multipaxos"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
)

// Replica is one Multi-Paxos server.
type Replica struct {
	cfg multipaxos.Config // election timeout, heartbeat interval
	app rsm.Applier       // decided commands go here, in slot order, once each
	id  sim.NodeID

	// Acceptor state (on env.Disk(), synced before you answer): one
	// promise for all slots, and what was accepted in each slot.
	promised Ballot
	slots    map[uint64]*SlotState

	// decided: every slot 1..decided is decided and applied.
	decided uint64

	// TODO: leader state: the ballot you lead with, the next free slot,
	// who accepted what; follower state: the leader, the election timer.
}

// New returns a replica; the grader calls it at every boot.
func New(cfg multipaxos.Config, app rsm.Applier) rsm.Replica {
	return &Replica{cfg: cfg, app: app}
}

// Start boots the replica, and boots it again after a crash.
func (r *Replica) Start(env sim.Env) {
	r.id = env.ID()
	r.slots = map[uint64]*SlotState{}
	env.Logf("booted")
	// TODO: load the acceptor's state, apply the decided prefix again (the
	// Applier is new after a restart), arm the election timer.
}

// Receive handles one message, or a timer.
func (r *Replica) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch msg.(type) {
	case Prepare, Promise, Accept, Accepted, Nack, Heartbeat, Learn, electionTick, heartbeatTick:
		// TODO: one handler per message, as in the paper.
	}
}

// Propose puts cmd in the next free slot if this replica leads, and
// returns the slot; otherwise ok=false and its guess at the leader.
func (r *Replica) Propose(env sim.Env, cmd []byte) (index uint64, ok bool, leader sim.NodeID) {
	// TODO
	return 0, false, ""
}
