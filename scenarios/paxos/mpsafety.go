package paxos

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/consensus/paxos/multipaxos"
	"github.com/dsimlab/dsim/sim"
)

// Multi-Paxos safety, slot by slot, checked after every event.
var (
	// ErrSlotTwoValues: majorities accepted two different values in one slot.
	ErrSlotTwoValues = errors.New("two different values chosen in one slot")
	// ErrSlotDecisionChanged: a node decided a slot with a value no
	// majority accepted there, or differently from before.
	ErrSlotDecisionChanged = errors.New("a decided slot changed or was never chosen")
	// ErrSlotPromiseBroken: an acceptor accepted below its promise.
	ErrSlotPromiseBroken = errors.New("an acceptor accepted a ballot below its promise")
)

// slotSafety reads every node's acceptances as they happen (each node's
// Acceptances journal) and its decided prefix.
type slotSafety struct {
	quorum int
	// votes[slot][ballot] is who accepted that ballot there, and what.
	votes  map[uint64]map[paxos.Ballot]map[sim.NodeID][]byte
	chosen map[uint64][]byte
	// per node: the highest promise seen (across restarts), the journal
	// read so far (reset when the node value changes: a restart), and
	// how far its decided prefix was checked.
	promised map[sim.NodeID]paxos.Ballot
	node     map[sim.NodeID]*multipaxos.Node
	read     map[sim.NodeID]int
	applied  check.StateMachineSafety
	checked  map[sim.NodeID]uint64
}

func newSlotSafety(n int) *slotSafety {
	return &slotSafety{
		quorum: n/2 + 1,
		votes:  map[uint64]map[paxos.Ballot]map[sim.NodeID][]byte{},
		chosen: map[uint64][]byte{}, promised: map[sim.NodeID]paxos.Ballot{},
		node: map[sim.NodeID]*multipaxos.Node{}, read: map[sim.NodeID]int{}, checked: map[sim.NodeID]uint64{},
	}
}

// observe checks node id (nil if it is down) and returns the first
// violation, if any.
func (s *slotSafety) observe(id sim.NodeID, n *multipaxos.Node) error {
	if n == nil {
		return nil
	}
	if s.node[id] != n {
		// A restarted node: a fresh journal, and its decided prefix is
		// applied again from slot 1 (StateMachineSafety compares it with
		// what was applied before).
		s.node[id], s.read[id], s.checked[id] = n, 0, 0
	}
	st := n.Status()
	journal := n.Acceptances()
	for _, a := range journal[s.read[id]:] {
		if a.Ballot.Less(s.promised[id]) {
			return fmt.Errorf("%w: %s accepted %v in slot %d after promising %v", ErrSlotPromiseBroken, id, a.Ballot, a.Slot, s.promised[id])
		}
		if s.votes[a.Slot] == nil {
			s.votes[a.Slot] = map[paxos.Ballot]map[sim.NodeID][]byte{}
		}
		vs := s.votes[a.Slot][a.Ballot]
		if vs == nil {
			vs = map[sim.NodeID][]byte{}
			s.votes[a.Slot][a.Ballot] = vs
		}
		vs[id] = a.Value
		if len(vs) >= s.quorum {
			if old, ok := s.chosen[a.Slot]; !ok {
				s.chosen[a.Slot] = a.Value
			} else if !bytes.Equal(old, a.Value) {
				return fmt.Errorf("%w: slot %d: %q, then %q at ballot %v", ErrSlotTwoValues, a.Slot, old, a.Value, a.Ballot)
			}
		}
	}
	s.read[id] = len(journal)
	s.promised[id] = paxos.Max(s.promised[id], st.Promised)
	for i := s.checked[id] + 1; i <= st.Decided; i++ {
		e, _ := n.Entry(i)
		if c, ok := s.chosen[i]; ok && !bytes.Equal(c, e.Value) {
			return fmt.Errorf("%w: %s decided slot %d as %q, but %q was chosen there", ErrSlotDecisionChanged, id, i, e.Value, c)
		}
		if err := s.applied.Applied(id, i, e.Value); err != nil {
			return fmt.Errorf("%w: %w", ErrSlotDecisionChanged, err)
		}
	}
	s.checked[id] = st.Decided
	return nil
}
