package multipaxos

import (
	"slices"
	"time"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/sim"
)

// Roles change here and nowhere else.

// becomeFollower: wait for a leader's heartbeats; if none come within a
// random election timeout, try to lead.
func (n *Node) becomeFollower(env sim.Env, leader sim.NodeID) {
	if n.role != Follower {
		env.Logf("%s -> follower (leader %q, promised %v)", n.role, leader, n.promised)
	}
	n.role = Follower
	n.leader = leader
	n.promises, n.acceptedBy = nil, nil
	n.resetElectionTimer(env)
}

// becomeCandidate is phase 1 for every undecided slot at once: a ballot
// above every one seen, promised to ourselves first, then asked of the
// others.
func (n *Node) becomeCandidate(env sim.Env) {
	n.role = Candidate
	n.leader = ""
	n.maxRound++
	n.ballot = paxos.Ballot{Round: n.maxRound, Node: n.id}
	n.promised = n.ballot
	n.persistPromise(env)
	first := n.decided + 1
	n.promises = map[sim.NodeID]Promise{n.id: {Ballot: n.ballot, Entries: n.entriesFrom(first)}}
	env.Logf("no leader heard: phase 1 with ballot %v for every slot from %d", n.ballot, first)
	for _, p := range n.peers {
		env.Send(p, Prepare{Ballot: n.ballot, FirstUndecided: first})
	}
	n.resetElectionTimer(env) // try again with a higher ballot if this one stalls
	n.maybeLead(env)
}

// onPromise collects phase 1b answers for our ballot.
func (n *Node) onPromise(env sim.Env, from sim.NodeID, m Promise) {
	if n.role != Candidate || m.Ballot != n.ballot {
		return
	}
	n.promises[from] = m
	n.maybeLead(env)
}

// maybeLead becomes leader once a majority promised: for every slot from
// our first undecided one to the highest any promise mentions, the value
// is the decided one if anyone knows it, else the one accepted at the
// highest ballot (P2c, slot by slot), else a no-op to fill the gap. Each
// is proposed again with our ballot; new commands go after them, with no
// phase 1 at all.
func (n *Node) maybeLead(env sim.Env) {
	if len(n.promises) < n.quorum() {
		return
	}
	type pick struct {
		ballot  paxos.Ballot
		value   []byte
		decided bool
	}
	picks := map[uint64]pick{}
	last := n.decided
	for _, id := range sortedIDs(n.promises) {
		for _, e := range n.promises[id].Entries {
			last = max(last, e.Slot)
			p, ok := picks[e.Slot]
			switch {
			case p.decided:
			case e.Decided:
				picks[e.Slot] = pick{value: e.Value, decided: true}
			case n.bugs.ignoreAccepted:
				// the bug: what was accepted is not carried over
			case !ok || p.ballot.Less(e.Ballot):
				picks[e.Slot] = pick{ballot: e.Ballot, value: e.Value}
			}
		}
	}
	n.role = Leader
	n.leader = n.id
	n.promises = nil
	n.acceptedBy = map[uint64]map[sim.NodeID]bool{}
	n.nextSlot = last + 1
	n.epoch++ // stop the election timer
	reproposed, noops, learned := 0, 0, 0
	for s := n.decided + 1; s <= last; s++ {
		p, ok := picks[s]
		switch {
		case p.decided:
			n.decide(env, s, p.value)
			learned++
			continue
		case !ok:
			noops++
		default:
			reproposed++
		}
		n.proposeAt(env, s, p.value)
	}
	env.Logf("leader with ballot %v: a majority promised; slots %d..%d: %d decided elsewhere, %d re-proposed, %d gaps filled with no-ops",
		n.ballot, n.decided+1, last, learned, reproposed, noops)
	n.applyDecided(env)
	n.sendHeartbeats(env)
}

// onNack: someone promised a higher ballot than ours. Step down; the
// election timer will bring us back if nobody leads.
func (n *Node) onNack(env sim.Env, from sim.NodeID, m Nack) {
	if n.role == Follower || m.Ballot != n.ballot || !n.ballot.Less(m.Promised) {
		return
	}
	env.Logf("pre-empted: %s promised %v, above our %v", from, m.Promised, n.ballot)
	n.becomeFollower(env, "")
}

// sendHeartbeats tells followers we are alive and how far the decided
// prefix reaches, and resends the Accepts not yet answered (messages may
// be lost).
func (n *Node) sendHeartbeats(env sim.Env) {
	for _, p := range n.peers {
		env.Send(p, Heartbeat{Ballot: n.ballot, Decided: n.decided})
	}
	resent := 0
	for s := n.decided + 1; s < n.nextSlot && resent < n.cfg.MaxLearnBatch; s++ {
		e, ok := n.log[s]
		if !ok || e.Decided || e.Ballot != n.ballot {
			continue
		}
		resent++
		for _, p := range n.peers {
			if !n.acceptedBy[s][p] {
				env.Send(p, Accept{Ballot: n.ballot, Slot: s, Value: e.Value})
			}
		}
	}
	n.epoch++
	env.SetTimer(n.cfg.HeartbeatInterval, heartbeatTick{Epoch: n.epoch})
}

// onHeartbeat: a leader at or above our promise is alive; follow it.
func (n *Node) onHeartbeat(env sim.Env, from sim.NodeID, m Heartbeat) {
	if m.Ballot.Less(n.promised) {
		env.Send(from, Nack{Ballot: m.Ballot, Promised: n.promised})
		return
	}
	n.follow(env, m.Ballot)
	env.Send(from, HeartbeatReply{Ballot: m.Ballot, Decided: n.decided})
}

// onHeartbeatReply: send a lagging follower the decisions it lacks.
func (n *Node) onHeartbeatReply(env sim.Env, from sim.NodeID, m HeartbeatReply) {
	if n.role != Leader || m.Ballot != n.ballot || m.Decided >= n.decided {
		return
	}
	var ds []Decision
	for s := m.Decided + 1; s <= n.decided && len(ds) < n.cfg.MaxLearnBatch; s++ {
		ds = append(ds, Decision{Slot: s, Value: n.log[s].Value})
	}
	env.Send(from, Learn{Decisions: ds})
}

// follow accepts b as the current leader's ballot: raise the promise if it
// is higher, step down if we were trying to lead with a lower one, and wait
// another election timeout before suspecting the leader.
func (n *Node) follow(env sim.Env, b paxos.Ballot) {
	if n.promised.Less(b) {
		n.promised = b
		n.persistPromise(env)
	}
	if n.role != Follower && n.ballot != b {
		n.becomeFollower(env, b.Node)
		return
	}
	if n.role == Follower {
		n.leader = b.Node
		n.resetElectionTimer(env)
	}
}

func (n *Node) resetElectionTimer(env sim.Env) {
	n.epoch++
	et := n.cfg.ElectionTimeout
	d := et + time.Duration(env.Rand().Int64N(int64(et)))
	env.SetTimer(d, electionTick{Epoch: n.epoch})
}

func sortedIDs[V any](m map[sim.NodeID]V) []sim.NodeID {
	ids := make([]sim.NodeID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
