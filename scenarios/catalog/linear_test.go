package catalog

import (
	"runtime"
	"testing"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/require"
)

// runCost runs a scenario for span of virtual time, tracing into a hasher
// as dsim run does, and reports the bytes it allocated and the bytes still
// live when the run is over (before its final checks).
func runCost(t *testing.T, name string, span time.Duration) (allocated, live uint64) {
	t.Helper()
	s, err := scenarios.Lookup(name)
	require.NoError(t, err)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	run, err := scenarios.Start(s, scenarios.Options{Seed: 1, For: span, Tracer: sim.NewHasher()})
	require.NoError(t, err)
	run.Complete()
	runtime.GC()
	runtime.ReadMemStats(&after)
	res := run.Finish()
	require.NoError(t, res.Err, "%s for %v", name, span)
	return after.TotalAlloc - before.TotalAlloc, after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
}

// A long run costs in proportion to its length: the bytes a scenario
// allocates, and the bytes it keeps, per second of virtual time, stay
// about the same when the run is four times longer. An append workload
// whose values grow without bound fails this (each read answers the whole
// value, so a run four times longer allocated over ten times as much).
// Not parallel: it reads the process's allocation counters.
func TestLongRunsCostLinearMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs raft-kv for 150s of virtual time")
	}
	cases := []struct {
		name        string
		short, long time.Duration
	}{
		{"raft-kv", 30 * time.Second, 120 * time.Second},
		{"multipaxos-kv", 10 * time.Second, 40 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			aShort, lShort := runCost(t, tc.name, tc.short)
			aLong, lLong := runCost(t, tc.name, tc.long)
			perSec := func(b uint64, d time.Duration) float64 { return float64(b) / d.Seconds() }
			t.Logf("allocated %.0f KB/s over %v, %.0f KB/s over %v; live %.0f KB/s, %.0f KB/s",
				perSec(aShort, tc.short)/1024, tc.short, perSec(aLong, tc.long)/1024, tc.long,
				perSec(lShort, tc.short)/1024, perSec(lLong, tc.long)/1024)
			require.LessOrEqual(t, perSec(aLong, tc.long), 1.5*perSec(aShort, tc.short),
				"allocation per virtual second grows with the run's length")
			require.LessOrEqual(t, perSec(lLong, tc.long), 1.5*perSec(lShort, tc.short)+64<<10,
				"memory kept per virtual second grows with the run's length")
		})
	}
}
