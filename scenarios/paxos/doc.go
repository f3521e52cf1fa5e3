// Package paxos holds the Paxos and Multi-Paxos scenarios:
// paxos-basic (both phases of single-decree Paxos, narrated), paxos-duel
// (dueling proposers without and with randomised backoff: the intuition
// behind FLP), paxos-acceptor-crash (a minority down: a value is chosen; a
// majority down: nothing is, and nothing unsafe happens) and multipaxos-kv
// (the KV store of the Raft scenarios, unchanged, on Multi-Paxos, through a
// leader crash, with a linearizable history).
//
// Importing the package registers them with package scenarios. Every
// scenario checks the Paxos safety properties after every event (at most
// one value chosen per slot, a chosen value never changes, no acceptor
// accepts below its promise) and fails its run if one breaks.
//
// The package is named for its directory, like the other families
// (scenarios/storage, scenarios/txn); the protocol it runs is
// consensus/paxos, which its files import under the same name: inside this
// package, paxos.X is always the protocol's X.
package paxos
