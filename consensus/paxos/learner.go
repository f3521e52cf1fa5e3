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
	count := len(n.acceptedBy[m.Ballot])
	if n.bugs.countPerValue {
		count = n.acceptorsOfValue(m.Value) // the bug: any ballot counts
	}
	if n.chosen || count < n.quorum() {
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

// acceptorsOfValue counts the acceptors that accepted v at any ballot: what
// the CountsAcceptancesAcrossBallots bug counts instead of one ballot's.
func (n *Node) acceptorsOfValue(v string) int {
	who := map[sim.NodeID]bool{}
	for b, acc := range n.acceptedBy {
		if n.ballotValue[b] == v {
			for id := range acc {
				who[id] = true
			}
		}
	}
	return len(who)
}
