// Package paxos is your single-decree Paxos: one process playing
// proposer, acceptor and learner (Paxos Made Simple §2). Fill in the TODOs;
// README.md says what the grader checks. paxos_test.go runs it.
//
// The one rule: react to one event at a time, touch the world only through
// env (Send, SetTimer, Disk, Rand, Logf). No goroutines, no time.Now, no
// global rand, no decisions by map order.
package paxos

import (
	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/sim"
)

// Node is one Paxos process.
type Node struct {
	cfg paxos.Config
	id  sim.NodeID

	// Acceptor state: must survive crashes. Write it to env.Disk() and
	// env.Disk().Sync() before you send a Promise or an Accepted.
	promised       Ballot // never decreases; accepting b promises b too
	acceptedBallot Ballot
	acceptedValue  string

	// Learner state: a value is chosen once a majority accepted it at the
	// same ballot.
	chosen      bool
	chosenValue string

	// Proposer state.
	value  string
	ballot Ballot
	phase  paxos.Phase
	rounds int
	// TODO: promises received in this round, acceptances seen per ballot...
}

// New returns a node. The grader calls it at every boot of every node.
func New(cfg paxos.Config) paxos.Implementation { return &Node{cfg: cfg} }

// Start boots the node, and boots it again after a crash.
func (n *Node) Start(env sim.Env) {
	n.id = env.ID()
	// TODO: read the acceptor's state (and what was learned) back from env.Disk().
}

// Receive handles one message, or a timer this node set.
func (n *Node) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Prepare:
		// TODO: promise if m.Ballot is above every ballot promised; reply
		// with what you accepted. Persist and sync first.
		_ = m
	case Promise:
		// TODO: with a majority of promises, propose the value accepted at
		// the highest ballot among them, or your own if none (P2c).
	case Accept:
		// TODO: accept unless it breaks your promise; accepting raises the
		// promise. Tell every learner (Accepted to every member).
	case Accepted:
		// TODO: count acceptors per ballot; a majority at one ballot means
		// chosen.
	case Nack:
		// TODO: give up this round; retry later with a higher ballot.
	case retryTick:
		// TODO
	}
}

// Propose asks this node to get value chosen. It returns at once.
func (n *Node) Propose(env sim.Env, value string) {
	n.value = value
	env.Logf("asked to propose %q", value)
	// TODO: start phase 1 with a ballot above every one seen.
}

// Status reports the node's state to the grader, which checks after every
// event that promises never go down, that an accept raises the promise, and
// that a learner learns only what a majority accepted at one ballot.
func (n *Node) Status() paxos.Status {
	return paxos.Status{
		ID: n.id, Promised: n.promised, AcceptedBallot: n.acceptedBallot, AcceptedValue: n.acceptedValue,
		Chosen: n.chosen, ChosenValue: n.chosenValue, Phase: n.phase, Ballot: n.ballot, Rounds: n.rounds,
	}
}
