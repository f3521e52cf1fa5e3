// Package gossip is reliable broadcast by gossip: every node ends up with
// every value any node broadcast, over a network that loses messages and
// nodes that crash.
//
// Two mechanisms, as in the broadcast scenario:
//
//   - Eager push (flooding): a node that learns a value sends it to every
//     peer at once. Fast, but a lost message leaves a hole.
//   - Anti-entropy: every Config.AntiEntropy, a node sends everything it
//     knows (a Digest) to one peer drawn from env.Rand(). The peer learns
//     what it lacked and floods it. Slow, but it closes every hole, and it
//     is how a node that was down catches up.
//
// Every value carries the stamps of its broadcast: the origin's Lamport
// time and vector clock (package clock). The clocks count broadcast
// events, as in causal broadcast: a broadcast ticks the origin's clocks;
// delivering another node's value observes its stamps (Lamport: max+1;
// vector: merge), so vector[n] is how many of n's broadcasts a node has
// delivered. Two values whose vector stamps are concurrent were broadcast
// by nodes that had not heard of each other's value; Lamport order is a
// total order consistent with that causality.
//
// What a node learned is on its Disk, with its clocks, so a restarted node
// keeps its values and its clocks never run backwards.
package gossip
