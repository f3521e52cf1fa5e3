package paxos

// The four messages of Paxos Made Simple (§2.2), one struct each, plus Nack.
// Phase 1 is Prepare and Promise, phase 2 is Accept and Accepted.

// Prepare is phase 1a: a proposer asks acceptors to promise not to accept
// any ballot below Ballot, and to tell it what they already accepted.
type Prepare struct {
	Ballot Ballot
}

// Promise is phase 1b: the acceptor promises to ignore ballots below
// Ballot and reports the highest-ballot proposal it accepted, if any
// (AcceptedBallot zero: none). The proposer must propose the value of the
// highest AcceptedBallot among a majority's promises: that is what keeps a
// chosen value chosen.
type Promise struct {
	Ballot         Ballot
	AcceptedBallot Ballot
	AcceptedValue  string
}

// Accept is phase 2a: the proposer asks acceptors to accept Value at
// Ballot. (The paper calls it an "accept request".)
type Accept struct {
	Ballot Ballot
	Value  string
}

// Accepted is phase 2b: the acceptor accepted Value at Ballot. Acceptors
// send it to every learner; a value is chosen once a majority of acceptors
// accepted it at the same ballot.
type Accepted struct {
	Ballot Ballot
	Value  string
}

// Nack tells the proposer of Ballot to give up on it: the acceptor has
// promised the higher ballot Promised. An acceptor sends one when it
// ignores a Prepare or an Accept below its promise, and also, at once, to
// the proposer whose promise it just broke by promising a higher ballot.
// Paxos Made Simple §2.5 suggests the first as "a performance
// optimization"; neither is needed for safety.
type Nack struct {
	Ballot   Ballot
	Promised Ballot
}

// retryTick is the proposer's own timer: start a new round for the ballot
// that is still current when it fires. (Timers are messages to oneself.)
type retryTick struct {
	Ballot Ballot
}
