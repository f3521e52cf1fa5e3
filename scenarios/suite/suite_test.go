package suite

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordKeepsFailuresAndStopsAtFatal(t *testing.T) {
	failed, msgs := Record("x", func(t T) {
		t.Logf("one")
		t.Errorf("two %d", 2)
		t.Fatalf("three")
		t.Logf("never")
	})
	assert.True(t, failed)
	assert.Equal(t, []string{"one", "two 2", "three"}, msgs)

	failed, msgs = Record("y", func(t T) { t.Logf("fine") })
	assert.False(t, failed)
	assert.Equal(t, []string{"fine"}, msgs)

	failed, msgs = Record("z", func(T) { panic("boom") })
	assert.True(t, failed)
	require.Len(t, msgs, 1)
	assert.True(t, strings.HasPrefix(msgs[0], "panic: boom\n"), msgs[0])
	assert.Contains(t, msgs[0], "suite_test.go", "the panic names where it happened")
}

func TestReplayCommandNamesThePackageAndTheTest(t *testing.T) {
	assert.Equal(t, `go test ./scenarios/suite -run '^TestRaft$/^Figure8$/^seed=3$' -count=1`, ReplayCommand("TestRaft/Figure8/seed=3"))
	assert.Equal(t, `DSIM_SEED=4 go test ./scenarios/suite -run '^TestRaft$/^A$/^InitialElection$' -count=1`, ReplayCommand("TestRaft/A/InitialElection/DSIM_SEED=4"))
}
