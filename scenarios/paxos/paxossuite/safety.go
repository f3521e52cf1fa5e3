package paxossuite

import (
	"errors"
	"fmt"
	"slices"
	"strings"

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
	// ErrPromiseDecreased: an acceptor's promise went down, within one
	// life or across a restart that forgot a promise it had already sent.
	ErrPromiseDecreased = errors.New("an acceptor's promise went down")
	// ErrAcceptNotPromised: an acceptor accepted a ballot above its
	// promise without raising the promise to it. Accepting b is promising
	// b: otherwise it may later accept a lower ballot and report it,
	// hiding the value it accepted at b.
	ErrAcceptNotPromised = errors.New("an accept did not raise the acceptor's promise")
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
	// accept in its current life; durable, the highest it held at a step
	// in which it sent a message (what it told others it must never
	// forget). It must never go below either.
	promised map[sim.NodeID]paxos.Ballot
	durable  map[sim.NodeID]paxos.Ballot
	accepted map[sim.NodeID]paxos.Ballot
	learned  map[sim.NodeID]string
}

// NewSafety returns a checker for a group of n acceptors.
func NewSafety(n int) *Safety {
	return &Safety{
		quorum:   n/2 + 1,
		votes:    map[paxos.Ballot]map[sim.NodeID]string{},
		promised: map[sim.NodeID]paxos.Ballot{},
		durable:  map[sim.NodeID]paxos.Ballot{},
		accepted: map[sim.NodeID]paxos.Ballot{},
		learned:  map[sim.NodeID]string{},
	}
}

// Chosen returns the chosen value, if a majority accepted one.
func (s *Safety) Chosen() (value string, ballot paxos.Ballot, ok bool) {
	return s.chosenValue, s.chosenBallot, s.chosen
}

// Observe checks one node's status for two values chosen, a learned value
// that changed or was never chosen, and an acceptance below a promise. It
// returns every property this observation breaks (usually none), each
// wrapping one of the Err values. ObserveStep checks more.
func (s *Safety) Observe(st paxos.Status) []error { return s.observe(st, true, false) }

// Restarted tells the checker node id crashed and booted again: what it
// held without sending may be gone.
func (s *Safety) Restarted(id sim.NodeID) { delete(s.promised, id) }

// ObserveStep checks one node's status after a step as Observe does, and
// also that its promise never went down (ErrPromiseDecreased) and that its
// acceptances raised it (ErrAcceptNotPromised); sent says whether the node
// sent a message in that step (what it holds then must survive a crash).
// Call Restarted when a node boots again.
func (s *Safety) ObserveStep(st paxos.Status, sent bool) []error { return s.observe(st, sent, true) }

func (s *Safety) observe(st paxos.Status, sent, promises bool) []error {
	var errs []error
	id := st.ID
	floor := paxos.Max(s.promised[id], s.durable[id])
	if promises && st.Promised.Less(floor) {
		how := "in the same life"
		if s.promised[id].Less(floor) {
			how = "after a restart: the promise must be on disk (synced) before the Promise is sent"
		}
		errs = append(errs, fmt.Errorf("%w: %s had promised %v and now promises only %v, %s", ErrPromiseDecreased, id, floor, st.Promised, how))
	}
	if promises && !st.AcceptedBallot.IsZero() && st.Promised.Less(st.AcceptedBallot) {
		errs = append(errs, fmt.Errorf("%w: %s accepted %v but still promises only %v", ErrAcceptNotPromised, id, st.AcceptedBallot, st.Promised))
	}
	if b := st.AcceptedBallot; !b.IsZero() && b != s.accepted[id] {
		s.accepted[id] = b
		if b.Less(floor) {
			errs = append(errs, fmt.Errorf("%w: %s accepted %v after promising %v", ErrPromiseBroken, id, b, floor))
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
				errs = append(errs, fmt.Errorf("%w: %s at ballot %v, then %s at ballot %v (accepted by %s)",
					ErrTwoValuesChosen, show(s.chosenValue), s.chosenBallot, show(v), b, voters(s.votes[b])))
			}
		}
	}
	s.promised[id] = paxos.Max(s.promised[id], paxos.Max(st.Promised, st.AcceptedBallot))
	if sent {
		s.durable[id] = paxos.Max(s.durable[id], s.promised[id])
	}
	if st.Chosen {
		old, had := s.learned[id]
		switch {
		case had && old != st.ChosenValue:
			errs = append(errs, fmt.Errorf("%w: %s learned %s, then %s", ErrChosenValueChanged, id, show(old), show(st.ChosenValue)))
		case !had && !s.everChosen(st.ChosenValue):
			errs = append(errs, fmt.Errorf("%w: %s learned %s, which no majority accepted at one ballot (%s)", ErrChosenValueChanged, id, show(st.ChosenValue), s.acceptances(st.ChosenValue)))
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

// show renders a value for a message: quoted, and "(empty)" for "".
func show(v string) string {
	if v == "" {
		return `"" (the empty value)`
	}
	return fmt.Sprintf("%q", v)
}

// acceptances says which acceptors accepted v at which ballots.
func (s *Safety) acceptances(v string) string {
	var parts []string
	var ballots []paxos.Ballot
	for b := range s.votes {
		ballots = append(ballots, b)
	}
	slices.SortFunc(ballots, func(a, b paxos.Ballot) int {
		if a.Less(b) {
			return -1
		}
		if b.Less(a) {
			return 1
		}
		return 0
	})
	for _, b := range ballots {
		var who []sim.NodeID
		for id, x := range s.votes[b] {
			if x == v {
				who = append(who, id)
			}
		}
		if len(who) > 0 {
			sortIDs(who)
			parts = append(parts, fmt.Sprintf("at %v by %v", b, who))
		}
	}
	if len(parts) == 0 {
		return "nobody accepted it"
	}
	return "accepted " + strings.Join(parts, ", ") + fmt.Sprintf("; a majority is %d", s.quorum)
}
