package scenarios

import (
	"errors"
	"fmt"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	Register(Scenario{
		Name:    "raft-figure8",
		Chapter: "consensus",
		Summary: "Figure 8 of the Raft paper on three nodes: why a leader must not commit an earlier term's entry by counting replicas",
		Doc: `Three Raft nodes start where Figure 8 of the Raft paper is about to go
wrong (scaled down from five nodes to three):

  n1  term 3  log [1: term 2]   it led term 2; its entry reached no one
  n2  term 3  log [1: term 3]   it led term 3 with n3's vote; its entry reached no one; it is down
  n3  term 3  log [ ]

(n1 heard n2 ask for votes in term 3, and refused: n1's log was newer.)

Each entry is the no-op a new leader appends (§8). n1 and n3 boot; n2
comes back at 300ms. Election timers are 100–200ms, heartbeats 20ms, and a
leader sends one entry per AppendEntries, as in the paper's figure.

With delays drawn from 1–5ms, n1 usually wins the next election with n3's
vote (its last term, 2, beats n3's empty log), copies its term-2 entry to
n3, then its own new entry, and commits both; n2 returns, loses its entry
of term 3, which was never committed, and catches up. (On some seeds n3's
hopeless candidacies hold n1 off until n2 is back, and n2 wins: then it
is n1's term-2 entry, never committed either, that is replaced.)

The danger is the moment between the two copies. The term-2 entry is then
on a majority (n1 and n3), but n1's entry of its own term is not. Correct
Raft does not count that as committed (§5.4.2): if n1 crashed now, n2
could still win with n3's vote (its last term, 3, beats 2) and overwrite
index 1. The broken Raft (--broken commits-earlier-term-by-counting)
counts replicas and commits; then the overwrite changes a committed entry.
dsim explore finds that order of events by itself.`,
		LookFor: `Run it plainly and see n1 commit index 1 only together with its own
entry. Then let the explorer search every order of events, with one crash
and one lost message allowed:

  dsim explore raft-figure8 --broken commits-earlier-term-by-counting

finds the broken leader committing the term-2 entry, crashing before its
own entry reaches n3, and n2 overwriting what was committed; replay it with
dsim run --schedule. dsim explore raft-figure8 (correct Raft) finds
nothing within the same bounds.`,
		For:    time.Second,
		Broken: raftBrokenNames(),
		Explore: &Exploration{
			Crashable: []sim.NodeID{"n1", "n2", "n3"},
			// The bug needs two departures from the default order: the
			// leader's crash and the loss of its own entry on the way to n3.
			// The horizon leaves time for n2's return and one election after it.
			Bounds: explore.Bounds{Depth: 40, Crashes: 1, Drops: 1, Deviations: 2, Horizon: 600 * time.Millisecond},
		},
		Setup: setupRaftFigure8,
	})
}

// figure8Config is plain Raft with short timers and one entry per
// AppendEntries, so a follower can hold an old entry without the new
// leader's entry after it.
func figure8Config() raft.Config {
	return raft.Config{
		ElectionTimeout:     100 * time.Millisecond,
		HeartbeatInterval:   20 * time.Millisecond,
		MaxEntriesPerAppend: 1,
	}
}

func setupRaftFigure8(o Options) (*Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond},
	}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	cfg := figure8Config()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ids := []sim.NodeID{"n1", "n2", "n3"}
	for _, id := range ids {
		w.AddNode(id, func() sim.Node { return newRaft(o.Broken, cfg, nil) })
	}
	// Where Figure 8 (b) leaves the cluster, on three nodes.
	for _, p := range []struct {
		id       sim.NodeID
		term     uint64
		votedFor sim.NodeID
		log      []raft.Entry
	}{
		{"n1", 3, "", []raft.Entry{{Index: 1, Term: 2, Noop: true}}},
		{"n2", 3, "n2", []raft.Entry{{Index: 1, Term: 3, Noop: true}}},
		{"n3", 3, "n2", nil},
	} {
		if err := raft.PrimeLog(w.Disk(p.id), p.term, p.votedFor, p.log...); err != nil {
			return nil, err
		}
	}
	w.Crash("n2") // before it boots: it is down at the start
	const back = 300 * time.Millisecond
	w.At(back, func() {
		w.Logf("n2 comes back")
		w.Restart("n2")
	})

	s := newRaftWatch(w, ids)
	w.AfterStep(s.observe)

	finish := func() Result {
		var r Result
		for _, l := range s.leaders {
			r.Summary = append(r.Summary, fmt.Sprintf("%s  %s became leader of term %d", sim.FormatTime(l.At), l.Node, l.Term))
		}
		for _, c := range s.commits {
			r.Summary = append(r.Summary, fmt.Sprintf("%s  %s committed index %d (an entry of term %d) in term %d", sim.FormatTime(c.At), c.Node, c.Index, c.EntryTerm, c.Term))
		}
		if s.violation != nil {
			r.Err = s.violation
			return r
		}
		switch {
		case len(s.leaders) == 0:
			r.Err = errors.New("no leader was elected")
		case len(s.commits) == 0:
			r.Err = errors.New("nothing was committed")
		default:
			r.Summary = append(r.Summary, "safety held after every event: one leader per term, every committed entry the same on every node")
		}
		return r
	}
	return &Run{World: w, Net: net, Finish: finish, Violation: s.firstViolation, Observers: []any{s.checkers()}}, nil
}

// raftWatch checks Raft's safety after every event, on nodes that are
// raft.Nodes themselves (no state machine around them), and remembers
// who led which term and what was committed when, for the summary.
type raftWatch struct {
	w   *sim.World
	ids []sim.NodeID

	safety    check.ElectionSafety
	applied   check.StateMachineSafety
	committed map[sim.NodeID]uint64 // how far each node's commits were checked
	violation error

	leaders []roleChange
	commits []commitSeen
}

// commitSeen is a node's commitIndex passing an index.
type commitSeen struct {
	At        time.Duration
	Node      sim.NodeID
	Term      uint64 // the node's term when it committed
	Index     uint64
	EntryTerm uint64
}

func newRaftWatch(w *sim.World, ids []sim.NodeID) *raftWatch {
	return &raftWatch{w: w, ids: ids, committed: map[sim.NodeID]uint64{}}
}

// checkers is what the explorer must count as state besides the nodes: a
// crashed leader's commits live on only here.
func (s *raftWatch) checkers() any {
	return []any{&s.safety, &s.applied, s.committed}
}

func (s *raftWatch) firstViolation() error { return s.violation }

func (s *raftWatch) status(id sim.NodeID) (raft.Status, bool) {
	n, ok := s.w.Node(id).(raft.Implementation)
	if !ok || !s.w.Up(id) {
		return raft.Status{}, false
	}
	return n.Status(), true
}

// observe runs after every event: at most one leader per term, and no
// two nodes ever commit different entries at one index (nor one node two).
func (s *raftWatch) observe() {
	if s.violation != nil {
		return
	}
	for _, id := range s.ids {
		st, ok := s.status(id)
		if !ok {
			continue
		}
		if _, known := s.safety.Leader(st.Term); st.Role == raft.Leader && !known {
			s.leaders = append(s.leaders, roleChange{At: s.w.Now(), Node: id, Role: raft.Leader, Term: st.Term})
			s.w.Logf("%s is leader of term %d", id, st.Term)
		}
		if err := s.safety.Observe(id, st.Term, st.Role == raft.Leader); err != nil {
			s.violation = fmt.Errorf("at %s: %w", sim.FormatTime(s.w.Now()), err)
			return
		}
		from := max(s.committed[id], st.SnapshotIndex)
		for i := from + 1; i <= st.CommitIndex; i++ {
			e := st.Log[i-st.SnapshotIndex-1]
			s.commits = append(s.commits, commitSeen{At: s.w.Now(), Node: id, Term: st.Term, Index: i, EntryTerm: e.Term})
			s.w.Logf("%s commits index %d (term %d) in term %d", id, i, e.Term, st.Term)
			if err := s.applied.Applied(id, i, commitRecord(e)); err != nil {
				s.violation = fmt.Errorf("at %s: %w", sim.FormatTime(s.w.Now()), err)
				s.w.Logf("VIOLATION: %v", err)
				return
			}
		}
		if st.CommitIndex > s.committed[id] {
			s.committed[id] = st.CommitIndex
		}
	}
}
