package paxos

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Phase is where a node's proposer stands.
type Phase int

const (
	// Idle: not proposing (never asked to, or its value's fate is known).
	Idle Phase = iota
	// Preparing: phase 1, Prepare sent, collecting Promises.
	Preparing
	// Accepting: phase 2, Accept sent, waiting for the value to be chosen.
	Accepting
	// BackingOff: pre-empted, waiting before the next round.
	BackingOff
)

func (p Phase) String() string {
	switch p {
	case Idle:
		return "idle"
	case Preparing:
		return "preparing"
	case Accepting:
		return "accepting"
	case BackingOff:
		return "backing-off"
	}
	return fmt.Sprintf("Phase(%d)", int(p))
}

// Status is what a node shows tools and checkers: its acceptor's durable
// state, its learner's knowledge and its proposer's progress.
type Status struct {
	ID sim.NodeID
	// Acceptor: Promised never decreases, and AcceptedBallot <= Promised.
	Promised       Ballot
	AcceptedBallot Ballot // zero: nothing accepted
	AcceptedValue  string
	// Learner: Chosen is set once this node saw a majority accept one
	// ballot; ChosenValue never changes after that.
	Chosen      bool
	ChosenValue string
	// Proposer.
	Phase  Phase
	Ballot Ballot // the proposer's current (or last) ballot
	Rounds int    // rounds this proposer started since it booted
}

// Implementation is what the Paxos suite (scenarios/paxos/paxossuite)
// grades: ours, or a student's single-decree Paxos.
type Implementation interface {
	sim.Node
	// Propose asks this node to get value chosen. It returns at once; the
	// value chosen may be another proposer's.
	Propose(env sim.Env, value string)
	Status() Status
}

// Node is one Paxos process playing all three roles of Paxos Made Simple
// (§2.1 lets one process play several): proposer, acceptor and learner.
type Node struct {
	cfg     Config
	id      sim.NodeID
	members []sim.NodeID // acceptors and learners, sorted; includes id
	bugs    testingKnobs

	// Acceptor state, on Disk and synced before any message that depends
	// on it leaves (see persist). Invariants: promised never decreases;
	// acceptedBallot <= promised; acceptedValue belongs to acceptedBallot.
	promised       Ballot
	acceptedBallot Ballot
	acceptedValue  string

	// Learner state. acceptedBy counts, per ballot, the acceptors that
	// said Accepted for it (a value belongs to exactly one ballot, so
	// counting ballots counts values). chosen never changes once set.
	acceptedBy  map[Ballot]map[sim.NodeID]bool
	ballotValue map[Ballot]string
	chosen      bool
	chosenValue string

	// Proposer state, lost at a crash: a restarted proposer starts over.
	value    string // the value this proposer wants chosen
	phase    Phase
	ballot   Ballot // current ballot; rounds are never reused (maxRound)
	maxRound uint64 // the highest round seen in any ballot, so the next is above it
	promises map[sim.NodeID]Promise
	attempt  int           // pre-emptions in a row, for the backoff
	lastWait time.Duration // the previous backoff wait
	rounds   int
	timer    sim.TimerID
	hasTimer bool
}

// New returns a Node. It panics on a Config that Validate rejects: a
// programming error, found at once.
func New(cfg Config) *Node {
	if err := cfg.Validate(); err != nil {
		panic(err.Error())
	}
	return &Node{cfg: cfg}
}

// Start boots the node: read the acceptor's state (and what the learner
// knew) back from Disk.
func (n *Node) Start(env sim.Env) {
	n.id = env.ID()
	n.members = slices.Clone(n.cfg.Members)
	if len(n.members) == 0 {
		n.members = append(slices.Clone(env.Peers()), n.id)
	}
	slices.Sort(n.members)
	n.acceptedBy = map[Ballot]map[sim.NodeID]bool{}
	n.ballotValue = map[Ballot]string{}
	n.load(env)
	n.maxRound = max(n.promised.Round, n.acceptedBallot.Round)
	if !n.promised.IsZero() || n.chosen {
		env.Logf("recovered: promised %v, accepted %v %q, chosen %v %q",
			n.promised, n.acceptedBallot, n.acceptedValue, n.chosen, n.chosenValue)
	}
}

// Receive dispatches one message to the role that handles it.
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
		n.seen(m.Ballot)
		n.onAccepted(env, from, m)
	case Nack:
		n.seen(m.Promised)
		n.onNack(env, from, m)
	case retryTick:
		n.onRetryTick(env, m)
	default:
		env.Logf("paxos: ignoring unexpected %T from %s", msg, from)
	}
}

// seen remembers the highest round in any ballot, so this node's next
// ballot is above every ballot it has heard of.
func (n *Node) seen(b Ballot) { n.maxRound = max(n.maxRound, b.Round) }

// quorum is a majority of the acceptors: any two majorities share an
// acceptor, which is the whole trick.
func (n *Node) quorum() int { return len(n.members)/2 + 1 }

func (n *Node) broadcast(env sim.Env, msg sim.Message) {
	for _, m := range n.members {
		env.Send(m, msg)
	}
}

// Status returns the node's state for tools and checkers.
func (n *Node) Status() Status {
	return Status{
		ID:       n.id,
		Promised: n.promised, AcceptedBallot: n.acceptedBallot, AcceptedValue: n.acceptedValue,
		Chosen: n.chosen, ChosenValue: n.chosenValue,
		Phase: n.phase, Ballot: n.ballot, Rounds: n.rounds,
	}
}

// Inspect describes the node for the TUI and traces.
func (n *Node) Inspect() map[string]string {
	out := map[string]string{
		"role":     "proposer/acceptor/learner",
		"promised": n.promised.String(),
		"accepted": n.acceptedBallot.String() + " " + strconv.Quote(n.acceptedValue),
		"phase":    n.phase.String(),
		"ballot":   n.ballot.String(),
		"rounds":   strconv.Itoa(n.rounds),
	}
	if n.chosen {
		out["chosen"] = strconv.Quote(n.chosenValue)
	} else {
		out["chosen"] = "-"
	}
	return out
}

var (
	_ Implementation = (*Node)(nil)
	_ sim.Inspector  = (*Node)(nil)
)
