// Package edge holds the scenarios of the system's edge and its security
// (seed 000/002 §6): an API gateway, a service mesh with sidecars, zero
// trust between services, and the JWT algorithm-confusion attack with
// revocation by a deny list; and Byzantine nodes (seed 003 §9): a liar
// that splits Raft, and Byzantine reliable broadcast (consensus/bft) that
// holds with n = 3f+1 signed nodes.
//
// As in the other families, the variants of each story run side by side in
// one world and a table compares them; every number is counted from what
// the nodes did. Keys are derived from the seed (never crypto/rand), so a
// run replays byte for byte.
package edge
