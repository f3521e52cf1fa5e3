// Package failures holds the scenarios of the course's chapter on failures
// (seed 003 §2 and §9): the eight fallacies of distributed computing, one
// short scenario each, and gray failure.
//
// Every fallacy scenario runs the same small system twice or more, side by
// side in one world: once built by a node that believes the fallacy, once by
// a node that does not. The naive one breaks in the way the fallacy
// predicts (lost deposits, pages that take seconds, a link that queues for
// ever, money sent to an attacker, a new server that nobody uses, an
// operator's change silently undone, bytes that cost, a slow machine that
// sets everyone's tail latency); the mitigation holds. Every number in the
// summary is counted from what the nodes did in the run.
//
// Nodes here are small deterministic state machines (sim.Node); the
// reusable parts come from packages service, resilience and storage/ring.
package failures
