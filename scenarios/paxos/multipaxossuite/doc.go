// Package multipaxossuite grades a Multi-Paxos replica: ours, or a
// student's. The replica (an rsm.Replica) orders the commands of the same
// key/value store the Raft scenarios use (storage/kv behind rsm.Server,
// with its duplicate detection), five servers for three clients that
// append and read over five keys. Each test plays faults against that
// service, heals them, and judges what the clients saw:
//
//   - linearizable: the whole history passes porcupine (check.CheckKV);
//   - exactly once: every acknowledged append is in its key's final value
//     exactly once (check.AppendsApplied): nothing acknowledged is lost,
//     nothing retried is applied twice;
//   - progress: the clients completed a fair number of operations.
//
// The tests: Basic (no faults), LeaderCrash (every server in turn crashes
// for a second and restarts, so some leader dies with work in flight),
// Partition (every server in turn is cut off for a second: a leader on the
// minority side must not decide alone), Unreliable (loss, duplicates and
// reordering) and RestartAll (every server crashes at once and restarts
// from its disk). Homework grades them as parts A (Basic), B (LeaderCrash,
// Partition, RestartAll) and C (Unreliable), refusing dsim's own
// multipaxos.Node. Broken variants in multipaxos.NewBroken show each
// escape class is caught.
package multipaxossuite
