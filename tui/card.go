package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

// card is what the screen shows of one node.
type card struct {
	id   sim.NodeID
	up   bool
	role string // leader, candidate, pre-candidate, follower, or what Inspect says
	// lines follow the role: "term 3 vote n1", "commit 2", ...
	lines []string
	// logLine is where in lines the log goes (-1: no log). The log is
	// logTail, entries as index:term, newest last: the view shows as many
	// as fit.
	logLine int
	logTail []string
	timer   *countdown
}

// countdown is a node's next timer: how long until it fires, out of how
// long it was set for.
type countdown struct {
	name        string
	left, total time.Duration
}

// raftNode finds the Raft status of a node: a raft.Implementation itself,
// or inside an rsm.Server.
func raftNode(n sim.Node) (raft.Status, bool) {
	if s, ok := n.(interface{ Status() raft.Status }); ok {
		return s.Status(), true
	}
	if s, ok := n.(interface{ Replica() rsm.Replica }); ok {
		if r, ok := s.Replica().(interface{ Status() raft.Status }); ok {
			return r.Status(), true
		}
	}
	return raft.Status{}, false
}

// paxosNode finds the Paxos status of a node.
func paxosNode(n sim.Node) (paxos.Status, bool) {
	if s, ok := n.(interface{ Status() paxos.Status }); ok {
		return s.Status(), true
	}
	return paxos.Status{}, false
}

// cardsOf describes every node of the session's world, in the order they
// were added.
func cardsOf(s *Session) []card {
	w := s.run.World
	pending := w.Pending()
	var out []card
	for _, id := range w.Nodes() {
		c := card{id: id, up: w.Up(id), logLine: -1}
		n := w.Node(id)
		switch {
		case n == nil:
			c.role = "crashed"
			c.lines = []string{"(disk kept)"}
		case !c.up:
			c.role = "booting" // its Start is queued
		default:
			describe(&c, n, w.Now())
			c.timer = nextTimer(s, pending, id)
		}
		out = append(out, c)
	}
	return out
}

func describe(c *card, n sim.Node, now time.Duration) {
	if st, ok := raftNode(n); ok {
		c.role = st.Role.String()
		c.lines = []string{fmt.Sprintf("term %d vote %s", st.Term, orDash(string(st.VotedFor)))}
		if st.SnapshotIndex > 0 {
			c.logTail = append(c.logTail, fmt.Sprintf("snap%d:%d", st.SnapshotIndex, st.SnapshotTerm))
		}
		for _, e := range st.Log[max(0, len(st.Log)-8):] {
			c.logTail = append(c.logTail, fmt.Sprintf("%d:%d", e.Index, e.Term))
		}
		c.logLine = 1
		c.lines = append(c.lines, "", fmt.Sprintf("commit %d", st.CommitIndex))
		return
	}
	if st, ok := paxosNode(n); ok {
		// The role line is the proposer's phase and ballot; then what the
		// learner knows, then the acceptor's promise and vote.
		c.role = st.Phase.String()
		if !st.Ballot.IsZero() {
			c.role += " " + st.Ballot.String()
		}
		chosen := "chosen -"
		if st.Chosen {
			chosen = "chosen " + st.ChosenValue
		}
		c.lines = []string{
			chosen,
			"promised " + st.Promised.String(),
			"accepted " + st.AcceptedBallot.String() + " " + orDash(st.AcceptedValue),
		}
		return
	}
	if srv, ok := n.(*service.Server); ok {
		// A service's card leads with its breakers, the state that
		// carries the resilience lessons, then its workers and queue.
		for _, cl := range srv.Callers() {
			if b := cl.Breaker(); b != nil {
				c.lines = append(c.lines, fmt.Sprintf("breaker %s %s", cl.Name(), b.Peek(sim.Epoch.Add(now))))
			}
		}
	}
	in, ok := n.(sim.Inspector)
	if !ok {
		c.role = "up"
		return
	}
	kv := in.Inspect()
	c.role = kv["role"]
	if c.role == "" {
		c.role = "up"
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		if k != "role" {
			keys = append(keys, k)
		}
	}
	// The lesson's state first, then the rest by name: a card has room
	// for a few lines only.
	slices.SortFunc(keys, func(a, b string) int {
		if la, lb := lessonKey(a), lessonKey(b); la != lb {
			if la {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys {
		c.lines = append(c.lines, strings.TrimPrefix(k, "quorum.")+" "+kv[k])
	}
}

// lessonKey reports whether an Inspect key names state a scenario's lesson
// turns on: a failure detector's suspects, locks, clocks, breakers.
func lessonKey(k string) bool {
	for _, w := range []string{"suspects", "lock", "lamport", "vector", "breaker", "hints"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// nextTimer picks the node's election timer if it has one (a timer whose
// message names an election), else its earliest timer.
func nextTimer(s *Session, pending []sim.Pending, id sim.NodeID) *countdown {
	now := s.run.World.Now()
	var best *sim.Pending
	for i := range pending {
		p := &pending[i]
		if p.Kind != sim.KindTimer || p.To != id {
			continue
		}
		if strings.Contains(strings.ToLower(typeName(p.Msg)), "election") {
			best = p
			break
		}
		if best == nil {
			best = p // pending is sorted: the first is the earliest
		}
	}
	if best == nil {
		return nil
	}
	c := &countdown{name: typeName(best.Msg), left: best.At - now, total: best.At - now}
	if set, ok := s.timerStart(best.ID); ok {
		c.total = best.At - set
	}
	return c
}

// typeName is a message's type, as traces print it, without the fields.
func typeName(m sim.Message) string {
	s := sim.MessageString(m)
	if i := strings.IndexAny(s, "{("); i > 0 {
		return s[:i]
	}
	return s
}

// leaders describes who leads in which term, for spotting a change. It
// reads only roles, so it is cheap enough to call after every event.
func leaders(w *sim.World) string {
	var b strings.Builder
	for _, id := range w.Nodes() {
		n := w.Node(id)
		if n == nil || !w.Up(id) {
			continue
		}
		if st, ok := raftNode(n); ok {
			if st.Role == raft.Leader {
				fmt.Fprintf(&b, "%s@%d ", id, st.Term)
			}
			continue
		}
		if in, ok := n.(sim.Inspector); ok {
			if kv := in.Inspect(); kv["role"] == "leader" {
				fmt.Fprintf(&b, "%s@%s ", id, kv["term"])
			}
		}
	}
	return b.String()
}
