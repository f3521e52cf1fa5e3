package paxos

import "github.com/dsimlab/dsim/sim"

// The acceptor (Paxos Made Simple §2.2, P1 and P1a). Its whole state is
// three fields, and it must never forget them: a promise or an acceptance
// it forgot could let two different values be chosen. So it writes them to
// Disk and syncs before it answers.

// onPrepare is phase 1b. A Prepare above every ballot promised so far gets a
// Promise carrying what this acceptor accepted; anything else gets a Nack.
func (n *Node) onPrepare(env sim.Env, from sim.NodeID, m Prepare) {
	switch {
	case m.Ballot == n.promised:
		// A duplicate, or the proposer asking again: same answer.
	case n.promised.Less(m.Ballot):
		broken := n.promised
		n.promised = m.Ballot
		n.persist(env)
		if !broken.IsZero() && broken.Node != m.Ballot.Node {
			// Tell the proposer whose promise we just broke: its round
			// cannot succeed here any more.
			env.Send(broken.Node, Nack{Ballot: broken, Promised: m.Ballot})
		}
	default:
		env.Send(from, Nack{Ballot: m.Ballot, Promised: n.promised})
		return
	}
	env.Send(from, Promise{Ballot: m.Ballot, AcceptedBallot: n.acceptedBallot, AcceptedValue: n.acceptedValue})
}

// onAccept is phase 2b: accept unless that would break a promise (P1a: an
// acceptor can accept a proposal numbered n iff it has not responded to a
// prepare request having a number greater than n).
func (n *Node) onAccept(env sim.Env, from sim.NodeID, m Accept) {
	if m.Ballot.Less(n.promised) {
		env.Send(from, Nack{Ballot: m.Ballot, Promised: n.promised})
		return
	}
	// Accepting ballot b is also a promise for b: nothing below it may be
	// accepted afterwards.
	if !n.bugs.acceptKeepsPromise {
		n.promised = m.Ballot
	}
	n.acceptedBallot, n.acceptedValue = m.Ballot, m.Value
	n.persist(env)
	n.broadcast(env, Accepted{Ballot: m.Ballot, Value: m.Value})
}
