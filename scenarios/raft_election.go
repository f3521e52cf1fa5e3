package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

func init() {
	Register(Scenario{
		Name:    "raft-election",
		Summary: "five Raft nodes; leader n1 (term 3) loses its network, the others elect a new leader, n1 rejoins and steps down",
		Doc: `The course's exercise: five nodes, n1 the leader in term 3. (The cluster has
lived through two terms already, and n1 has the quickest election timer, so
it wins term 3 at the start.) At 1s n1 loses its network. At 3s it comes back.

Look for: n1 does not know it is cut off: it keeps sending heartbeats that
never arrive. The followers stop hearing from it; the first whose election
timer fires asks the others for a pre-vote, then becomes a candidate in
term 4 and asks for real votes; a majority (itself and two others) makes it
leader. When n1 rejoins, the first message carrying term 4 that reaches it
makes it step down to follower: a leader of an older term cannot stay one.

This scenario runs with PreVote on and CheckQuorum off, so you see the
classic story. With CheckQuorum (dsim's default, see raft-partition) n1
would notice by itself, one election timeout after losing its majority, and
step down while still cut off.`,
		For:    4 * time.Second,
		Broken: raftBrokenNames(),
		Setup:  setupRaftElection,
	})
}

// roleChange is one node changing role or term.
type roleChange struct {
	At   time.Duration
	Node sim.NodeID
	Role raft.Role
	Term uint64
}

// vote is one answer to a RequestVote, seen on delivery.
type vote struct {
	At       time.Duration
	Voter    sim.NodeID
	For      sim.NodeID
	Term     uint64
	PreVote  bool
	Granted  bool
	Received bool
}

func setupRaftElection(o Options) (*Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: 2 * time.Millisecond, Max: 8 * time.Millisecond},
	}})
	if err != nil {
		return nil, err
	}
	var votes []vote
	watch := sim.TracerFunc(func(r *sim.Record) {
		if r.Kind != sim.KindDeliver {
			return
		}
		if m, ok := r.Msg.(raft.RequestVoteReply); ok {
			votes = append(votes, vote{At: r.At, Voter: r.From, For: r.To, Term: m.Term, PreVote: m.PreVote, Granted: m.VoteGranted})
		}
	})
	tracer := sim.Tracer(watch)
	if o.Tracer != nil {
		tracer = sim.Tee(o.Tracer, watch)
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: tracer})
	ids := []sim.NodeID{"n1", "n2", "n3", "n4", "n5"}
	for _, id := range ids {
		cfg := raft.DefaultConfig()
		cfg.CheckQuorum = false
		// Timers are drawn from [ET, 2ET). n1's, from [75ms, 150ms), all end
		// at least 50ms before anyone else's, from [200ms, 400ms), begin:
		// time enough for n1's pre-vote and vote rounds, so n1 always wins
		// term 3 (seed 686 showed a gap of 0 was not enough).
		cfg.ElectionTimeout = 200 * time.Millisecond
		if id == "n1" {
			cfg.ElectionTimeout = 75 * time.Millisecond
		}
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		w.AddNode(id, func() sim.Node {
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return newRaft(o.Broken, cfg, app) }, kv.New())
		})
		if err := raft.PrimeTerm(w.Disk(id), 2); err != nil {
			return nil, err
		}
	}
	status := func(id sim.NodeID) (raft.Status, bool) {
		s, ok := w.Node(id).(*rsm.Server)
		if !ok || !w.Up(id) {
			return raft.Status{}, false
		}
		return s.Replica().(raft.Implementation).Status(), true
	}

	var changes []roleChange
	last := map[sim.NodeID]roleChange{}
	var safety check.ElectionSafety
	var violation error
	w.AfterStep(func() {
		for _, id := range ids {
			st, ok := status(id)
			if !ok {
				continue
			}
			if violation == nil {
				violation = safety.Observe(id, st.Term, st.Role == raft.Leader)
			}
			if prev, seen := last[id]; !seen || prev.Role != st.Role || prev.Term != st.Term {
				rc := roleChange{At: w.Now(), Node: id, Role: st.Role, Term: st.Term}
				last[id] = rc
				if seen {
					changes = append(changes, rc)
				}
			}
		}
	})
	w.At(time.Second, func() {
		w.Logf("n1 loses its network")
		_ = net.Isolate("n1")
	})
	w.At(3*time.Second, func() {
		w.Logf("n1's network is back")
		net.Heal()
	})

	finish := func() Result {
		var r Result
		fail := func(err error) {
			if r.Err == nil {
				r.Err = err
			}
		}
		if violation != nil {
			fail(violation)
		}
		// Act 1: n1 wins term 3.
		var n1Led *roleChange
		for i := range changes {
			if c := changes[i]; c.Node == "n1" && c.Role == raft.Leader && c.At < time.Second {
				n1Led = &changes[i]
				break
			}
		}
		if n1Led == nil || n1Led.Term != 3 {
			fail(errors.New("n1 was not the leader of term 3 before 1s"))
			return r
		}
		r.Summary = append(r.Summary, fmt.Sprintf("n1 became leader of term 3 at %s", sim.FormatTime(n1Led.At)))
		r.Summary = append(r.Summary, "at 1s n1 lost its network; it kept believing it was the leader")

		// Act 2: who timed out, who voted for whom, who won.
		var newLeader *roleChange
		for i := range changes {
			c := changes[i]
			if c.At < time.Second || c.At > 3*time.Second || c.Node == "n1" {
				continue
			}
			switch c.Role {
			case raft.PreCandidate:
				r.Summary = append(r.Summary, fmt.Sprintf("%s  %s's election timer fired: it asks for pre-votes for term %d", sim.FormatTime(c.At), c.Node, c.Term+1))
			case raft.Candidate:
				r.Summary = append(r.Summary, fmt.Sprintf("%s  %s becomes a candidate in term %d and asks for votes", sim.FormatTime(c.At), c.Node, c.Term))
			case raft.Leader:
				if newLeader == nil {
					newLeader = &changes[i]
				}
			}
		}
		if newLeader == nil {
			fail(errors.New("no new leader was elected while n1 was cut off"))
			return r
		}
		var granted, refused []string
		for _, v := range votes {
			if v.PreVote || v.For != newLeader.Node || v.Term != newLeader.Term || v.At > newLeader.At {
				continue
			}
			if v.Granted {
				granted = append(granted, string(v.Voter))
			} else {
				refused = append(refused, string(v.Voter))
			}
		}
		line := fmt.Sprintf("%s  %s wins term %d with its own vote and %s's", sim.FormatTime(newLeader.At), newLeader.Node, newLeader.Term, strings.Join(granted, "'s and "))
		if len(refused) > 0 {
			line += fmt.Sprintf(" (refused by %s)", strings.Join(refused, ", "))
		}
		r.Summary = append(r.Summary, line)
		if 1+len(granted) < 3 {
			fail(fmt.Errorf("%s became leader with %d votes of 5", newLeader.Node, 1+len(granted)))
		}
		if newLeader.Term <= 3 {
			fail(fmt.Errorf("the new leader's term %d is not above 3", newLeader.Term))
		}

		// Act 3: n1 rejoins and steps down.
		var stepDown *roleChange
		for i := range changes {
			if c := changes[i]; c.Node == "n1" && c.At >= 3*time.Second && c.Role == raft.Follower {
				stepDown = &changes[i]
				break
			}
		}
		if stepDown == nil {
			fail(errors.New("n1 did not step down after rejoining"))
			return r
		}
		r.Summary = append(r.Summary, fmt.Sprintf("at 3s n1 rejoined; at %s it heard term %d and stepped down to follower", sim.FormatTime(stepDown.At), stepDown.Term))
		st, _ := status("n1")
		ls, _ := status(newLeader.Node)
		if st.Leader != newLeader.Node || ls.Role != raft.Leader {
			fail(fmt.Errorf("at the end n1 follows %q, not the new leader %s", st.Leader, newLeader.Node))
		} else {
			r.Summary = append(r.Summary, fmt.Sprintf("at the end n1 follows %s, leader of term %d", newLeader.Node, ls.Term))
		}
		r.Metrics = []Metric{
			{"election_time", (newLeader.At - time.Second).Seconds(), "s"},
			{"new_term", float64(newLeader.Term), "term"},
			{"stepdown_delay", (stepDown.At - 3*time.Second).Seconds(), "s"},
		}
		return r
	}
	return &Run{World: w, Net: net, Finish: finish}, nil
}
