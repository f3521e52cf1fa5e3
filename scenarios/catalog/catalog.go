// Package catalog gathers every scenario package, so that importing it
// registers every scenario dsim has: `dsim list`, the TUI and sweeps see
// them all. Scenario families live in their own packages (scenarios for the
// kernel and Raft stories; subpackages for the others), each registering
// itself in init with scenarios.Register.
//
// Its test checks the promise every scenario keeps: same seed, same trace.
package catalog

import (
	_ "github.com/dsimlab/dsim/scenarios"             // broadcast, lamport, raft-*
	_ "github.com/dsimlab/dsim/scenarios/consistency" // consistency-models, pacelc, cap-exercise
	_ "github.com/dsimlab/dsim/scenarios/data"        // broker-queue-vs-log, idempotent-consumer, outbox, ...
	_ "github.com/dsimlab/dsim/scenarios/edge"        // api-gateway, service-mesh, zero-trust, jwt-alg-confusion, byzantine
	_ "github.com/dsimlab/dsim/scenarios/failures"    // fallacy-*, gray-failure
	_ "github.com/dsimlab/dsim/scenarios/paxos"       // paxos-*, multipaxos-kv
	_ "github.com/dsimlab/dsim/scenarios/storage"     // consistent-hashing, quorum-*, cap
	_ "github.com/dsimlab/dsim/scenarios/txn"         // 2pc*, saga, replication, sharding
	_ "github.com/dsimlab/dsim/scenarios/web"         // cdn, web-scale, auth, breaker-cascade, ...
)
