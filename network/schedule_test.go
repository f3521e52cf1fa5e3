package network_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

const example = `# dsim fault schedule
1s partition n1 n2 | n3 n4 n5
1.5s cut n1 -> n2
2s isolate n3
3s heal
3s loss 0.1
3s loss n1 -> n2 0.5   # a bad cable
4s crash n2
5s restart n2
6s skew n1 +50ms
6s drift n1 +200ppm
7s slow n4 20ms
7.5s slow n4 off
8s duplicate 0.05
8s delay uniform(1ms, 5ms)
8s delay n2->n3 pareto(1ms,1.5)
9s reorder on
9s bandwidth n1 -> n2 125000
10s reset
`

func TestParseScheduleReadsTheExample(t *testing.T) {
	s, err := network.ParseSchedule(strings.NewReader(example))
	require.NoError(t, err)
	require.Len(t, s, 18)
	assert.Equal(t, network.Event{At: time.Second, Action: network.Partition{Groups: [][]sim.NodeID{{"n1", "n2"}, {"n3", "n4", "n5"}}}}, s[0])
	assert.Equal(t, network.Event{At: 3 * time.Second, Action: network.Loss{Link: network.Link{From: "n1", To: "n2"}, P: 0.5}}, s[5])
	assert.Equal(t, network.Event{At: 6 * time.Second, Action: network.Drift{Node: "n1", PPM: 200}}, s[9])
	assert.Equal(t, network.Event{At: 7500 * time.Millisecond, Action: network.Slow{Node: "n4"}}, s[11])
	assert.Equal(t, network.Event{At: 8 * time.Second, Action: network.Delay{
		Link: network.Link{From: "n2", To: "n3"}, Latency: network.Pareto{Min: time.Millisecond, Alpha: 1.5}}}, s[14])

	again, err := network.ParseSchedule(strings.NewReader(s.String()))
	require.NoError(t, err)
	assert.Equal(t, s, again)
	assert.Contains(t, s.String(), "\n8s delay n2 -> n3 pareto(1ms,1.5)\n", "printed in the canonical form")
}

func TestParseScheduleErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"1s heal\n2s partiton n1 | n2", `line 2: unknown action "partiton"; known: bandwidth, crash, cut,`},
		{"# comment\n\nsoon heal", `line 3: time "soon"`},
		{"1s", "line 1: missing action"},
		{"1s cut n1 n2", `line 1: cut: want "cut A -> B"`},
		{"1s partition n1 | | n2", "line 1: partition: want"},
		{"1s partition n1 n2 | n2", "line 1: partition names n2 twice"},
		{"1s loss 1.5", "line 1: loss probability 1.5: must lie in [0, 1]"},
		{"1s loss lots", `line 1: loss: probability "lots" is not a number`},
		{"1s delay gauss(1ms,2ms)", `line 1: delay: latency "gauss(1ms,2ms)": unknown distribution`},
		{"1s drift n1 200", `line 1: drift: want "drift A +200ppm"`},
		{"1s drift n1 +9000000ppm", "line 1: drift 9000000ppm: must lie in"},
		{"1s skew n1 late", `line 1: skew: offset "late"`},
		{"1s reorder maybe", `line 1: reorder: want`},
		{"2s heal\n1s heal", "line 2: time goes back: the event before is at 2s"},
		{"-1s heal", "line 1: negative time"},
		{"1s heal now", `line 1: heal: want "heal"`},
	} {
		_, err := network.ParseSchedule(strings.NewReader(tc.text))
		assert.ErrorContains(t, err, tc.want, "schedule %q", tc.text)
	}
}

// nodeName draws names that survive the text form, including awkward ones.
var nodeName = rapid.Custom(func(t *rapid.T) sim.NodeID {
	return sim.NodeID(rapid.StringMatching(`[a-z][a-z0-9_.:-]{0,6}`).Filter(func(s string) bool {
		return !strings.Contains(s, "->")
	}).Draw(t, "name"))
})

func durationGen(max time.Duration) *rapid.Generator[time.Duration] {
	return rapid.Custom(func(t *rapid.T) time.Duration {
		return time.Duration(rapid.Int64Range(0, int64(max)).Draw(t, "ns"))
	})
}

var latencyGen = rapid.Custom(func(t *rapid.T) network.Latency {
	a := durationGen(time.Hour).Draw(t, "a")
	b := durationGen(time.Hour).Draw(t, "b")
	switch rapid.IntRange(0, 4).Draw(t, "kind") {
	case 0:
		return network.Constant(a)
	case 1:
		return network.Uniform{Min: min(a, b), Max: max(a, b)}
	case 2:
		return network.Normal{Mean: a, Stddev: b / 8}
	case 3:
		return network.Exponential{Min: min(a, b) / 16, Mean: max(a, b) / 16}
	}
	return network.Pareto{Min: a, Alpha: rapid.Float64Range(0.5, 1000).Draw(t, "alpha")}
})

var linkGen = rapid.Custom(func(t *rapid.T) network.Link {
	if rapid.Bool().Draw(t, "all") {
		return network.AllLinks
	}
	return network.Link{From: nodeName.Draw(t, "from"), To: nodeName.Draw(t, "to")}
})

var actionGen = rapid.Custom(func(t *rapid.T) network.Action {
	id := nodeName.Draw(t, "node")
	p := rapid.Float64Range(0, 1).Draw(t, "p")
	switch rapid.IntRange(0, 16).Draw(t, "action") {
	case 0:
		ids := rapid.SliceOfNDistinct(nodeName, 1, 8, func(id sim.NodeID) sim.NodeID { return id }).Draw(t, "ids")
		cut := rapid.IntRange(0, len(ids)).Draw(t, "cut")
		groups := [][]sim.NodeID{ids[:cut], ids[cut:]}
		if cut == 0 || cut == len(ids) {
			groups = [][]sim.NodeID{ids}
		}
		return network.Partition{Groups: groups}
	case 1:
		return network.Cut{From: id, To: nodeName.Draw(t, "to")}
	case 2:
		return network.Isolate{Node: id}
	case 3:
		return network.Heal{}
	case 4:
		return network.Reset{}
	case 5:
		return network.Loss{Link: linkGen.Draw(t, "link"), P: p}
	case 6:
		return network.Duplicate{Link: linkGen.Draw(t, "link"), P: p}
	case 7:
		return network.Delay{Link: linkGen.Draw(t, "link"), Latency: latencyGen.Draw(t, "latency")}
	case 8:
		return network.Reorder{Link: linkGen.Draw(t, "link"), On: rapid.Bool().Draw(t, "on")}
	case 9:
		return network.Bandwidth{Link: linkGen.Draw(t, "link"), BytesPerSecond: rapid.Int64Min(0).Draw(t, "bw")}
	case 10:
		if rapid.Bool().Draw(t, "off") {
			return network.Slow{Node: id}
		}
		return network.Slow{Node: id, Extra: latencyGen.Draw(t, "extra")}
	case 11:
		return network.Skew{Node: id, Offset: time.Duration(rapid.Int64().Draw(t, "offset"))}
	case 12:
		return network.Drift{Node: id, PPM: rapid.Int64Range(-network.MaxDrift, network.MaxDrift).Draw(t, "ppm")}
	case 13:
		return network.Crash{Node: id}
	case 15:
		return network.DropNext{Link: linkGen.Draw(t, "link")}
	case 16:
		return network.Equivocate{Node: id, On: rapid.Bool().Draw(t, "on")}
	}
	return network.Restart{Node: id}
})

var scheduleGen = rapid.Custom(func(t *rapid.T) network.Schedule {
	var s network.Schedule
	var at time.Duration
	for range rapid.IntRange(0, 20).Draw(t, "events") {
		at += durationGen(time.Minute).Draw(t, "gap")
		s = append(s, network.Event{At: at, Action: actionGen.Draw(t, "action")})
	}
	return s
})

func TestScheduleTextRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := scheduleGen.Draw(t, "schedule")
		require.NoError(t, s.Validate())
		text := s.String()
		back, err := network.ParseSchedule(strings.NewReader(text))
		require.NoError(t, err, text)
		if len(s) == 0 {
			require.Empty(t, back)
			return
		}
		require.Equal(t, s, back, text)
	})
}

func TestPlayRejectsUnknownNodesAndChangesNothing(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2")
	s := network.Schedule{
		{At: time.Second, Action: network.Isolate{Node: "n1"}},
		{At: 2 * time.Second, Action: network.Crash{Node: "n9"}},
	}
	err := network.Play(l.w, l.m, s)
	require.ErrorIs(t, err, sim.ErrUnknownNode)
	assert.ErrorContains(t, err, `event 2 (2s crash n9)`)
	l.w.RunFor(3 * time.Second)
	assert.Empty(t, l.faults(), "nothing of a rejected schedule is played")
}

func TestPlayRejectsAModelOfAnotherWorld(t *testing.T) {
	l := newLab(t, network.Config{}, "n1")
	assert.ErrorIs(t, network.Play(l.w, network.MustNew(network.Config{}), nil), network.ErrWrongModel)
}

func TestPlayRunsEveryEventAtItsTime(t *testing.T) {
	l := newLab(t, network.Config{}, five...)
	s, err := network.ParseSchedule(strings.NewReader(example))
	require.NoError(t, err)
	require.NoError(t, network.Play(l.w, l.m, s))
	l.w.RunFor(11 * time.Second)
	var got []string
	for _, r := range l.rec.Records {
		switch r.Kind {
		case sim.KindFault, sim.KindCrash, sim.KindRestart:
			got = append(got, r.String())
		}
	}
	assert.Equal(t, []string{
		"1000.000ms FAULT partition {n1,n2} | {n3,n4,n5}",
		"1500.000ms FAULT cut n1 -> n2",
		"2000.000ms FAULT isolate n3",
		"3000.000ms FAULT heal",
		"3000.000ms FAULT loss 0.1 on all links",
		"3000.000ms FAULT loss 0.5 on n1->n2",
		"4000.000ms n2 CRASHES",
		"5000.000ms n2 restarts",
		"6000.000ms FAULT skew n1 +50ms",
		"6000.000ms FAULT drift n1 +200ppm",
		"7000.000ms FAULT slow n4 +20ms",
		"7500.000ms FAULT slow n4 off",
		"8000.000ms FAULT duplicate 0.05 on all links",
		"8000.000ms FAULT latency uniform(1ms,5ms) on all links",
		"8000.000ms FAULT latency pareto(1ms,1.5) on n2->n3",
		"9000.000ms FAULT reordering on all links",
		"9000.000ms FAULT bandwidth 125000 B/s on n1->n2",
		"10000.000ms FAULT reset",
	}, got)
}

// gossip nodes keep the network busy: each tick, a message to a random peer;
// every message is answered.
type gossip struct{ n int }

type tick struct{}

func (g *gossip) Start(env sim.Env) { env.SetTimer(5*time.Millisecond, tick{}) }

func (g *gossip) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case tick:
		g.n++
		peers := env.Peers()
		env.Send(peers[env.Rand().IntN(len(peers))], Seq{N: g.n})
		env.SetTimer(time.Duration(1+env.Rand().IntN(10))*time.Millisecond, tick{})
	case Seq:
		if m.N > 0 {
			env.Send(from, Seq{N: -m.N})
		}
	}
}

// busyRun plays a random schedule drawn from seed over gossiping nodes and
// returns the trace hash.
func busyRun(t *testing.T, seed uint64) (string, *sim.World, *network.Model) {
	t.Helper()
	h := sim.NewHasher()
	m := network.MustNew(network.Config{Link: network.LinkConfig{
		Latency: network.Normal{Mean: 5 * time.Millisecond, Stddev: 2 * time.Millisecond}, Reorder: true,
	}})
	w := sim.NewWorld(sim.Config{Seed: seed, Network: m, Tracer: h})
	for _, id := range five {
		w.AddNode(id, func() sim.Node { return &gossip{} })
	}
	s := network.RandomSchedule(rand.New(rand.NewPCG(seed, 1)), five, 2*time.Second, network.RandomOptions{Faults: 40})
	require.NoError(t, network.Play(w, m, s))
	w.RunFor(3 * time.Second)
	return h.Sum(), w, m
}

func TestSameSeedSameTraceUnderABusySchedule(t *testing.T) {
	a, w, _ := busyRun(t, 11)
	b, _, _ := busyRun(t, 11)
	c, _, _ := busyRun(t, 12)
	assert.Equal(t, a, b, "same seed, same trace")
	assert.NotEqual(t, a, c, "another seed, another run")
	st := w.Stats()
	assert.Greater(t, st.Dropped, uint64(100), "the schedule really dropped messages")
	assert.Greater(t, st.Crashes, uint64(0), "and crashed nodes")
}

func TestRandomScheduleEndsHealedWithAMajorityAlwaysUp(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 0))
		s := network.RandomSchedule(rng, five, time.Second, network.RandomOptions{})
		require.NoError(t, s.Validate(), "seed %d", seed)

		down := map[sim.NodeID]bool{}
		for _, e := range s {
			switch a := e.Action.(type) {
			case network.Crash:
				require.False(t, down[a.Node], "seed %d: crash of a crashed node", seed)
				down[a.Node] = true
			case network.Restart:
				require.True(t, down[a.Node], "seed %d: restart of a running node", seed)
				delete(down, a.Node)
			}
			require.LessOrEqual(t, len(down), 2, "seed %d: at most a minority of five is down", seed)
		}
		assert.Empty(t, down, "seed %d: every node restarted at the end", seed)

		var closing []network.Action
		for _, e := range s {
			if e.At == time.Second {
				closing = append(closing, e.Action)
			}
		}
		require.GreaterOrEqual(t, len(closing), 2, "seed %d", seed)
		assert.Equal(t, []network.Action{network.Heal{}, network.Reset{}}, closing[:2],
			"seed %d: the schedule heals and resets the network at its end", seed)
	}
}

func TestRandomScheduleRecovers(t *testing.T) {
	_, w, m := busyRun(t, 5)
	for _, id := range five {
		assert.True(t, w.Up(id), "%s is up at the end", id)
	}
	assert.NotContains(t, m.String(), "partition")
	assert.NotContains(t, m.String(), "cut ")
	assert.NotContains(t, m.String(), "isolated")
	assert.True(t, strings.HasPrefix(m.String(), "links: latency normal(5ms,2ms), loss 0, duplicate 0, reordering, bandwidth unlimited\n"),
		"links back to the configuration: %s", m)
}

func ExampleParseSchedule() {
	s, err := network.ParseSchedule(strings.NewReader(`
		1s partition n1 | n2 n3   # n1 on its own
		2s heal
		2s loss n2->n3 0.25
	`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(s)

	_, err = network.ParseSchedule(strings.NewReader("1s heal\n2s partiton n1"))
	fmt.Println(err)
	// Output:
	// # dsim fault schedule
	// 1s partition n1 | n2 n3
	// 2s heal
	// 2s loss n2 -> n3 0.25
	// network: schedule line 2: unknown action "partiton"; known: bandwidth, crash, cut, delay, drift, drop-next, duplicate, equivocate, fate, heal, isolate, loss, partition, reorder, reset, restart, skew, slow
}

func ExamplePlay() {
	m := network.MustNew(network.Config{})
	w := sim.NewWorld(sim.Config{Network: m, Tracer: sim.TracerFunc(func(r *sim.Record) {
		switch r.Kind {
		case sim.KindDeliver, sim.KindDrop, sim.KindFault:
			fmt.Println(r)
		}
	})})
	for _, id := range []sim.NodeID{"n1", "n2", "n3"} {
		w.AddNode(id, func() sim.Node {
			return sim.NodeFunc(func(sim.Env, sim.NodeID, sim.Message) {})
		})
	}
	_ = network.Play(w, m, network.Schedule{
		{At: 10 * time.Millisecond, Action: network.Partition{Groups: [][]sim.NodeID{{"n1"}}}},
		{At: 30 * time.Millisecond, Action: network.Heal{}},
	})
	for _, at := range []time.Duration{0, 20 * time.Millisecond, 40 * time.Millisecond} {
		w.At(at, func() {
			_ = w.Exec("n1", func(_ sim.Node, env sim.Env) { env.Send("n2", Seq{N: int(at / time.Millisecond)}) })
		})
	}
	w.RunFor(time.Second)
	// Output:
	// 1.000ms n1->n2 Seq{N:0}
	// 10.000ms FAULT partition {n1} | {n2,n3}
	// 20.000ms n1-xn2 Seq{N:20} dropped (partition)
	// 30.000ms FAULT heal
	// 41.000ms n1->n2 Seq{N:40}
}
