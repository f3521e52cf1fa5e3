package paxos

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/sim"
)

// abstract digests the group's situation with the ballot numbers left out,
// for the explorer's livelock search: every ballot is replaced by its rank
// among the ballots in play (0 is the highest) and its proposer. Two
// proposers that pre-empt each other for ever keep raising their ballots,
// so no concrete state ever repeats; this one does, and a repeat with no
// value chosen in between is a cycle the duel can run round for ever.
func (g *group) abstract() uint64 {
	var ballots []paxos.Ballot
	var statuses []paxos.Status
	for _, id := range g.ids {
		st, ok := g.status(id)
		if !ok {
			statuses = append(statuses, paxos.Status{ID: id})
			continue
		}
		statuses = append(statuses, st)
		ballots = append(ballots, st.Promised, st.AcceptedBallot, st.Ballot)
	}
	var msgs []string
	member := map[sim.NodeID]bool{}
	for _, id := range g.ids {
		member[id] = true
	}
	held := g.w.Held()
	for _, h := range held {
		if member[h.To] {
			ballots = append(ballots, messageBallots(h.Msg)...)
		}
	}
	slices.SortFunc(ballots, func(a, b paxos.Ballot) int {
		switch {
		case a.Less(b):
			return 1
		case b.Less(a):
			return -1
		}
		return 0
	})
	ballots = slices.Compact(ballots)
	rank := func(b paxos.Ballot) string {
		if b.IsZero() {
			return "0"
		}
		return fmt.Sprintf("r%d.%s", slices.Index(ballots, b), b.Node)
	}
	var b strings.Builder
	for _, st := range statuses {
		fmt.Fprintf(&b, "%s:%v:%s:%s:%s:%s:%v;", st.ID, st.Phase, rank(st.Ballot), rank(st.Promised), rank(st.AcceptedBallot), st.AcceptedValue, st.Chosen)
	}
	for _, h := range held {
		if !member[h.To] {
			continue
		}
		var m string
		switch x := h.Msg.(type) {
		case paxos.Prepare:
			m = "Prepare " + rank(x.Ballot)
		case paxos.Promise:
			m = fmt.Sprintf("Promise %s %s %s", rank(x.Ballot), rank(x.AcceptedBallot), x.AcceptedValue)
		case paxos.Accept:
			m = fmt.Sprintf("Accept %s %s", rank(x.Ballot), x.Value)
		case paxos.Accepted:
			m = fmt.Sprintf("Accepted %s %s", rank(x.Ballot), x.Value)
		case paxos.Nack:
			m = fmt.Sprintf("Nack %s %s", rank(x.Ballot), rank(x.Promised))
		default:
			m = fmt.Sprintf("%T", h.Msg)
		}
		msgs = append(msgs, fmt.Sprintf("%s>%s %s", h.From, h.To, m))
	}
	sort.Strings(msgs)
	b.WriteString(strings.Join(msgs, "|"))
	return explore.Digest(b.String())
}

func messageBallots(m sim.Message) []paxos.Ballot {
	switch x := m.(type) {
	case paxos.Prepare:
		return []paxos.Ballot{x.Ballot}
	case paxos.Promise:
		return []paxos.Ballot{x.Ballot, x.AcceptedBallot}
	case paxos.Accept:
		return []paxos.Ballot{x.Ballot}
	case paxos.Accepted:
		return []paxos.Ballot{x.Ballot}
	case paxos.Nack:
		return []paxos.Ballot{x.Ballot, x.Promised}
	}
	return nil
}
