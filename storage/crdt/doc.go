// Package crdt holds two conflict-free replicated data types, state-based
// (CvRDTs): replicas change their own copy without asking anyone, send
// their whole state now and then, and Merge whatever state arrives. Merge
// is commutative, associative and idempotent, so replicas that have seen
// the same updates hold the same value, whatever the order and however
// often states arrive (the tests check these laws with rapid).
//
//   - PNCounter: a counter that goes up and down. Each replica counts its
//     own increments (P) and decrements (N); the value is sum(P) - sum(N);
//     merge takes each replica's maximum. Two regions incrementing at once
//     lose nothing, unlike a last-writer-wins number.
//   - ORSet: an observed-remove set. Every add gets a unique tag; a remove
//     removes the tags it has seen. An add concurrent with a remove
//     survives (add wins), and an item removed and added again comes back.
//
// Both are plain values with exported fields, so they cross TCP in a
// message as they are.
package crdt
