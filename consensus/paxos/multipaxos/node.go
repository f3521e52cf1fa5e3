package multipaxos

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
)

// Role is what a node is doing in leader election.
type Role int

const (
	// Follower accepts what the leader proposes.
	Follower Role = iota
	// Candidate runs phase 1 for every undecided slot with a new ballot.
	Candidate
	// Leader holds promises from a majority and runs phase 2 only.
	Leader
)

func (r Role) String() string {
	switch r {
	case Follower:
		return "follower"
	case Candidate:
		return "candidate"
	case Leader:
		return "leader"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// Slot is one log position as a node sees it.
type Slot struct {
	Index uint64
	// Ballot and Value are what this node's acceptor accepted here (Ballot
	// zero: nothing). Once Decided, Value is the chosen command.
	Ballot  paxos.Ballot
	Value   []byte
	Decided bool
}

// Acceptance is one Accept this node's acceptor took, for checkers.
type Acceptance struct {
	Slot   uint64
	Ballot paxos.Ballot
	Value  []byte
}

// Status is a node's state for tools and checkers.
type Status struct {
	ID     sim.NodeID
	Role   Role
	Ballot paxos.Ballot // this node's own ballot as candidate or leader (last one used)
	// Promised is the acceptor's promise, for every slot: it never
	// decreases, and nothing below it is ever accepted.
	Promised paxos.Ballot
	Leader   sim.NodeID // best guess, "" if unknown
	// Decided: every slot up to here is decided and applied, in order.
	Decided uint64
	// NextSlot is where a leader puts its next proposal.
	NextSlot uint64
}

// Node is a Multi-Paxos replica: proposer, acceptor and learner for every
// slot of a replicated log, and an rsm.Replica.
type Node struct {
	cfg   Config
	app   rsm.Applier
	bugs  testingKnobs
	id    sim.NodeID
	peers []sim.NodeID

	// Acceptor state, durable (storage.go). promised covers every slot.
	// Invariant: every log[s].Ballot <= promised.
	promised paxos.Ballot
	log      map[uint64]*Slot
	maxSlot  uint64 // the highest slot in log
	// decided: every slot 1..decided is decided and has been applied, in
	// order. Invariant: decided <= maxSlot.
	decided uint64

	role     Role
	ballot   paxos.Ballot // own ballot as candidate or leader
	leader   sim.NodeID
	maxRound uint64
	epoch    uint64 // invalidates old timers

	// Candidate: the promises for ballot so far, own included.
	promises map[sim.NodeID]Promise
	// Leader: where the next proposal goes, and who accepted each
	// undecided slot at ballot (own included).
	nextSlot   uint64
	acceptedBy map[uint64]map[sim.NodeID]bool

	// journal lists every acceptance since this value booted; checkers
	// read it (Acceptances).
	journal []Acceptance
}

// New returns a Node that applies decided commands to app (which may be
// nil). It panics on a Config that Validate rejects.
func New(cfg Config, app rsm.Applier) *Node {
	if err := cfg.Validate(); err != nil {
		panic(err.Error())
	}
	return &Node{cfg: cfg.withDefaults(), app: app}
}

// Start boots the node: load the acceptor's state, apply the decided
// prefix again (the Applier is new after a restart), and start as a
// follower waiting to hear from a leader.
func (n *Node) Start(env sim.Env) {
	n.id = env.ID()
	n.peers = slices.Clone(env.Peers())
	n.log = map[uint64]*Slot{}
	n.load(env)
	n.maxRound = n.promised.Round
	n.applyDecided(env)
	if n.maxSlot > 0 || !n.promised.IsZero() {
		env.Logf("recovered: promised %v, %d slots, decided up to %d", n.promised, n.maxSlot, n.decided)
	}
	n.becomeFollower(env, "")
}

// Receive dispatches one message. Every message carrying a ballot first
// teaches us its round, so our next ballot is above it.
func (n *Node) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Prepare:
		n.seen(m.Ballot)
		n.onPrepare(env, from, m)
	case Promise:
		n.seen(m.Ballot)
		n.onPromise(env, from, m)
	case Accept:
		n.seen(m.Ballot)
		n.onAccept(env, from, m)
	case Accepted:
		n.onAccepted(env, from, m)
	case Nack:
		n.seen(m.Promised)
		n.onNack(env, from, m)
	case Heartbeat:
		n.seen(m.Ballot)
		n.onHeartbeat(env, from, m)
	case HeartbeatReply:
		n.onHeartbeatReply(env, from, m)
	case Learn:
		n.onLearn(env, m)
	case electionTick:
		if m.Epoch == n.epoch && n.role != Leader {
			n.becomeCandidate(env)
		}
	case heartbeatTick:
		if m.Epoch == n.epoch && n.role == Leader {
			n.sendHeartbeats(env)
		}
	default:
		env.Logf("multipaxos: ignoring unexpected %T from %s", msg, from)
	}
}

func (n *Node) seen(b paxos.Ballot) { n.maxRound = max(n.maxRound, b.Round) }

func (n *Node) quorum() int { return (len(n.peers)+1)/2 + 1 }

func (n *Node) slot(s uint64) *Slot {
	e := n.log[s]
	if e == nil {
		e = &Slot{Index: s}
		n.log[s] = e
		n.maxSlot = max(n.maxSlot, s)
	}
	return e
}

// Status returns the node's state.
func (n *Node) Status() Status {
	return Status{ID: n.id, Role: n.role, Ballot: n.ballot, Promised: n.promised,
		Leader: n.leader, Decided: n.decided, NextSlot: n.nextSlot}
}

// Entry returns slot s as this node sees it, and whether it has anything
// there. The Value may alias internal storage: do not modify it.
func (n *Node) Entry(s uint64) (Slot, bool) {
	e, ok := n.log[s]
	if !ok {
		return Slot{}, false
	}
	return *e, true
}

// Log returns every slot this node has something in, in order.
func (n *Node) Log() []Slot {
	out := make([]Slot, 0, len(n.log))
	for s := uint64(1); s <= n.maxSlot; s++ {
		if e, ok := n.log[s]; ok {
			out = append(out, *e)
		}
	}
	return out
}

// Acceptances lists every Accept this node's acceptor took since it last
// booted, in order. Checkers use it; callers must not modify it.
func (n *Node) Acceptances() []Acceptance { return n.journal }

// Inspect describes the node for the TUI and traces.
func (n *Node) Inspect() map[string]string {
	return map[string]string{
		"role":     n.role.String(),
		"ballot":   n.ballot.String(),
		"promised": n.promised.String(),
		"leader":   string(n.leader),
		"decided":  strconv.FormatUint(n.decided, 10),
		"slots":    strconv.FormatUint(n.maxSlot, 10),
	}
}

var (
	_ rsm.Replica   = (*Node)(nil)
	_ sim.Inspector = (*Node)(nil)
)
