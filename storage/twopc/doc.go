// Package twopc is two-phase commit: one coordinator and a set of
// participants that must all commit a transaction or all abort it.
//
// # The protocol
//
// Phase one, voting. The coordinator logs the transaction (who takes part,
// what each writes) and sends each participant a Prepare. A participant
// that can commit its part locks the key, writes a prepared record to its
// Disk, syncs, and only then answers Vote{Yes: true}: from that moment it
// has promised to commit if told to, even after a crash, so the promise
// must be durable before it is made. A participant that cannot (the key is
// locked by another transaction) votes no.
//
// Phase two, decision. With a yes from everyone the coordinator decides
// Commit; with any no, or when the votes do not all arrive within
// Config.VoteTimeout, it decides Abort. It logs the decision and syncs
// before telling anyone: the log, not the messages, is the truth. It then
// sends the decision to every participant, again and again until each has
// answered Ack. A participant applies the decision, releases its lock,
// records the outcome and acknowledges.
//
// # The blocking problem
//
// A participant that voted yes is uncertain: it may not abort (the
// coordinator may have decided Commit, and others may have committed) and
// it may not commit (someone may have voted no). Until it hears the
// decision it can only wait, holding its locks, asking the coordinator now
// and then (DecisionRequest). If the coordinator is down, every transaction
// that needs one of those keys is refused for as long as the coordinator is
// down. This is the blocking problem of 2PC, and scenario 2pc-coordinator-crash
// shows it. Before voting, a participant is free: it can refuse, and the
// coordinator's vote timeout aborts a transaction whose votes do not come.
//
// # Recovery
//
// A restarted coordinator reads its log. A transaction with a logged
// decision gets that decision sent again; a transaction that was begun but
// never decided is aborted (nobody can have committed it: Commit is only
// ever sent after it is logged). A participant that asks about a
// transaction the coordinator has no record of is told Abort: presumed
// abort. A restarted participant reads its prepared records, takes its
// locks back and resumes asking.
//
// Every handler is deterministic and touches the world only through
// sim.Env, so a run is a pure function of its seed. CheckAtomicity reads
// the participants' disks after a run and says whether the transaction was
// atomic.
package twopc
