package raftsuite

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/network"
)

// Tests that provoke what random schedules rarely do: a node rejoining a
// healthy cluster, a long stretch under one leader, and votes that arrive
// after their election is over. With the per-step checks of Cluster
// (terms never decrease, one vote per term, a majority of the leader's own
// term) they close the escapes a suite of safety checks alone leaves open.

// testRejoinUnderPreVote cuts a follower off and lets it rejoin, twice:
// first entirely for three seconds, then only from the leader's messages
// for two (it still hears, and is heard by, the other followers). With
// PreVote (thesis §9.6) and CheckQuorum on, the node must not depose the
// leader nor raise the term: it pre-campaigns, but nobody grants a pre-vote
// while it hears from a leader.
func testRejoinUnderPreVote(t T, s Setup) {
	const n = 5
	cfg := s.Config
	cfg.PreVote, cfg.CheckQuorum = true, true
	c := s.makeCluster(t, n, cfg, false)
	c.One(Cmd(1), n, true)
	leader := c.CheckOneLeader()
	c.RunFor(100 * time.Millisecond)
	term := c.CheckTerms()
	f := (leader + 1) % n
	check := func(how string) {
		c.t.Helper()
		if l := c.CheckOneLeader(); l != leader {
			c.fatalf("%s %s and the leader changed from %s to %s; with PreVote nobody grants a pre-vote while it hears from a leader", c.ID(f), how, c.ID(leader), c.ID(l))
		}
		if now := c.CheckTerms(); now != term {
			c.fatalf("%s %s and the term went from %d to %d; with PreVote a node that cannot win never raises its term", c.ID(f), how, term, now)
		}
	}
	c.Disconnect(f)
	c.RunFor(3 * time.Second)
	c.Connect(f)
	c.RunFor(2 * time.Second)
	check("rejoined after 3s alone")
	c.Cut(leader, f)
	c.RunFor(2 * time.Second)
	c.HealAll()
	c.RunFor(2 * time.Second)
	check("missed the leader's messages for 2s (hearing the others)")
	c.One(Cmd(2), n, true)
}

// StableCampaigns bounds how many campaigns (a node turning pre-candidate or
// candidate) StableLeader tolerates under one healthy leader: none.
const StableCampaigns = 0

// testStableLeader keeps one leader for five seconds of light load on a
// reliable network and counts campaigns. None should happen: every
// heartbeat resets a follower's election timer (Figure 2). A follower whose
// timer ignores heartbeats campaigns again and again; PreVote keeps the
// term steady, so only counting campaigns shows it.
func testStableLeader(t T, s Setup) {
	const n = 5
	c := s.MakeCluster(t, n, false, false)
	c.One(Cmd(1), n, true)
	leader := c.CheckOneLeader()
	c.RunFor(100 * time.Millisecond)
	term := c.CheckTerms()
	campaigns := make([]int, n)
	was := make([]raft.Role, n)
	for i := range n {
		st, _ := c.Status(i)
		was[i] = st.Role
	}
	c.OnStep(func() {
		for i := range n {
			st, up := c.Status(i)
			if !up {
				continue
			}
			if st.Role != was[i] && (st.Role == raft.PreCandidate || st.Role == raft.Candidate) {
				campaigns[i]++
			}
			was[i] = st.Role
		}
	})
	for k := range 10 {
		c.RunFor(500 * time.Millisecond)
		if _, _, ok := c.Start(leader, Cmd(100+k)); !ok {
			break
		}
	}
	total := 0
	var who []string
	for i, k := range campaigns {
		total += k
		if k > 0 {
			who = append(who, fmt.Sprintf("%s %d times", c.ID(i), k))
		}
	}
	if total > StableCampaigns {
		c.fatalf("under one healthy leader (%s, term %d) for 5s, nodes campaigned %d times (%v); a heartbeat must reset the follower's election timer", c.ID(leader), term, total, who)
	}
	if now := c.CheckTerms(); now != term {
		c.fatalf("under one healthy leader the term went from %d to %d", term, now)
	}
}

// testStaleVoteReplies delays the votes a candidate receives past its next
// election timeout, and cuts it off from its voter: the votes arrive while
// it campaigns in the next term. They were granted for the earlier term and
// must not count (§5.2: a vote is for one term; a reply from an older term
// is dropped). The per-step check that every leader holds a majority of its
// own term's votes catches a candidate that counts them. PreVote and
// CheckQuorum are off: the script needs plain elections.
func testStaleVoteReplies(t T, s Setup) {
	const n = 3
	cfg := s.Config
	cfg.PreVote, cfg.CheckQuorum = false, false
	c := s.makeCluster(t, n, cfg, false)
	c.One(Cmd(1), n, true)
	old := c.CheckOneLeader()
	c.RunFor(100 * time.Millisecond)
	base := c.CheckTerms()
	c.Crash(old)
	a, b := -1, -1
	slow := network.Constant(400 * time.Millisecond)
	armed := false
	c.OnStep(func() {
		switch {
		case a < 0:
			// The first node to campaign is the candidate; its voter's
			// replies to it become slow before the voter answers.
			for i := range n {
				if st, up := c.Status(i); up && i != old && st.Role == raft.Candidate && st.Term > base {
					a, b = i, 3-old-i
					if err := c.net.SetLatency(network.Link{From: c.ids[b], To: c.ids[a]}, slow); err != nil {
						panic(fmt.Sprintf("raftsuite: network refused a latency: %v", err))
					}
					return
				}
			}
		case !armed:
			// Once the voter has voted for the candidate, cut the candidate's
			// later requests to it: the only votes it will get are stale.
			if st, up := c.Status(b); up && st.VotedFor == c.ids[a] {
				armed = true
				c.Cut(a, b)
			}
		}
	})
	c.RunFor(2 * time.Second)
	if a < 0 || !armed {
		c.fatalf("the script did not get a candidate with a vote (candidate %d, armed %v)", a, armed)
	}
	c.HealAll()
	c.SetUnreliable(false) // restores every link's latency
	c.Restart(old)
	c.One(Cmd(2), n, true)
}

// testStaleLeaderHeartbeats leaves a deposed leader able to reach the
// cluster but not to hear it, and crashes the leader that replaced it. The
// deposed one keeps sending heartbeats of its old term (CheckQuorum is off
// here, so it never notices); the others must reject them without
// resetting their election timers, and elect a new leader. A follower that
// resets its timer on a stale heartbeat never campaigns again.
func testStaleLeaderHeartbeats(t T, s Setup) {
	const n = 5
	cfg := s.Config
	cfg.CheckQuorum = false
	c := s.makeCluster(t, n, cfg, false)
	c.One(Cmd(1), n, true)
	old := c.CheckOneLeader()
	c.Disconnect(old)
	second := c.CheckOneLeader()
	st, _ := c.Status(second)
	term := st.Term
	// The deposed leader comes back able to send but not to hear.
	c.Connect(old)
	for i := range n {
		if i != old {
			c.Cut(i, old)
		}
	}
	c.Crash(second)
	ok := c.RunUntil(func() bool {
		for i := range n {
			if s, up := c.Status(i); up && i != old && s.Role == raft.Leader && s.Term > term {
				return true
			}
		}
		return false
	}, 3*time.Second)
	if !ok {
		c.fatalf("no new leader 3s after %s (leader of term %d) crashed, while %s, deposed in term %d, kept sending heartbeats of its old term: a message from an older term must be rejected without resetting the election timer",
			c.ID(second), term, c.ID(old), term-1)
	}
	c.HealAll()
	c.w.Restart(c.ID(second))
	c.One(Cmd(2), n, true)
}
