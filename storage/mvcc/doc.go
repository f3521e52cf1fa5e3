// Package mvcc is a single-node transactional key/value store with the
// four SQL isolation levels, built the way PostgreSQL and MySQL build
// them: versions of every key (multi-version concurrency control) plus
// locks.
//
//   - Every level takes an exclusive lock on each key it writes and holds
//     it to commit or abort, so no level allows dirty writes (G0).
//   - ReadUncommitted reads the newest version, committed or not: a dirty
//     read, visible as G1a when its writer aborts.
//   - ReadCommitted reads the newest committed version at each read:
//     non-repeatable reads, phantoms and lost updates remain.
//   - RepeatableRead is snapshot isolation: every read sees the committed
//     versions as of the transaction's start; a write to a key someone
//     committed since is refused (first updater wins, ErrSerialization),
//     which stops lost updates. Write skew remains.
//   - Serializable is strict two-phase locking (2PL), not SSI: reads
//     take shared locks, scans take predicate locks on the key prefix,
//     all held to the end; a transaction that would wait in a cycle is
//     aborted (ErrDeadlock).
//
// An operation that must wait for a lock returns *Blocked naming the
// holder; the caller tries it again after another transaction commits or
// aborts (a sim.Node parks the request). History returns what every
// finished transaction read and wrote, in the form check.CheckTxns
// judges, so a run's anomalies can be found from the outside.
package mvcc
