package paxos

import (
	"slices"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/sim"
)

// Fingerprint digests the node's state for the explorer (check/explore),
// role by role as Paxos Made Simple describes it. Left out: the
// configuration and the members, which never change in a run, and the
// proposer's timer id, a name the world gives the timer (the explorer
// digests the timers themselves); whether the timer is set is in.
func (n *Node) Fingerprint() uint64 {
	h := explore.NewHasher()
	ballot := func(b Ballot) { h.U64(b.Round); h.Str(string(b.Node)) }

	// Acceptor: what it promised and what it accepted.
	ballot(n.promised)
	ballot(n.acceptedBallot)
	h.Str(n.acceptedValue)

	// Learner: the Accepted messages counted, per ballot, and the value
	// chosen.
	ballots := make([]Ballot, 0, len(n.acceptedBy))
	for b := range n.acceptedBy {
		ballots = append(ballots, b)
	}
	slices.SortFunc(ballots, compareBallots)
	h.U64(uint64(len(ballots)))
	for _, b := range ballots {
		ballot(b)
		h.Str(n.ballotValue[b])
		by := make([]sim.NodeID, 0, len(n.acceptedBy[b]))
		for id, ok := range n.acceptedBy[b] {
			if ok {
				by = append(by, id)
			}
		}
		slices.Sort(by)
		h.U64(uint64(len(by)))
		for _, id := range by {
			h.Str(string(id))
		}
	}
	h.U64(uint64(len(n.ballotValue)))
	h.Bool(n.chosen)
	h.Str(n.chosenValue)

	// Proposer: its value, phase and ballot, the promises it collected,
	// and its backoff.
	h.Str(n.value)
	h.U64(uint64(n.phase))
	ballot(n.ballot)
	h.U64(n.maxRound)
	h.U64(uint64(len(n.promises)))
	for _, id := range sortedKeys(n.promises) {
		p := n.promises[id]
		h.Str(string(id))
		ballot(p.Ballot)
		ballot(p.AcceptedBallot)
		h.Str(p.AcceptedValue)
	}
	h.Bool(n.promises == nil)
	h.Int(int64(n.attempt))
	h.Int(int64(n.lastWait))
	h.Int(int64(n.rounds))
	h.Bool(n.hasTimer)
	return h.Sum()
}

func compareBallots(a, b Ballot) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

var _ explore.Fingerprinter = (*Node)(nil)
