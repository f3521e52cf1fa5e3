// Package phi is the phi accrual failure detector of Hayashibara, Défago,
// Yared and Katayama ("The φ Accrual Failure Detector", SRDS 2004), as
// Cassandra and Akka use it.
//
// # Suspicion as a number
//
// A fixed-timeout detector answers yes or no: no heartbeat for 200ms, so the
// node is dead. Pick the timeout too short and a node on a jittery link is
// declared dead again and again (it flaps); too long and a node that is
// failing slowly is never declared dead at all.
//
// A phi accrual detector instead keeps the recent inter-arrival times of a
// node's heartbeats (a sliding window) and models them as a normal
// distribution with their mean and standard deviation. Given the time since
// the last heartbeat, it asks: how unlikely is it that the next heartbeat is
// still on its way? φ is that probability on a log scale:
//
//	φ(t) = -log10( P(next gap > t) )
//
// φ = 1 means a 10% chance the node is fine and merely late, φ = 3 a 0.1%
// chance, φ = 8 one in a hundred million. The application picks the
// threshold: a higher one suspects later and wrongly less often. Because the
// distribution is learned per node, the same threshold means a short wait
// for a node on a steady link and a long one for a node across a jittery
// WAN: the detector adapts to the network instead of to a guess.
//
// Its memory is its window: a node that degrades slowly pulls the mean and
// deviation up with it and stops looking suspicious once the window holds
// only the degraded gaps. Size the window for how fast "normal" may change.
//
// # Deterministic on every machine
//
// The decision (Suspect) is made in integers: φ ≥ k exactly when the gap
// exceeds mean + z_k·σ, where z_k is the normal quantile for 10^-k, kept in
// a table in thousandths. Mean and σ are integer nanoseconds (σ by an integer
// square root). So the verdict — which a node acts on and a trace records —
// is the same on amd64 and arm64. Phi itself, a float64, is for people:
// cards and tables.
//
// Times are arguments (Heartbeat(now), Suspect(now)); the detector never
// reads a clock, like everything in package resilience.
package phi
