package tui

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/scenarios"
	_ "github.com/dsimlab/dsim/scenarios/catalog" // raft-kv, for the benchmark
)

// Stepping back shows, at every event, the very screen a fresh session
// shows at that event, inside the kept frames and past them (where the run
// is re-executed once and a new window of frames kept); and stepping
// forward again from a frame walks back to the live world.
func TestStepBackThroughTheFramesShowsEveryEventAsItWas(t *testing.T) {
	const top = framesKept + 150
	m := newModel(t, Options{Seed: 2})
	require.NoError(t, m.s.GoTo(top))
	require.Equal(t, uint64(top), m.s.Events())
	ref := newModel(t, Options{Seed: 2})
	for k := uint64(top); k > 0; k-- {
		if k%37 == 0 || k == top || k == top-framesKept || k == top-framesKept+1 {
			require.NoError(t, ref.s.GoTo(k))
			require.Equal(t, screen(ref), screen(m), "event %d", k)
			require.Equal(t, ref.s.Log(logSize), m.s.Log(logSize), "event %d", k)
		}
		ok, err := m.s.Back()
		require.NoError(t, err)
		require.True(t, ok)
	}
	assert.Equal(t, uint64(0), m.s.Events())
	// Forward again, through frames, to where the live world stands.
	for range 40 {
		require.True(t, m.s.Step())
	}
	require.NoError(t, ref.s.GoTo(40))
	assert.Equal(t, screen(ref), screen(m))
	assert.Equal(t, ref.s.World().Now(), m.s.World().Now(), "asking for the world brings it to the event shown")
}

// BenchmarkStepBack steps back, one event a b.N, from the end of a raft-kv
// session 20,000 events long (starting over at 20,000 when event 0 is
// reached, off the clock). It reports the mean cost of a step ("ms/step")
// and the slowest single step ("max-ms"): one re-execution every
// framesKept steps, when the kept frames run out.
func BenchmarkStepBack(b *testing.B) {
	const at = 20000
	sc, err := scenarios.Lookup("raft-kv")
	require.NoError(b, err)
	sc.For = time.Minute // its 10s default has about 15,000 events
	s, err := NewSession(sc, 1)
	require.NoError(b, err)
	m := &Model{s: s, st: newStyles(false), width: 80, height: 24, speed: defaultSpeed}
	require.NoError(b, m.s.GoTo(at))
	require.Equal(b, uint64(at), m.s.Events())
	var worst time.Duration
	b.ResetTimer()
	for range b.N {
		if m.s.Events() == 0 {
			b.StopTimer()
			require.NoError(b, m.s.GoTo(at))
			b.StartTimer()
		}
		start := time.Now()
		if _, err := m.s.Back(); err != nil {
			b.Fatal(err)
		}
		m.render() // what the key press costs on screen
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/step")
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
}
