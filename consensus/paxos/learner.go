package paxos

import "github.com/dsimlab/dsim/sim"

// The learner (Paxos Made Simple §2.3): every acceptor tells every learner
// what it accepted, and a learner knows a value is chosen once a majority of
// acceptors accepted it at the same ballot.

func (n *Node) onAccepted(env sim.Env, from sim.NodeID, m Accepted) {
	if !n.isMember(from) {
		return
	}
	if n.acceptedBy[m.Ballot] == nil {
		n.acceptedBy[m.Ballot] = map[sim.NodeID]bool{}
		n.ballotValue[m.Ballot] = m.Value
	}
	n.acceptedBy[m.Ballot][from] = true
	if n.chosen || len(n.acceptedBy[m.Ballot]) < n.quorum() {
		return
	}
	n.chosen, n.chosenValue = true, m.Value
	n.persist(env)
	env.Logf("learned %q: a majority (%d of %d) accepted it at ballot %v", m.Value, n.quorum(), len(n.members), m.Ballot)
	n.stopProposing(env)
}

func (n *Node) isMember(id sim.NodeID) bool {
	for _, m := range n.members {
		if m == id {
			return true
		}
	}
	return false
}
