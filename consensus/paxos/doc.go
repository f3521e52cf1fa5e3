// Package paxos is single-decree Paxos, written to be read beside Leslie
// Lamport's "Paxos Made Simple" (2001). A group of nodes agrees on one
// value, even though messages are lost, delayed and reordered and nodes
// crash and come back.
//
// # The roles
//
// Every Node plays the paper's three roles (§2.1):
//
//   - the proposer (proposer.go) picks a ballot above every ballot it has
//     seen, asks a majority of acceptors to promise (Prepare, Promise), and
//     then asks them to accept a value (Accept, Accepted) — the value of the
//     highest-ballot proposal any of the promises reported, or its own if
//     none did;
//   - the acceptor (acceptor.go) promises never to accept a ballot below
//     the highest Prepare it answered, and accepts any Accept at or above
//     it. Its state — promised ballot, accepted ballot and value — is
//     written to its Disk and synced before it answers;
//   - the learner (learner.go) hears Accepted from every acceptor and knows
//     a value is chosen once a majority accepted it at one ballot.
//
// Ballots are pairs (round, node), compared round first: totally ordered,
// and never the same for two proposers (Ballot, Ballot.Less).
//
// # Why a chosen value stays chosen
//
// Two majorities always share an acceptor. If value v was chosen at ballot
// b, a majority accepted (b, v); any later proposer's phase 1 hears from a
// majority, so from at least one of them, and it must propose the value
// with the highest ballot it heard of — which is v, by induction on the
// ballots (P2c in the paper). The promise is what makes the induction hold:
// no acceptor that promised b' will later accept something below b', so a
// proposer's picture of "what may have been chosen below my ballot" cannot
// change behind its back. Forget the promise (ForgetsPromise) or ignore the
// reported values (IgnoresAcceptedValues) and two values can be chosen:
// NewBroken builds both mistakes, and the suite in scenarios/paxos/paxossuite
// catches them.
//
// # Dueling proposers and FLP
//
// Safety never depends on timing; progress does. Two proposers can pre-empt
// each other forever: each one's Prepare arrives just before the other's
// Accept, so every Accept is refused. Fischer, Lynch and Paterson (1985)
// proved that every asynchronous consensus protocol has such a
// never-deciding schedule when a process may crash. Paxos does not escape
// it; it makes it unlikely. Config.Backoff makes a pre-empted proposer wait
// a random, growing time (package resilience's Backoff, drawn from
// env.Rand()) before its next round, so one proposer soon finishes both
// phases while the other waits. The paxos-duel scenario shows both.
//
// An acceptor that breaks its promise to a proposer (by promising a higher
// ballot) tells it so at once with a Nack, and it Nacks any Prepare or
// Accept below its promise. Paxos Made Simple calls this an optional
// optimisation; here it is what makes a pre-empted proposer retry quickly.
// A round that hears nothing at all is retried after Config.RetryTimeout.
//
// Multi-Paxos, which runs one instance like this per log slot under a
// stable leader, is in the subpackage multipaxos.
package paxos
