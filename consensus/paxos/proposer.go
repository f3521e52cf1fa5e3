package paxos

import (
	"cmp"
	"slices"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// The proposer (Paxos Made Simple §2.2): phase 1 finds out whether a value
// may already have been chosen, phase 2 proposes it (or, if none, our own).

// Propose asks this node to get value chosen. If the node already knows the
// chosen value it only logs it: the decision is made once and for all.
func (n *Node) Propose(env sim.Env, value string) {
	if n.chosen {
		env.Logf("not proposing %q: %q is already chosen", value, n.chosenValue)
		return
	}
	n.value = value
	n.attempt, n.lastWait = 0, 0
	n.startRound(env)
}

// startRound is phase 1a: pick a ballot above every ballot seen and send
// Prepare to every acceptor.
func (n *Node) startRound(env sim.Env) {
	n.maxRound++
	n.ballot = Ballot{Round: n.maxRound, Node: n.id}
	n.phase = Preparing
	n.promises = map[sim.NodeID]Promise{}
	n.rounds++
	env.Logf("phase 1: Prepare %v (round %d of this proposer)", n.ballot, n.rounds)
	n.broadcast(env, Prepare{Ballot: n.ballot})
	n.setTimer(env, n.cfg.retryTimeout())
}

// onPromise is the proposer's half of phase 1: with promises from a
// majority, propose the value of the highest-ballot proposal any of them
// accepted (P2c), or our own value if none accepted anything.
func (n *Node) onPromise(env sim.Env, from sim.NodeID, m Promise) {
	if n.phase != Preparing || m.Ballot != n.ballot || !n.isMember(from) {
		return // an answer to an older round
	}
	n.promises[from] = m
	if len(n.promises) < n.quorum() {
		return
	}
	value, from2 := n.value, Ballot{}
	if !n.bugs.ignoreAcceptedValues {
		for _, id := range sortedKeys(n.promises) {
			if p := n.promises[id]; from2.Less(p.AcceptedBallot) {
				value, from2 = p.AcceptedValue, p.AcceptedBallot
			}
		}
	}
	n.phase = Accepting
	if from2.IsZero() {
		env.Logf("phase 2: a majority promised %v and none accepted anything: Accept %v %q (our own value)", n.ballot, n.ballot, value)
	} else {
		env.Logf("phase 2: a majority promised %v; the highest proposal they accepted is %v %q: Accept %v %q", n.ballot, from2, value, n.ballot, value)
	}
	n.broadcast(env, Accept{Ballot: n.ballot, Value: value})
}

// onNack: our ballot was pre-empted by a higher one. Start a new round above
// it, at once or after a random wait: two proposers that both retry at once
// can pre-empt each other forever.
func (n *Node) onNack(env sim.Env, from sim.NodeID, m Nack) {
	if m.Ballot != n.ballot || (n.phase != Preparing && n.phase != Accepting) {
		return // about an older round, or already handled
	}
	env.Logf("pre-empted: %s has promised %v, above our %v", from, m.Promised, n.ballot)
	n.retry(env)
}

// retry starts the next round after the backoff, if there is one.
func (n *Node) retry(env sim.Env) {
	if n.cfg.Backoff.Base == 0 {
		n.startRound(env)
		return
	}
	wait := n.cfg.Backoff.Next(n.attempt, n.lastWait, env.Rand())
	n.attempt++
	n.lastWait = wait
	n.phase = BackingOff
	env.Logf("backing off %s before the next round", sim.FormatTime(wait))
	n.setTimer(env, wait)
}

// onRetryTick: the backoff is over, or the round timed out (lost messages,
// or too few acceptors up).
func (n *Node) onRetryTick(env sim.Env, m retryTick) {
	if m.Ballot != n.ballot || n.phase == Idle || n.chosen {
		return
	}
	n.hasTimer = false
	if n.phase == BackingOff {
		n.startRound(env)
		return
	}
	env.Logf("round %v timed out", n.ballot)
	n.retry(env)
}

// stopProposing: the learner saw a value chosen, so there is nothing left
// to propose.
func (n *Node) stopProposing(env sim.Env) {
	if n.phase == Idle {
		return
	}
	n.phase = Idle
	if n.hasTimer {
		env.CancelTimer(n.timer)
		n.hasTimer = false
	}
	if n.value != n.chosenValue {
		env.Logf("our value %q lost to %q", n.value, n.chosenValue)
	}
}

func (n *Node) setTimer(env sim.Env, d time.Duration) {
	if n.hasTimer {
		env.CancelTimer(n.timer)
	}
	n.timer = env.SetTimer(d, retryTick{Ballot: n.ballot})
	n.hasTimer = true
}

func sortedKeys[V any](m map[sim.NodeID]V) []sim.NodeID {
	keys := make([]sim.NodeID, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b sim.NodeID) int { return cmp.Compare(a, b) })
	return keys
}
