// Package bft is Byzantine reliable broadcast with signed messages: the
// signed echo broadcast of Reiter (1994), as in Cachin, Guerraoui and
// Rodrigues, "Introduction to Reliable and Secure Distributed Programming"
// (2011, §3.10–3.11), with the final certificate relayed by every node that
// delivers it so that all correct nodes deliver (reliable, not only
// consistent, broadcast).
//
// # The problem
//
// Crash-tolerant protocols (Raft, Paxos) assume a node either follows the
// protocol or stops. A Byzantine node may do anything: tell one peer one
// value and another peer another (equivocate), or claim that somebody else
// said something (forge). One such node in five is enough to make Raft's
// replicas apply different commands at the same index: see the byzantine
// scenario.
//
// # The protocol
//
// n nodes, at most f of them Byzantine. Every message is signed (ed25519)
// by the node that says it, and every signature is checked.
//
//  1. The origin signs SEND(v) and sends it to every node.
//  2. A node that gets the origin's first SEND for this instance signs
//     ECHO(v) and returns it to the origin. It echoes at most one value per
//     instance: that is the whole defence against equivocation.
//  3. The origin, once it holds n−f signed echoes for v (a quorum),
//     sends FINAL(v) with those echoes — a certificate — to every node.
//  4. A node that gets a FINAL whose certificate holds n−f valid
//     signatures of distinct members delivers v and relays the FINAL to
//     every node (so if one correct node delivers, all do).
//
// Why n ≥ 3f+1: a quorum is n−f, the most a node can wait for when f may
// never answer. Two quorums share at least 2(n−f)−n = n−2f nodes; for them
// to share an honest node, who echoes only once, n−2f ≥ f+1, so n ≥ 3f+1.
// With n = 3f two quorums may overlap in Byzantine nodes only: a lying
// origin collects a certificate for v from half the honest nodes and the
// liars, and another for v′ from the other half and the same liars, and the
// two halves deliver different values.
//
// Why signatures: echoes travel inside the origin's certificate, relayed.
// Without checking them, a lying origin simply writes "n2 echoed v" into a
// certificate, and any quorum is easy. With ed25519, it cannot sign as n2.
// (Config.SkipVerify turns the checks off to show exactly that.)
//
// Keys are derived from a secret and the node's name (DeriveKey), never
// from crypto/rand, so a simulated run replays from its seed.
package bft
