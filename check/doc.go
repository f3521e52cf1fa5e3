// Package check judges runs: did the system behave as its specification
// says, whatever the network and the crashes did to it?
//
// It offers two kinds of judge.
//
// # Linearizability of client histories
//
// Clients record every operation they issue in a History: when it was
// invoked, what it asked, and, if an answer came back, when and what. A
// history is linearizable if every operation can be given one instant
// between its invocation and its response at which it took effect, such that
// replaying the operations in the order of those instants against a single
// sequential copy of the system gives exactly the answers the clients saw.
// That is the strongest single-object consistency model, the one Raft-backed
// stores promise; CheckKV decides it for key/value histories with the
// porcupine checker (Horn and Kroening's algorithm, as used by the MIT 6.5840
// labs) and can write porcupine's interactive HTML timeline, with the
// injected faults drawn on it (FaultAnnotations).
//
// An operation whose answer never came (the client timed out, the run ended)
// has an unknown outcome: it may have taken effect, at any time after it was
// invoked, or never. As in Jepsen and 6.5840, such an operation is treated as
// returning at the end of the history with an output that matches anything:
// the checker may place it anywhere after its invocation, including after
// every other operation, which is the same as "never happened".
//
// Times in a History are virtual times (time.Duration since the world
// began), taken from the World's clock, never a node's skewed clock: two
// clients whose clocks disagree would otherwise record an order of events
// that never happened.
//
// # Weaker models: sequential and causal consistency
//
// Below linearizability on the ladder of consistency models (seed 003 §3),
// CheckSequential asks only for one total order that keeps each client's own
// order (real time does not count: a read may be stale if everybody agrees on
// the order), and CheckCausal only that causally related writes (one written
// after its writer saw the other) are seen in that order by everyone, while
// concurrent ones may be seen in different orders by different clients. Both
// search exhaustively, for the short histories of tests and scenario rounds;
// models_test.go has the classic examples each admits and refuses.
//
// # Protocol invariants
//
// Raft's safety properties (Raft paper, Figure 3) stated as small checkers
// fed with plain observations, so that they work for any implementation,
// ours or a student's: ElectionSafety (at most one leader per term),
// StateMachineSafety (no two nodes apply different commands at the same
// index), LogMatching and LeaderCompleteness. Run them after every step of
// the world (World.AfterStep) and a violation is caught at the very event
// that caused it. Their errors say what went wrong in a sentence:
//
//	election safety violated: two leaders in term 4: n1 and n3
//
// # Transactional anomalies
//
// CheckTxns judges a history of transactions (TxnHistory: each read
// records whose write it saw) the way Jepsen's Elle does: it builds
// Adya's dependency graph (ww, wr and rw edges between committed
// transactions, DependencyGraph) and reports the phenomena G0, G1a, G1b,
// G1c, G-single and G2, each with its cycle ("G2: T1 -rw(y)-> T2, T2
// -rw(x)-> T1" is write skew). A serializable history has none. The
// isolation-levels scenario runs it on what its store's clients saw.
//
// # Determinism
//
// Everything here is a pure function of its inputs except one thing: the
// porcupine search runs on goroutines under a wall-clock timeout, so with a
// timeout a slow machine may answer Unknown where a fast one answers
// Linearizable. The verdicts Linearizable and NotLinearizable never depend on
// the machine. None of this touches a simulation's trace: a history is
// checked after the run.
package check
