package paxos

import dsimpaxos "github.com/dsimlab/dsim/consensus/paxos"

// Ballot is a proposal number: (round, node), compared round first. Use
// dsim's type: it has Less, IsZero and String, and Status reports it.
type Ballot = dsimpaxos.Ballot

// The messages of Paxos Made Simple §2.2, one struct each, given. Keep
// their fields exported; you may add fields.

// Prepare is phase 1a.
type Prepare struct{ Ballot Ballot }

// Promise is phase 1b: the acceptor promises to ignore ballots below
// Ballot and reports what it accepted (AcceptedBallot zero: nothing).
type Promise struct {
	Ballot         Ballot
	AcceptedBallot Ballot
	AcceptedValue  string
}

// Accept is phase 2a.
type Accept struct {
	Ballot Ballot
	Value  string
}

// Accepted is phase 2b, sent by acceptors to every learner.
type Accepted struct {
	Ballot Ballot
	Value  string
}

// Nack tells a proposer its Ballot lost to Promised.
type Nack struct {
	Ballot   Ballot
	Promised Ballot
}

// retryTick is the proposer's timer: try again with a higher ballot.
type retryTick struct{ Ballot Ballot }
