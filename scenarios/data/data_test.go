package data

import (
	"fmt"
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/scenariotest"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var metric = scenariotest.Metric

func run(t *testing.T, name string, seed uint64, knobs ...string) scenarios.Result {
	t.Helper()
	k := scenarios.Knobs{}
	for i := 0; i+1 < len(knobs); i += 2 {
		k[knobs[i]] = knobs[i+1]
	}
	return scenariotest.Run(t, name, scenarios.Options{Seed: seed, Knobs: k})
}

// Same seed, same trace, for every scenario of the family.
func TestDeterministic(t *testing.T) {
	for _, name := range []string{"idempotent-consumer", "outbox", "event-sourcing", "cqrs", "broker-queue-vs-log", "read-replicas", "multi-leader", "backup-restore", "isolation-levels"} {
		t.Run(name, func(t *testing.T) {
			s, err := scenarios.Lookup(name)
			require.NoError(t, err)
			scenariotest.CheckDeterministic(t, s)
		})
	}
}

// A consumer crashes between the business change and the ack: the
// payment is delivered again. Without deduplication, or with the
// processed id written in a second step, it is applied twice; with the id
// in the same transaction, once.
func TestIdempotentConsumer(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "idempotent-consumer", seed)
		require.NoError(t, res.Err)
		assert.Equal(t, 3.0, metric(t, res, "none_applied_twice"), "one double payment per crash")
		assert.Equal(t, 3.0, metric(t, res, "after_applied_twice"), "the id written after the change is lost with the crash")
		assert.Zero(t, metric(t, res, "atomic_applied_twice"))
		assert.Zero(t, metric(t, res, "atomic_excess"))
		assert.GreaterOrEqual(t, metric(t, res, "atomic_redelivered"), 3.0, "the atomic consumer saw the same redeliveries")
		for _, k := range []string{"none", "after", "atomic"} {
			assert.Zero(t, metric(t, res, k+"_missing"), "%s: at-least-once loses nothing", k)
		}
	}
	// No crash, no duplicate, whatever the consumer.
	res := run(t, "idempotent-consumer", 1, "crashes", "0")
	require.NoError(t, res.Err)
	assert.Zero(t, metric(t, res, "none_applied_twice"))
}

// Dual write loses events or invents them; the outbox does neither, and
// the consumer absorbs the relay's duplicates.
func TestOutbox(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "outbox", seed)
		require.NoError(t, res.Err)
		assert.GreaterOrEqual(t, metric(t, res, "commit_first_lost"), 3.0, "an event lost per crash")
		assert.Zero(t, metric(t, res, "commit_first_ghost"))
		assert.Equal(t, 3.0, metric(t, res, "publish_first_ghost"), "one ghost per rolled-back order (30/8)")
		assert.Zero(t, metric(t, res, "outbox_lost")+metric(t, res, "outbox_ghost"))
		assert.GreaterOrEqual(t, metric(t, res, "outbox_published_twice"), 3.0)
		assert.Zero(t, metric(t, res, "outbox_applied_twice"))
	}
}

// The seed's account: 80 after three events; crashes lose only what was
// never acknowledged; snapshots bound the rebuild.
func TestEventSourcing(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "event-sourcing", seed)
		require.NoError(t, res.Err)
		assert.Equal(t, 2.0, metric(t, res, "crashes"))
		assert.Positive(t, metric(t, res, "refused"), "the command side refused an overdraft")
		assert.Zero(t, metric(t, res, "min_balance"), "never below zero (it starts at zero)")
		assert.Less(t, metric(t, res, "max_replayed"), 10.0)
	}
	// A snapshot after every event: a rebuild replays nothing.
	res := run(t, "event-sourcing", 1, "snapshot-every", "1")
	require.NoError(t, res.Err)
	assert.Zero(t, metric(t, res, "max_replayed"))
}

// Reading the query side right after a write misses it for the lag; the
// write side and waiting for the position never do; a rebuilt read model
// equals the live one.
func TestCQRS(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "cqrs", seed)
		require.NoError(t, res.Err)
		assert.Greater(t, metric(t, res, "query_stale"), 10.0, "most of 20 reads miss their write with a 100ms lag")
		assert.Zero(t, metric(t, res, "write_stale")+metric(t, res, "wait_stale"))
		assert.Greater(t, metric(t, res, "wait_read_latency"), 20.0, "waiting costs about the lag")
		assert.Equal(t, 3.0, metric(t, res, "rebuilt_equal"))
	}
	fast := run(t, "cqrs", 1, "lag", "2ms")
	require.NoError(t, fast.Err)
	assert.Less(t, metric(t, fast, "query_stale"), 10.0, "a short lag, fewer violations")
}

// Both brokers deliver at least once; only the queue reorders a user's
// messages; only the log can be read again.
func TestBrokerQueueVsLog(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "broker-queue-vs-log", seed)
		require.NoError(t, res.Err)
		assert.Positive(t, metric(t, res, "queue_redelivered"))
		assert.Positive(t, metric(t, res, "queue_applied_twice"))
		assert.Positive(t, metric(t, res, "log_applied_twice"), "the uncommitted batch is read again")
		assert.Positive(t, metric(t, res, "queue_reordered_in_key"))
		assert.Zero(t, metric(t, res, "log_reordered_in_key"))
		assert.Zero(t, metric(t, res, "queue_replayed"), "acknowledged messages are gone")
		assert.Equal(t, 40.0, metric(t, res, "log_replayed"))
	}
}

// Reads scale with followers; reading any follower right after a write
// misses it; a session token or the leader does not.
func TestReadReplicas(t *testing.T) {
	for _, seed := range scenariotest.Seeds[:2] {
		res := run(t, "read-replicas", seed)
		require.NoError(t, res.Err)
		for _, n := range []float64{1, 2, 4, 8} {
			assert.InDelta(t, 100*n, metric(t, res, fmt.Sprintf("followers%.0f_read_throughput", n)), 5*n, "100 reads/s per follower")
		}
		assert.Greater(t, metric(t, res, "any_ryw_violations"), 10.0, "most of 30 reads come before the next shipment")
		assert.Zero(t, metric(t, res, "token_ryw_violations")+metric(t, res, "leader_ryw_violations"))
		assert.Less(t, metric(t, res, "token_leader_reads"), 30.0, "the token sends only the reads of lagging followers to the leader")
		assert.Positive(t, metric(t, res, "stale_reads"))
	}
	// Shipping every millisecond: followers hardly lag.
	res := run(t, "read-replicas", 1, "lag", "1ms")
	require.NoError(t, res.Err)
	assert.Less(t, metric(t, res, "any_ryw_violations"), 10.0)
}

// Last-writer-wins loses concurrent updates, and with a skewed clock the
// older write wins; the CRDTs keep every update.
func TestMultiLeader(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "multi-leader", seed)
		require.NoError(t, res.Err)
		assert.Positive(t, metric(t, res, "lww_likes_lost"))
		assert.Zero(t, metric(t, res, "pn_likes_lost"))
		assert.Zero(t, metric(t, res, "orset_cart_wrong"))
		assert.Equal(t, 1.0, metric(t, res, "name_lost"))
		assert.Equal(t, 1.0, metric(t, res, "older_name_won"), "Tokyo's clock is ahead")
	}
	res := run(t, "multi-leader", 1, "skew", "0s")
	require.NoError(t, res.Err)
	assert.Equal(t, 1.0, metric(t, res, "name_lost"), "without skew a concurrent write is still lost")
	assert.Zero(t, metric(t, res, "older_name_won"))
}

// Backup plus WAL restores to any moment; a backup alone loses what came
// after it; a lagging replica's backup lacks acknowledged writes; a
// corrupt backup is found when a restore reads it.
func TestBackupRestore(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "backup-restore", seed)
		require.NoError(t, res.Err)
		assert.Zero(t, metric(t, res, "pitr_lost"))
		assert.Positive(t, metric(t, res, "backup_lost"))
		assert.Zero(t, metric(t, res, "backup_lost_acked_before_backup"))
		assert.Positive(t, metric(t, res, "replica_lost_acked_before_backup"))
		assert.Equal(t, 1.0, metric(t, res, "pitr_rejected_backups"), "the rotten backup is found at restore time")
	}
	res := run(t, "backup-restore", 1, "corrupt", "false")
	require.NoError(t, res.Err)
	assert.Zero(t, metric(t, res, "pitr_rejected_backups"))
	assert.Zero(t, metric(t, res, "pitr_lost"))
}

// Read uncommitted lets all five anomalies through, read committed four,
// snapshot isolation only write skew, 2PL none; the checker finds each
// one that happened and nothing else.
func TestIsolationLevels(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "isolation-levels", seed)
		require.NoError(t, res.Err)
		for level, want := range map[string]float64{"ru": 5, "rc": 4, "rr": 1, "ser": 0} {
			assert.Equal(t, want, metric(t, res, level+"_anomalies_observed"), level)
			assert.Equal(t, want, metric(t, res, level+"_checker_found"), level)
		}
	}
}

// The TUI's cards: halfway through each run, every node that can describe
// itself does, with the state that matters for its lesson.
func TestInspectShowsState(t *testing.T) {
	want := map[string]map[string]string{ // scenario -> node -> a key its card must show
		"idempotent-consumer": {"queue-atomic": "depth", "consumer-atomic": "ledger"},
		"outbox":              {"orders-outbox": "relay in flight", "queue-outbox": "in flight"},
		"event-sourcing":      {"account": "rebuilt from"},
		"cqrs":                {"read-model": "projection lag mean", "write-model": "log position"},
		"broker-queue-vs-log": {"log": "committed billing", "queue": "redelivered", "l1": "offsets"},
		"read-replicas":       {"c-f1": "applied LSN", "client-token": "session token (LSN)"},
		"multi-leader":        {"tokyo": "likes (PN-counter)"},
		"backup-restore":      {"archive": "backups", "primary": "archived up to"},
		"isolation-levels":    {"db-ser": "locks"},
	}
	for name, nodes := range want {
		t.Run(name, func(t *testing.T) {
			s, err := scenarios.Lookup(name)
			require.NoError(t, err)
			r, err := scenarios.Start(s, scenarios.Options{Seed: 1})
			require.NoError(t, err)
			r.World.RunFor(s.For / 3)
			for _, id := range r.World.Nodes() {
				n := r.World.Node(id)
				in, ok := n.(sim.Inspector)
				if !ok {
					continue
				}
				got := in.Inspect()
				assert.NotEmpty(t, got, "%s", id)
				if key, ok := nodes[string(id)]; ok {
					assert.Contains(t, got, key, "%s's card", id)
				}
			}
		})
	}
}
