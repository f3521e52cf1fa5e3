package network_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestZeroConfigIsAReliableOneMillisecondNetwork(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2")
	l.send("n1", "n2", 1)
	l.w.RunFor(time.Second)
	require.Len(t, l.got, 1)
	assert.Equal(t, time.Millisecond, l.got[0].At, "sent at 0, the default link takes exactly 1ms")
}

func TestPartitionStopsDeliveryAcrossGroupsAndHealRestores(t *testing.T) {
	l := newLab(t, network.Config{}, five...)
	all := pairs(five, func(_, _ sim.NodeID) bool { return true })
	require.Equal(t, all, l.sendAll(), "before the partition everyone reaches everyone")

	require.NoError(t, l.m.Partition([]sim.NodeID{"n1", "n2"}, []sim.NodeID{"n3", "n4", "n5"}))
	side := func(id sim.NodeID) bool { return id == "n1" || id == "n2" }
	assert.Equal(t, pairs(five, func(a, b sim.NodeID) bool { return side(a) == side(b) }), l.sendAll(),
		"only messages within a group get through")
	assert.Equal(t, 12, l.dropReasons()["partition"], "2·3 + 3·2 messages cross the partition and are dropped")

	l.m.Heal()
	assert.Equal(t, all, l.sendAll(), "after heal everyone reaches everyone again")
	assert.Equal(t, []string{"partition {n1,n2} | {n3,n4,n5}", "heal"}, l.faults())
}

func TestNodesNamedInNoGroupFormOneGroup(t *testing.T) {
	l := newLab(t, network.Config{}, five...)
	require.NoError(t, l.m.Partition([]sim.NodeID{"n1"}))
	assert.Equal(t, pairs(five, func(a, b sim.NodeID) bool { return a != "n1" && b != "n1" }), l.sendAll(),
		"n1 is cut off; n2..n5 still talk among themselves")
	assert.Equal(t, []string{"partition {n1} | {n2,n3,n4,n5}"}, l.faults())
}

func TestPartitionRejectsANodeInTwoGroups(t *testing.T) {
	l := newLab(t, network.Config{}, five...)
	err := l.m.Partition([]sim.NodeID{"n1", "n2"}, []sim.NodeID{"n2", "n3"})
	assert.ErrorContains(t, err, "n2 is in two groups")
	assert.Len(t, l.sendAll(), 20, "a rejected partition changes nothing")
}

func TestCutIsOneWay(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2", "n3")
	require.NoError(t, l.m.Cut("n1", "n2"))
	got := l.sendAll()
	assert.False(t, got["n1->n2"], "n1's messages to n2 are cut")
	assert.True(t, got["n2->n1"], "n2's messages to n1 still arrive")
	assert.Len(t, got, 5, "every other link works")
	assert.Equal(t, map[string]int{"cut": 1}, l.dropReasons())
}

func TestIsolateCutsANodeOffBothWays(t *testing.T) {
	l := newLab(t, network.Config{}, five...)
	require.NoError(t, l.m.Isolate("n3"))
	assert.Equal(t, pairs(five, func(a, b sim.NodeID) bool { return a != "n3" && b != "n3" }), l.sendAll())
	assert.Equal(t, 8, l.dropReasons()["isolated"])
	l.m.Heal()
	assert.Len(t, l.sendAll(), 20)
}

// quietWorld is a two-node world without a trace, for runs of many
// messages: n1 sends, n2 records sequence numbers in arrival order.
func quietWorld(t *testing.T, m *network.Model) (*sim.World, *[]int) {
	t.Helper()
	var got []int
	w := sim.NewWorld(sim.Config{Seed: 3, Network: m})
	w.AddNode("n1", func() sim.Node { return sim.NodeFunc(func(sim.Env, sim.NodeID, sim.Message) {}) })
	w.AddNode("n2", func() sim.Node {
		return sim.NodeFunc(func(_ sim.Env, _ sim.NodeID, msg sim.Message) { got = append(got, msg.(Seq).N) })
	})
	w.RunFor(0)
	return w, &got
}

// burst sends n messages from n1 to n2, one every gap.
func burst(t *testing.T, w *sim.World, n int, gap time.Duration) {
	t.Helper()
	for i := range n {
		require.NoError(t, w.Exec("n1", func(_ sim.Node, env sim.Env) { env.Send("n2", Seq{N: i}) }))
		w.RunFor(gap)
	}
	w.RunFor(time.Minute)
}

func TestMeasuredLossRateMatchesTheSetting(t *testing.T) {
	const n, p = 100_000, 0.1
	m := network.MustNew(network.Config{Link: network.LinkConfig{Loss: p}})
	w, got := quietWorld(t, m)
	burst(t, w, n, 0)
	rate := float64(w.Stats().Dropped) / n
	// The drop count is binomial: its standard deviation is sqrt(p(1-p)/n),
	// about 0.001 here; allow five of them.
	assert.InDelta(t, p, rate, 5*math.Sqrt(p*(1-p)/n), "measured loss rate")
	assert.Equal(t, n-int(w.Stats().Dropped), len(*got), "every message not dropped arrives")
}

func TestLossOnOneLinkOnly(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2", "n3")
	require.NoError(t, l.m.SetLoss(network.Link{From: "n1", To: "n2"}, 1))
	got := l.sendAll()
	assert.False(t, got["n1->n2"])
	assert.Len(t, got, 5)
	assert.Equal(t, map[string]int{"loss": 1}, l.dropReasons())

	require.NoError(t, l.m.SetLoss(network.AllLinks, 0))
	assert.Len(t, l.sendAll(), 6, "setting all links replaces the per-link override")
}

func TestDuplicatesArrive(t *testing.T) {
	const n, p = 20_000, 0.2
	m := network.MustNew(network.Config{Link: network.LinkConfig{Duplicate: p}})
	w, got := quietWorld(t, m)
	burst(t, w, n, 0)
	dups := int(w.Stats().Duplicated)
	assert.InDelta(t, p*n, float64(dups), 5*math.Sqrt(p*(1-p)*n), "duplicated messages")
	assert.Equal(t, n+dups, len(*got), "each duplicate is delivered as a second copy")
}

// inversions counts adjacent pairs that arrived out of send order.
func inversions(seqs []int) int {
	n := 0
	for i := 1; i < len(seqs); i++ {
		if seqs[i] < seqs[i-1] {
			n++
		}
	}
	return n
}

func TestFIFOLinksNeverReorderButReorderingLinksDo(t *testing.T) {
	jittery := network.Uniform{Min: time.Millisecond, Max: 50 * time.Millisecond}
	for _, reorder := range []bool{false, true} {
		m := network.MustNew(network.Config{Link: network.LinkConfig{Latency: jittery, Reorder: reorder, Duplicate: 0.1}})
		w, got := quietWorld(t, m)
		burst(t, w, 2000, time.Millisecond)
		require.Greater(t, len(*got), 2000)
		if reorder {
			assert.Greater(t, inversions(*got), 100, "with 1–50ms jitter and a message every 1ms, many overtake each other")
		} else {
			assert.Zero(t, inversions(*got), "a FIFO link delivers in send order, duplicates included")
		}
	}
}

func TestFIFOHoldsAcrossALatencyDrop(t *testing.T) {
	l := newLab(t, network.Config{Link: network.LinkConfig{Latency: network.Constant(100 * time.Millisecond)}}, "n1", "n2")
	l.send("n1", "n2", 1)
	require.NoError(t, l.m.SetLatency(network.AllLinks, network.Constant(time.Millisecond)))
	l.send("n1", "n2", 2)
	l.w.RunFor(time.Second)
	require.Len(t, l.got, 2)
	assert.Equal(t, []int{1, 2}, []int{l.got[0].N, l.got[1].N}, "the fast second message waits for the slow first one")
	assert.Equal(t, l.got[0].At, l.got[1].At)
}

func TestSlowNodeAddsLatencyBothWays(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2", "n3")
	require.NoError(t, l.m.Slow("n3", network.Constant(20*time.Millisecond)))
	l.send("n1", "n2", 1)
	l.send("n1", "n3", 2)
	l.send("n3", "n1", 3)
	l.w.RunFor(time.Second)
	at := map[int]time.Duration{}
	for _, a := range l.got {
		at[a.N] = a.At
	}
	assert.Equal(t, map[int]time.Duration{1: time.Millisecond, 2: 21 * time.Millisecond, 3: 21 * time.Millisecond}, at)
	assert.Equal(t, []string{"slow n3 +20ms"}, l.faults())
}

func TestBandwidthQueuesABurst(t *testing.T) {
	// 1000 bytes/s and 100-byte messages: each takes 100ms to transmit.
	l := newLab(t, network.Config{Link: network.LinkConfig{Bandwidth: 1000}, MessageSize: 100}, "n1", "n2")
	for i := range 3 {
		l.send("n1", "n2", i)
	}
	l.w.RunFor(time.Second)
	var at []time.Duration
	for _, a := range l.got {
		at = append(at, a.At)
	}
	assert.Equal(t, []time.Duration{101 * time.Millisecond, 201 * time.Millisecond, 301 * time.Millisecond}, at,
		"messages queue behind each other, then take the 1ms latency")
}

func TestClockSkewShowsInNow(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2")
	require.NoError(t, l.m.Skew("n1", 50*time.Millisecond))
	l.w.RunFor(time.Second)
	now := func(id sim.NodeID) (t0 time.Time) {
		require.NoError(t, l.w.Exec(id, func(_ sim.Node, env sim.Env) { t0 = env.Now() }))
		return t0
	}
	assert.Equal(t, 50*time.Millisecond, now("n1").Sub(now("n2")), "n1's clock is 50ms ahead")
	assert.Equal(t, sim.Epoch.Add(time.Second), now("n2"), "n2's clock is true time")
}

func TestDriftMovesTimersInTrueTime(t *testing.T) {
	for _, tc := range []struct {
		ppm   int64
		fires time.Duration // in true time, for a 1s timer
	}{
		{0, time.Second},
		{+100_000, 909_090_910}, // a clock 10% fast counts to 1s in 1/1.1 s (rounded up)
		{-100_000, 1_111_111_111},
	} {
		l := newLab(t, network.Config{}, "n1")
		require.NoError(t, l.m.Drift("n1", tc.ppm))
		l.w.RunFor(time.Second) // let the drift build up, so the timer starts off true time
		set := l.m.LocalTime("n1", l.w.Now())
		require.NoError(t, l.w.Exec("n1", func(_ sim.Node, env sim.Env) { env.SetTimer(time.Second, Seq{}) }))
		// The NodeFunc records timers too: from == the node itself.
		l.w.RunFor(2 * time.Second)
		require.Len(t, l.got, 1)
		assert.Equal(t, tc.fires, l.got[0].At-time.Second, "drift %+dppm: when the 1s timer fires, in true time", tc.ppm)
		assert.GreaterOrEqual(t, l.m.LocalTime("n1", l.got[0].At)-set, time.Second, "on its own clock the node waited the full second")
	}
}

func TestDriftAccumulatesWithoutJumps(t *testing.T) {
	l := newLab(t, network.Config{}, "n1")
	require.NoError(t, l.m.Drift("n1", 200))
	l.w.RunFor(10 * time.Second)
	assert.Equal(t, 10*time.Second+2*time.Millisecond, l.m.LocalTime("n1", l.w.Now()), "+200ppm gains 0.2ms a second")
	require.NoError(t, l.m.Drift("n1", 0))
	assert.Equal(t, 10*time.Second+2*time.Millisecond, l.m.LocalTime("n1", l.w.Now()), "stopping the drift keeps the time gained")
	l.w.RunFor(10 * time.Second)
	assert.Equal(t, 20*time.Second+2*time.Millisecond, l.m.LocalTime("n1", l.w.Now()))
}

func TestResetRestoresTheConfiguredNetwork(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2", "n3")
	require.NoError(t, l.m.SetLoss(network.AllLinks, 1))
	require.NoError(t, l.m.Cut("n2", "n3"))
	require.NoError(t, l.m.Slow("n1", network.Constant(time.Second)))
	require.NoError(t, l.m.Skew("n1", time.Second))
	assert.Empty(t, l.sendAll())
	l.m.Reset()
	assert.Len(t, l.sendAll(), 6)
	for _, a := range l.got {
		assert.Equal(t, l.got[0].At, a.At, "no slow node: every message of the round takes the same 1ms")
	}
	assert.Equal(t, "links: latency 1ms, loss 0, duplicate 0, fifo, bandwidth unlimited\nclock n1: offset +1s at 0s, drift +0ppm\n",
		l.m.String(), "reset leaves clocks alone")
}

func TestBadSettingsAreErrors(t *testing.T) {
	m := network.MustNew(network.Config{})
	for name, err := range map[string]error{
		"loss above 1":        m.SetLoss(network.AllLinks, 1.5),
		"loss NaN":            m.SetLoss(network.AllLinks, math.NaN()),
		"duplicate negative":  m.SetDuplicate(network.AllLinks, -0.1),
		"half a link":         m.SetLoss(network.Link{From: "n1"}, 0.1),
		"uniform upside down": m.SetLatency(network.AllLinks, network.Uniform{Min: 5, Max: 1}),
		"nil latency":         m.SetLatency(network.AllLinks, nil),
		"pareto alpha":        m.SetLatency(network.AllLinks, network.Pareto{Min: 1, Alpha: 0.1}),
		"drift too big":       m.Drift("n1", 2_000_000),
		"negative bandwidth":  m.SetBandwidth(network.AllLinks, -1),
	} {
		assert.Error(t, err, name)
	}
	_, err := network.New(network.Config{Link: network.LinkConfig{Loss: 2}})
	assert.ErrorContains(t, err, "loss probability 2")
}

func TestStringDescribesTheFaults(t *testing.T) {
	l := newLab(t, network.Config{}, five...)
	require.NoError(t, l.m.Partition([]sim.NodeID{"n1", "n2"}))
	require.NoError(t, l.m.Cut("n3", "n4"))
	require.NoError(t, l.m.SetLoss(network.Link{From: "n4", To: "n5"}, 0.25))
	require.NoError(t, l.m.Slow("n5", network.Uniform{Min: time.Millisecond, Max: 9 * time.Millisecond}))
	want := []string{
		"links: latency 1ms, loss 0, duplicate 0, fifo, bandwidth unlimited",
		"link n4->n5: loss 0.25",
		"partition {n1,n2} | {n3,n4,n5}",
		"cut n3 -> n4",
		"slow n5 +uniform(1ms,9ms)",
		"",
	}
	assert.Equal(t, want, strings.Split(l.m.String(), "\n"))
	assert.Equal(t, []string{
		"partition {n1,n2} | {n3,n4,n5}", "cut n3 -> n4", "loss 0.25 on n4->n5", "slow n5 +uniform(1ms,9ms)",
	}, l.faults())
}
