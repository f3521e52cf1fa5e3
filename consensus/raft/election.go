package raft

import "github.com/dsimlab/dsim/sim"

// Leader election (§5.2, §5.4.1) and pre-vote (thesis §9.6).

// requestVotes asks every peer for a vote, or with preVote for a pre-vote in
// the term we would campaign in. A one-node cluster wins at once.
func (n *Node) requestVotes(env sim.Env, preVote bool) {
	req := RequestVote{Term: n.term, LastLogIndex: n.log.lastIndex(), LastLogTerm: n.log.lastTerm(), PreVote: preVote}
	if preVote {
		req.Term = n.term + 1
	}
	for _, p := range n.peers {
		n.send(env, p, req)
	}
	n.countVotes(env)
}

// handleRequestVote decides a vote or a pre-vote. Receive has settled the
// term: a real request here is of our term.
func (n *Node) handleRequestVote(env sim.Env, from sim.NodeID, m RequestVote) {
	if n.lostWrites {
		// Our log may be shorter than what we acknowledged: our vote could
		// elect a leader missing a committed entry.
		env.Logf("refusing %s from %s: this node lost writes and waits for a leader", m, from)
		n.send(env, from, RequestVoteReply{Term: n.term, PreVote: m.PreVote})
		return
	}
	// §5.4.1: vote only for a candidate whose log is at least as up to date
	// as ours, so whoever wins holds every committed entry.
	upToDate := n.bugs.skipUpToDateCheck || n.log.isUpToDate(m.LastLogIndex, m.LastLogTerm)
	if m.PreVote {
		// Thesis §9.6: grant if the candidate could win a real election:
		// its term would be newer, its log is up to date, and we have not
		// heard from a leader within an election timeout.
		grant := m.Term > n.term && upToDate && (!n.inLease(env.Now()) || n.bugs.preVoteIgnoresLease)
		reply := RequestVoteReply{Term: n.term, VoteGranted: grant, PreVote: true}
		if grant {
			reply.Term = m.Term
		}
		n.send(env, from, reply)
		return
	}
	// §5.2: at most one vote per term, first come first served.
	grant := (n.votedFor == "" || n.votedFor == from) && upToDate
	if grant {
		n.votedFor = from
		n.saveMeta(env) // durable before the reply leaves: see send
		n.resetElectionTimer(env)
	}
	n.send(env, from, RequestVoteReply{Term: n.term, VoteGranted: grant})
}

func (n *Node) handleRequestVoteReply(env sim.Env, from sim.NodeID, m RequestVoteReply) {
	if !m.VoteGranted {
		return // a rejection from a newer term already made us a follower
	}
	switch {
	case n.role == PreCandidate && m.PreVote && m.Term == n.term+1:
	case n.role == Candidate && !m.PreVote && (m.Term == n.term || n.bugs.countStaleVotes):
	default:
		return // an answer to an election we are no longer running
	}
	n.votes[from] = true
	n.countVotes(env)
}

// countVotes moves a (pre-)candidate on once a majority granted its request.
func (n *Node) countVotes(env sim.Env) {
	if len(n.votes) < n.quorum() {
		return
	}
	switch n.role {
	case PreCandidate:
		n.becomeCandidate(env)
	case Candidate:
		n.becomeLeader(env)
	}
}
