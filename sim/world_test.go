package sim_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type Ping struct{ Seq int }
type Pong struct{ Seq int }
type Tick struct{}

// pinger sends Ping to every peer on each Tick, and answers Pings with Pongs.
type pinger struct {
	pongs int
	ticks int
}

func (p *pinger) Start(env sim.Env) { env.SetTimer(10*time.Millisecond, Tick{}) }

func (p *pinger) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Tick:
		p.ticks++
		for _, peer := range env.Peers() {
			env.Send(peer, Ping{Seq: p.ticks})
		}
		env.SetTimer(10*time.Millisecond, Tick{})
	case Ping:
		env.Send(from, Pong{Seq: m.Seq})
	case Pong:
		p.pongs++
	}
}

func newPingWorld(seed uint64, tracer sim.Tracer) *sim.World {
	w := sim.NewWorld(sim.Config{Seed: seed, Tracer: tracer, Network: jitter{}})
	for _, id := range []sim.NodeID{"n1", "n2", "n3"} {
		w.AddNode(id, func() sim.Node { return &pinger{} })
	}
	return w
}

// jitter delivers after 1–5ms, drawn from the network stream.
type jitter struct{}

func (jitter) Route(_ time.Duration, _, _ sim.NodeID, _ sim.Message, rng *rand.Rand) sim.Fate {
	return sim.Fate{Delay: time.Millisecond + time.Duration(rng.Int64N(int64(4*time.Millisecond)))}
}

func TestSameSeedSameTrace(t *testing.T) {
	run := func(seed uint64) string {
		h := sim.NewHasher()
		w := newPingWorld(seed, h)
		w.RunFor(time.Second)
		require.Greater(t, h.Records(), 1000)
		return h.Sum()
	}
	assert.Equal(t, run(7), run(7), "same seed must give the same trace")
	assert.NotEqual(t, run(7), run(8), "another seed should change the latencies and so the trace")
}

func TestEventsAreOrderedByTimeThenInsertion(t *testing.T) {
	w := sim.NewWorld(sim.Config{})
	var order []string
	w.At(2*time.Millisecond, func() { order = append(order, "b") })
	w.At(time.Millisecond, func() { order = append(order, "a") })
	w.At(2*time.Millisecond, func() { order = append(order, "c") })
	w.RunFor(time.Second)
	assert.Equal(t, []string{"a", "b", "c"}, order)
	assert.Equal(t, time.Second, w.Now(), "RunFor advances the clock to the end of the span")
}

func TestPeersAreSortedAndExcludeClients(t *testing.T) {
	var seen = map[sim.NodeID][]sim.NodeID{}
	record := func() sim.Node {
		return startFunc(func(env sim.Env) { seen[env.ID()] = env.Peers() })
	}
	w := sim.NewWorld(sim.Config{})
	w.AddNode("n3", record)
	w.AddNode("n1", record)
	w.AddClient("c1", record)
	w.AddNode("n2", record)
	w.RunFor(0)
	assert.Equal(t, []sim.NodeID{"n2", "n3"}, seen["n1"])
	assert.Equal(t, []sim.NodeID{"n1", "n2"}, seen["n3"])
	assert.Equal(t, []sim.NodeID{"n1", "n2", "n3"}, seen["c1"], "a client's peers are the members")
}

type startFunc func(env sim.Env)

func (f startFunc) Start(env sim.Env)                        { f(env) }
func (f startFunc) Receive(sim.Env, sim.NodeID, sim.Message) {}

func TestTimersFireAndCancel(t *testing.T) {
	var got []string
	w := sim.NewWorld(sim.Config{})
	w.AddNode("n1", func() sim.Node {
		return &timerNode{onStart: func(env sim.Env) {
			env.SetTimer(5*time.Millisecond, "five")
			id := env.SetTimer(3*time.Millisecond, "three")
			env.SetTimer(1*time.Millisecond, "one")
			env.CancelTimer(id)
			env.CancelTimer(id) // twice is harmless
		}, got: &got}
	})
	w.RunFor(time.Second)
	assert.Equal(t, []string{"one@1ms from n1", "five@5ms from n1"}, got)
	assert.Empty(t, w.Pending())
}

type timerNode struct {
	onStart func(sim.Env)
	got     *[]string
}

func (n *timerNode) Start(env sim.Env) { n.onStart(env) }
func (n *timerNode) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	*n.got = append(*n.got, fmt.Sprintf("%v@%v from %s", msg, env.Now().Sub(sim.Epoch), from))
}

func TestCrashLosesVolatileStateAndTimersButKeepsSyncedDisk(t *testing.T) {
	boots := 0
	fired := 0
	w := sim.NewWorld(sim.Config{LoseUnsyncedWrites: true})
	w.AddNode("n1", func() sim.Node {
		boots++
		return &timerNode{onStart: func(env sim.Env) {
			d := env.Disk()
			if _, ok := d.Get("synced"); !ok {
				d.Put("synced", []byte("kept"))
				d.Sync()
				d.Put("unsynced", []byte("lost"))
			}
			env.SetTimer(time.Second, "late")
		}, got: new([]string)}
	})
	w.AddNode("n2", func() sim.Node { return sim.NodeFunc(func(sim.Env, sim.NodeID, sim.Message) {}) })
	w.AfterStep(func() {})
	w.RunFor(10 * time.Millisecond)
	require.Equal(t, 1, boots)
	require.Len(t, w.Pending(), 1, "the 1s timer is pending")

	w.Crash("n1")
	assert.False(t, w.Up("n1"))
	assert.Nil(t, w.Node("n1"), "a crash throws the node value away")
	assert.Empty(t, w.Pending(), "a crash cancels the node's timers")
	v, ok := w.Disk("n1").Get("synced")
	assert.True(t, ok)
	assert.Equal(t, "kept", string(v))
	_, ok = w.Disk("n1").Get("unsynced")
	assert.False(t, ok, "with LoseUnsyncedWrites, unsynced writes die with the node")

	w.RunFor(2 * time.Second)
	assert.Equal(t, 0, fired)

	w.Restart("n1")
	w.RunFor(0)
	assert.Equal(t, 2, boots, "restart builds a fresh node from the factory")
	assert.True(t, w.Up("n1"))
	assert.Len(t, w.Pending(), 1, "the new incarnation set its own timer")
}

func TestMessagesToACrashedNodeAreDropped(t *testing.T) {
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Tracer: rec})
	w.AddNode("n1", func() sim.Node {
		return startFunc(func(env sim.Env) { env.Send("n2", Ping{Seq: 1}) })
	})
	w.AddNode("n2", func() sim.Node { return sim.NodeFunc(func(sim.Env, sim.NodeID, sim.Message) {}) })
	w.RunFor(0) // both started, ping in flight
	w.Crash("n2")
	w.RunFor(time.Second)
	assert.Equal(t, 1, rec.Count(sim.KindDrop))
	assert.Equal(t, 0, rec.Count(sim.KindDeliver))
	assert.Equal(t, uint64(1), w.Stats().Dropped)
}

func TestExecRunsInTheNodesContext(t *testing.T) {
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Tracer: rec})
	w.AddNode("n1", func() sim.Node { return sim.NodeFunc(func(sim.Env, sim.NodeID, sim.Message) {}) })
	got := 0
	w.AddNode("n2", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) { got = msg.(Ping).Seq })
	})
	w.RunFor(0)
	require.NoError(t, w.Exec("n1", func(_ sim.Node, env sim.Env) { env.Send("n2", Ping{Seq: 42}) }))
	w.RunFor(time.Second)
	assert.Equal(t, 42, got)
	w.Crash("n1")
	assert.ErrorIs(t, w.Exec("n1", func(sim.Node, sim.Env) {}), sim.ErrNodeDown)
	assert.ErrorIs(t, w.Exec("zz", func(sim.Node, sim.Env) {}), sim.ErrUnknownNode)
}

func TestRunUntil(t *testing.T) {
	w := newPingWorld(1, nil)
	ok := w.RunUntil(func() bool { return w.Node("n1").(*pinger).pongs >= 10 }, time.Minute)
	assert.True(t, ok)
	assert.Less(t, w.Now(), time.Minute)
	ok = w.RunUntil(func() bool { return false }, time.Second)
	assert.False(t, ok)
}

func TestTraceLinesReadLikeALog(t *testing.T) {
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Tracer: rec})
	w.AddNode("n1", func() sim.Node {
		return startFunc(func(env sim.Env) { env.Logf("hello"); env.Send("n2", Ping{Seq: 3}) })
	})
	w.AddNode("n2", func() sim.Node { return sim.NodeFunc(func(sim.Env, sim.NodeID, sim.Message) {}) })
	w.RunFor(time.Second)
	assert.Equal(t, []string{
		"0.000ms n1 starts",
		"0.000ms n1: hello",
		"0.000ms n2 starts",
		"1.000ms n1->n2 Ping{Seq:3}",
	}, rec.LinesExcept(sim.KindSend))
}

func TestDiskCopiesValuesAndListsKeysSorted(t *testing.T) {
	d := sim.NewMemDisk()
	buf := []byte("abc")
	d.Put("b", buf)
	buf[0] = 'X'
	d.Put("a", nil)
	d.Sync()
	d.Put("c", []byte("1"))
	d.Delete("a")
	got, _ := d.Get("b")
	assert.Equal(t, "abc", string(got))
	got[0] = 'Y'
	again, _ := d.Get("b")
	assert.Equal(t, "abc", string(again))
	assert.Equal(t, []string{"b", "c"}, d.Keys())
}

// A cancelled timer due inside the span must not let RunFor run an event
// due after it: the clock never overshoots the end of the span.
func TestRunForStopsAtTheEndDespiteCancelledTimers(t *testing.T) {
	var fired []time.Duration
	w := sim.NewWorld(sim.Config{})
	w.AddNode("n1", func() sim.Node {
		return &timerNode{onStart: func(env sim.Env) {
			id := env.SetTimer(5*time.Millisecond, "cancelled")
			env.CancelTimer(id)
			env.SetTimer(15*time.Millisecond, "late")
		}, got: new([]string)}
	})
	w.AfterStep(func() { fired = append(fired, w.Now()) })
	w.RunFor(10 * time.Millisecond)
	assert.Equal(t, 10*time.Millisecond, w.Now())
	assert.Equal(t, []time.Duration{0}, fired, "only the start ran; the 15ms timer waits")
	assert.False(t, w.RunUntil(func() bool { return false }, 2*time.Millisecond))
	assert.Equal(t, 12*time.Millisecond, w.Now())
	w.RunFor(10 * time.Millisecond)
	assert.Equal(t, []time.Duration{0, 15 * time.Millisecond}, fired)
}

// Unsynced writes roll back newest first: a key written twice and deleted
// after the last Sync comes back with its synced value.
func TestCrashRollsBackEveryUnsyncedWrite(t *testing.T) {
	w := sim.NewWorld(sim.Config{LoseUnsyncedWrites: true})
	w.AddNode("n1", func() sim.Node {
		return startFunc(func(env sim.Env) {
			d := env.Disk()
			if _, ok := d.Get("a"); ok {
				return // restarted
			}
			d.Put("a", []byte("1"))
			d.Put("gone", []byte("x"))
			d.Sync()
			d.Put("a", []byte("2"))
			d.Put("a", []byte("3"))
			d.Delete("gone")
			d.Put("new", []byte("y"))
		})
	})
	w.RunFor(0)
	disk := w.Disk("n1")
	assert.Equal(t, []string{"a", "new"}, disk.Keys())
	w.Crash("n1")
	a, _ := disk.Get("a")
	assert.Equal(t, "1", string(a))
	assert.Equal(t, []string{"a", "gone"}, disk.Keys())
}
