package suite

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
	assert.Equal(t, []string{"panic: boom"}, msgs)
}

func TestReplayCommandNamesThePackageAndTheTest(t *testing.T) {
	assert.Equal(t, `go test ./scenarios/suite -run '^TestRaft$/^Figure8$/^seed=3$' -count=1`, ReplayCommand("TestRaft/Figure8/seed=3"))
}
