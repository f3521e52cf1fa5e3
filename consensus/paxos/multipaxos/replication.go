package multipaxos

import (
	"bytes"
	"fmt"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/sim"
)

// Propose puts cmd in the next free slot if this node leads: phase 2 only,
// since the leader's promises cover every slot. ok=true means only that the
// Accepts went out; the command is decided once a majority accepts it, and
// applied when every slot before it is decided too.
func (n *Node) Propose(env sim.Env, cmd []byte) (uint64, bool, sim.NodeID) {
	if n.role != Leader {
		return 0, false, n.leader
	}
	s := n.nextSlot
	n.nextSlot++
	n.proposeAt(env, s, cmd)
	n.applyDecided(env)
	return s, true, n.id
}

// proposeAt is phase 2a for slot s: accept it ourselves, then ask the others.
func (n *Node) proposeAt(env sim.Env, s uint64, value []byte) {
	n.acceptedBy[s] = map[sim.NodeID]bool{}
	n.accept(env, s, n.ballot, value)
	n.acceptedBy[s][n.id] = true
	for _, p := range n.peers {
		env.Send(p, Accept{Ballot: n.ballot, Slot: s, Value: value})
	}
	n.maybeDecide(env, s)
}

// onPrepare is phase 1b for every slot from m.FirstUndecided on.
func (n *Node) onPrepare(env sim.Env, from sim.NodeID, m Prepare) {
	if m.Ballot.Less(n.promised) {
		env.Send(from, Nack{Ballot: m.Ballot, Promised: n.promised})
		return
	}
	if n.promised.Less(m.Ballot) {
		n.promised = m.Ballot
		n.persistPromise(env)
		if n.role != Follower {
			n.becomeFollower(env, "")
		} else {
			n.resetElectionTimer(env) // give the candidate time to win
		}
	}
	env.Send(from, Promise{Ballot: m.Ballot, Entries: n.entriesFrom(m.FirstUndecided)})
}

// entriesFrom is what a Promise reports: every slot from first on that
// holds an accepted proposal or a decision.
func (n *Node) entriesFrom(first uint64) []SlotState {
	var out []SlotState
	for s := max(first, 1); s <= n.maxSlot; s++ {
		if e, ok := n.log[s]; ok && (e.Decided || !e.Ballot.IsZero()) {
			out = append(out, SlotState{Slot: s, Ballot: e.Ballot, Value: e.Value, Decided: e.Decided})
		}
	}
	return out
}

// onAccept is phase 2b: accept unless it would break our promise.
func (n *Node) onAccept(env sim.Env, from sim.NodeID, m Accept) {
	if m.Ballot.Less(n.promised) {
		env.Send(from, Nack{Ballot: m.Ballot, Promised: n.promised})
		return
	}
	n.follow(env, m.Ballot)
	if e, ok := n.log[m.Slot]; !ok || !e.Decided {
		n.accept(env, m.Slot, m.Ballot, m.Value)
	}
	env.Send(from, Accepted{Ballot: m.Ballot, Slot: m.Slot})
}

// accept records an acceptance durably before anyone hears of it.
func (n *Node) accept(env sim.Env, s uint64, b paxos.Ballot, value []byte) {
	if b.Less(n.promised) {
		panic(fmt.Sprintf("multipaxos: %s: accepting %v at slot %d below promise %v", n.id, b, s, n.promised))
	}
	e := n.slot(s)
	e.Ballot, e.Value = b, value
	n.persistSlot(env, e)
	n.journal = append(n.journal, Acceptance{Slot: s, Ballot: b, Value: value})
}

// onAccepted: the leader counts acceptances of its ballot, slot by slot.
func (n *Node) onAccepted(env sim.Env, from sim.NodeID, m Accepted) {
	if n.role != Leader || m.Ballot != n.ballot || n.acceptedBy[m.Slot] == nil {
		return
	}
	n.acceptedBy[m.Slot][from] = true
	n.maybeDecide(env, m.Slot)
	n.applyDecided(env)
}

func (n *Node) maybeDecide(env sim.Env, s uint64) {
	if len(n.acceptedBy[s]) < n.quorum() && !n.bugs.decideWithOne {
		return
	}
	delete(n.acceptedBy, s)
	n.decide(env, s, n.log[s].Value)
}

// onLearn: decisions from the leader that we missed.
func (n *Node) onLearn(env sim.Env, m Learn) {
	for _, d := range m.Decisions {
		n.decide(env, d.Slot, d.Value)
	}
	n.applyDecided(env)
}

// decide marks slot s chosen with value. A slot is decided once; a second,
// different decision would mean Paxos is broken.
func (n *Node) decide(env sim.Env, s uint64, value []byte) {
	e := n.slot(s)
	if e.Decided {
		if !bytes.Equal(e.Value, value) {
			panic(fmt.Sprintf("multipaxos: %s: slot %d decided twice: %q then %q", n.id, s, e.Value, value))
		}
		return
	}
	e.Decided, e.Value = true, value
	n.persistSlot(env, e)
}

// applyDecided hands the decided prefix to the Applier, in slot order.
func (n *Node) applyDecided(env sim.Env) {
	for {
		e, ok := n.log[n.decided+1]
		if !ok || !e.Decided {
			return
		}
		n.decided++
		if n.app != nil {
			n.app.Apply(env, n.decided, e.Value)
		}
	}
}
