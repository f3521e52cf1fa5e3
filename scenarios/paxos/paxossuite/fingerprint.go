package paxossuite

import (
	"slices"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/sim"
)

// Fingerprint digests what the checker remembers, for the explorer
// (check/explore), which counts it as part of the state: who accepted
// which ballot with what value, what was chosen, and the highest ballot
// each acceptor promised, accepted and learned.
func (s *Safety) Fingerprint() uint64 {
	h := explore.NewHasher()
	ballot := func(b paxos.Ballot) { h.U64(b.Round); h.Str(string(b.Node)) }
	h.Int(int64(s.quorum))
	ballots := make([]paxos.Ballot, 0, len(s.votes))
	for b := range s.votes {
		ballots = append(ballots, b)
	}
	slices.SortFunc(ballots, func(a, b paxos.Ballot) int {
		switch {
		case a.Less(b):
			return -1
		case b.Less(a):
			return 1
		}
		return 0
	})
	h.U64(uint64(len(ballots)))
	for _, b := range ballots {
		ballot(b)
		vs := s.votes[b]
		h.U64(uint64(len(vs)))
		for _, id := range sortedIDs(vs) {
			h.Str(string(id))
			h.Str(vs[id])
		}
	}
	h.Bool(s.chosen)
	h.Str(s.chosenValue)
	ballot(s.chosenBallot)
	for _, m := range []map[sim.NodeID]paxos.Ballot{s.promised, s.accepted} {
		h.U64(uint64(len(m)))
		for _, id := range sortedIDs(m) {
			h.Str(string(id))
			ballot(m[id])
		}
	}
	h.U64(uint64(len(s.learned)))
	for _, id := range sortedIDs(s.learned) {
		h.Str(string(id))
		h.Str(s.learned[id])
	}
	return h.Sum()
}

func sortedIDs[V any](m map[sim.NodeID]V) []sim.NodeID {
	ids := make([]sim.NodeID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

var _ explore.Fingerprinter = (*Safety)(nil)
