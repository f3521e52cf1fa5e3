package paxossuite

import (
	"errors"
	"fmt"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/sim"
)

// The safety properties of single-decree Paxos (Paxos Made Simple §2.1),
// checked from the nodes' Status after every step.
var (
	// ErrTwoValuesChosen: majorities accepted two different values (at two
	// ballots). The one thing consensus must never do.
	ErrTwoValuesChosen = errors.New("two different values chosen")
	// ErrChosenValueChanged: a learner changed its mind about the chosen
	// value, or learned a value no majority accepted.
	ErrChosenValueChanged = errors.New("a learned value changed or was never chosen")
	// ErrPromiseBroken: an acceptor accepted a ballot below one it had
	// promised (P1a), for example after forgetting its promise in a crash.
	ErrPromiseBroken = errors.New("an acceptor accepted a ballot below its promise")
)

// Safety watches every acceptor and learner of one Paxos group. A value is
// chosen when a majority of acceptors has accepted it at the same ballot;
// because the acceptances are seen as they happen (one event per step),
// Safety knows every value ever chosen, even if the acceptors later accept
// something else. The zero value is not ready: use NewSafety.
type Safety struct {
	quorum int
	// votes[b] is who accepted ballot b, and with what value.
	votes        map[paxos.Ballot]map[sim.NodeID]string
	chosen       bool
	chosenValue  string
	chosenBallot paxos.Ballot
	// promised is the highest ballot each acceptor was seen to promise or
	// accept, across restarts: what it must never go below.
	promised map[sim.NodeID]paxos.Ballot
	accepted map[sim.NodeID]paxos.Ballot
	learned  map[sim.NodeID]string
}

// NewSafety returns a checker for a group of n acceptors.
func NewSafety(n int) *Safety {
	return &Safety{
		quorum:   n/2 + 1,
		votes:    map[paxos.Ballot]map[sim.NodeID]string{},
		promised: map[sim.NodeID]paxos.Ballot{},
		accepted: map[sim.NodeID]paxos.Ballot{},
		learned:  map[sim.NodeID]string{},
	}
}

// Chosen returns the chosen value, if a majority accepted one.
func (s *Safety) Chosen() (value string, ballot paxos.Ballot, ok bool) {
	return s.chosenValue, s.chosenBallot, s.chosen
}

// Observe checks one node's status. It returns every property this
// observation breaks (usually none), each wrapping one of the Err values.
func (s *Safety) Observe(st paxos.Status) []error {
	var errs []error
	id := st.ID
	if b := st.AcceptedBallot; !b.IsZero() && b != s.accepted[id] {
		s.accepted[id] = b
		if b.Less(s.promised[id]) {
			errs = append(errs, fmt.Errorf("%w: %s accepted %v after promising %v", ErrPromiseBroken, id, b, s.promised[id]))
		}
		if s.votes[b] == nil {
			s.votes[b] = map[sim.NodeID]string{}
		}
		s.votes[b][id] = st.AcceptedValue
		if len(s.votes[b]) >= s.quorum {
			v := st.AcceptedValue
			switch {
			case !s.chosen:
				s.chosen, s.chosenValue, s.chosenBallot = true, v, b
			case v != s.chosenValue:
				errs = append(errs, fmt.Errorf("%w: %q at ballot %v, then %q at ballot %v (accepted by %s)",
					ErrTwoValuesChosen, s.chosenValue, s.chosenBallot, v, b, voters(s.votes[b])))
			}
		}
	}
	s.promised[id] = paxos.Max(s.promised[id], paxos.Max(st.Promised, st.AcceptedBallot))
	if st.Chosen {
		old, had := s.learned[id]
		switch {
		case had && old != st.ChosenValue:
			errs = append(errs, fmt.Errorf("%w: %s learned %q, then %q", ErrChosenValueChanged, id, old, st.ChosenValue))
		case !had && !s.everChosen(st.ChosenValue):
			errs = append(errs, fmt.Errorf("%w: %s learned %q, which no majority accepted", ErrChosenValueChanged, id, st.ChosenValue))
		}
		s.learned[id] = st.ChosenValue
	}
	return errs
}

// everChosen reports whether a majority accepted v at some ballot.
func (s *Safety) everChosen(v string) bool {
	for _, vs := range s.votes {
		n := 0
		for _, x := range vs {
			if x == v {
				n++
			}
		}
		if n >= s.quorum {
			return true
		}
	}
	return false
}

func voters(m map[sim.NodeID]string) []sim.NodeID {
	ids := make([]sim.NodeID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sortIDs(ids)
	return ids
}
