// Package data holds the scenarios about messaging and data: a work queue
// against a partitioned log (broker-queue-vs-log), at-least-once delivery
// and the idempotent consumer (idempotent-consumer), the transactional
// outbox (outbox), event sourcing (event-sourcing), CQRS and its lagging
// read model (cqrs), isolation levels and their anomalies
// (isolation-levels), multi-leader replication with last-writer-wins and
// CRDTs (multi-leader), read replicas (read-replicas), and backups with
// point-in-time restore (backup-restore).
//
// Every scenario is built from sim.Nodes of storage/broker,
// storage/eventstore, storage/mvcc and storage/crdt, or small nodes of its
// own here; each checks its lesson at the end and fails with Result.Err
// when the run did not show it. Its summary lines are counted from the
// nodes' state and disks after the run, never assumed from the script.
package data
