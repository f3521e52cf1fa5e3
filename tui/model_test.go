package tui

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata")

// press turns a key name into the message a terminal would send.
func press(name string) tea.KeyPressMsg {
	switch name {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	}
	return tea.KeyPressMsg{Code: rune(name[0]), Text: name}
}

// drive sends keys to m, and returns the last command.
func drive(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = m.Update(press(k))
	}
	return cmd
}

// screen is what a terminal would show, colours removed.
func screen(m *Model) string { return ansi.Strip(m.View().Content) }

func newModel(t *testing.T, opts Options) *Model {
	t.Helper()
	if opts.SaveDir == "" {
		opts.SaveDir = t.TempDir()
	}
	m, err := New(opts)
	require.NoError(t, err)
	return m
}

func repeat(k string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = k
	}
	return out
}

// raftTest is the scenario of the golden screens: five Raft nodes on a
// jittery network, with nothing scripted. It lives here, not in package
// scenarios, so that retuning a lesson there does not redraw these screens.
const raftTest = "tui-test-raft"

func init() {
	scenarios.Register(scenarios.Scenario{
		Name: raftTest, Summary: "five Raft nodes, no faults but yours", For: 2 * time.Second,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			net := network.MustNew(network.Config{Link: network.LinkConfig{
				Latency: network.Uniform{Min: 2 * time.Millisecond, Max: 8 * time.Millisecond},
			}})
			w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
			for _, id := range []sim.NodeID{"n1", "n2", "n3", "n4", "n5"} {
				w.AddNode(id, func() sim.Node {
					return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return raft.New(raft.DefaultConfig(), app) }, kv.New())
				})
			}
			return &scenarios.Run{World: w, Net: net}, nil
		},
	})
}

func TestGoldenScreens(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scenario string
		w, h     int
		keys     []string
	}{
		{"start", raftTest, 80, 24, nil},
		{"first-leader", raftTest, 80, 24, []string{"l"}},
		{"leader-crashed", raftTest, 80, 24, []string{"l", "2", "c"}}, // seed 1 elects n2
		{"new-leader", raftTest, 80, 24, []string{"l", "2", "c", "l"}},
		{"isolated", raftTest, 80, 24, append([]string{"l", "3", "i"}, repeat("space", 60)...)},
		{"healed", raftTest, 80, 24, append([]string{"l", "3", "i"}, append(repeat("space", 60), "h", "space")...)},
		{"dropped-message", raftTest, 80, 24, []string{"l", "d", "space", "space", "space"}},
		{"help", raftTest, 80, 24, []string{"?"}},
		{"narrow-60x20", raftTest, 60, 20, []string{"l", "right"}},
		{"short-80x12", raftTest, 80, 12, []string{"l"}},
		{"tiny-30x6", raftTest, 30, 6, []string{"l"}},
		{"counters", "tui-test-counters", 80, 24, repeat("space", 9)},
		{"wide-100x30", raftTest, 100, 30, []string{"l", "space", "space"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newModel(t, Options{Scenario: tc.scenario, Seed: 1, Width: tc.w, Height: tc.h, SaveDir: "."})
			drive(m, tc.keys...)
			got := screen(m)
			assertFits(t, got, tc.w, tc.h)
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./tui -update to create the golden screens")
			assert.Equal(t, string(want), got, "screen after %v (go test ./tui -update rewrites it)", tc.keys)
		})
	}
}

func assertFits(t require.TestingT, s string, w, h int) {
	lines := strings.Split(s, "\n")
	assert.LessOrEqual(t, len(lines), h, "lines")
	for i, l := range lines {
		assert.LessOrEqual(t, ansi.StringWidth(l), w, "line %d %q", i, l)
	}
}

func TestTheScreenFitsAnySizeAfterAnyKeys(t *testing.T) {
	keyNames := []string{"space", "b", "l", "c", "x", "i", "h", "d", "right", "?", "2", "4"}
	rapid.Check(t, func(t *rapid.T) {
		w := rapid.IntRange(1, 130).Draw(t, "width")
		h := rapid.IntRange(1, 45).Draw(t, "height")
		m, err := New(Options{Seed: rapid.Uint64Range(1, 3).Draw(t, "seed"), SaveDir: os.TempDir()})
		require.NoError(t, err)
		m.Update(tea.WindowSizeMsg{Width: w, Height: h})
		for _, k := range rapid.SliceOfN(rapid.SampledFrom(keyNames), 0, 12).Draw(t, "keys") {
			m.Update(press(k))
		}
		assertFits(t, screen(m), w, h)
	})
}

func TestTheOpeningScreenShowsEveryPanel(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	drive(m, "l")
	s := screen(m)
	for _, want := range []string{"raft-election seed 1", "n1", "n5", "leader", "follower", "term 3 vote n1",
		"in flight", "network", "all links up", "log", "of 4s"} {
		assert.Contains(t, s, want)
	}
}

func TestStepBackReturnsTheSameScreen(t *testing.T) {
	m := newModel(t, Options{Seed: 3})
	drive(m, "l", "c", "space")
	for range 25 {
		before := screen(m)
		drive(m, "space", "b")
		assert.Equal(t, before, screen(m))
		drive(m, "space")
	}
	k := m.s.Events()
	drive(m, repeat("b", 10)...)
	assert.Equal(t, k-10, m.s.Events())
	assert.Contains(t, strings.Join(m.s.Log(logSize), "\n"), "n1 CRASHES", "ten events back the crash is still in the log")
}

func TestStepBackStopsAtTheStart(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	start := screen(m)
	drive(m, "space", "b", "b")
	assert.Equal(t, uint64(0), m.s.Events())
	assert.Contains(t, screen(m), "this is the start")
	drive(m, "space", "b")
	assert.Equal(t, start, screen(m))
}

func TestLeaderJumpsFollowTheElection(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	drive(m, "l")
	assert.Contains(t, m.msg, "leader n1 (term 3)")
	assert.Equal(t, "n1@3 ", leaders(m.s.World()))
	drive(m, "c") // n1 is selected
	assert.Empty(t, leaders(m.s.World()), "the leader crashed")
	drive(m, "l")
	lead := leaders(m.s.World())
	require.NotEmpty(t, lead)
	assert.NotContains(t, lead, "n1")
	assert.Contains(t, lead, "@4", "a new leader in a higher term")
}

func TestFaultKeysRefuseWhatWouldDoNothing(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	drive(m, "l", "x")
	assert.Equal(t, "n1 is running: c crashes it", m.msg)
	drive(m, "c", "c")
	assert.Equal(t, "n1 is down already: x restarts it", m.msg)
	require.Len(t, m.s.Schedule(), 1)
	drive(m, "x")
	assert.Contains(t, m.msg, "n1 restarts")
	assert.Equal(t, []string{"crash n1", "restart n1"}, actions(m.s.Schedule()))
}

func actions(s network.Schedule) []string {
	var out []string
	for _, e := range s {
		out = append(out, e.Action.String())
	}
	return out
}

func TestSelectingANode(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	drive(m, "3", "c")
	assert.Equal(t, []string{"crash n3"}, actions(m.s.Schedule()))
	drive(m, "right", "right", "right", "c") // wraps around: n4, n5, n1
	assert.Equal(t, []string{"crash n3", "crash n1"}, actions(m.s.Schedule()))
	drive(m, "left", "i", "9")
	assert.Equal(t, "isolate n5", actions(m.s.Schedule())[2])
	assert.Equal(t, 4, m.selected, "9 selects nothing when there are five nodes")
}

func TestAFaultIsTimedJustAfterTheEventOnScreen(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	drive(m, "l")
	seen := m.s.Log(logSize)
	now := m.s.World().Now()
	drive(m, "c")
	s := m.s.Schedule()
	require.Len(t, s, 1)
	assert.Greater(t, s[0].At, now)
	assert.LessOrEqual(t, s[0].At-now, time.Microsecond)
	after := m.s.Log(logSize)
	require.Greater(t, len(after), len(seen))
	assert.Equal(t, seen, after[:len(seen)], "injecting a fault never rewrites what was already shown")
	assert.Contains(t, after[len(after)-1], "n1 CRASHES")
}

func TestAFaultWhileSteppedBackStartsANewFuture(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	drive(m, "l", "3", "c", "l", "l")
	for m.s.World().Now() >= m.s.Schedule()[0].At {
		drive(m, "b") // back to before n3's crash
	}
	drive(m, "4", "i")
	assert.Equal(t, []string{"isolate n4"}, actions(m.s.Schedule()))
}

// TestTheSavedScheduleReplaysTheSessionExactly is the promise of w: the
// schedule file, run by `dsim run NAME --seed N --schedule FILE` (that is,
// scenarios.Start with Options{Seed, Schedule}), gives the very trace the
// session showed, byte for byte.
func TestTheSavedScheduleReplaysTheSessionExactly(t *testing.T) {
	for _, tc := range []struct {
		seed uint64
		keys []string
	}{
		{1, []string{"l", "c", "l", "x", "space"}},
		{2, []string{"space", "d", "d", "l", "2", "i", "l", "h", "l", "c"}},
		{7, []string{"l", "b", "b", "c", "space", "3", "i", "space", "b", "d", "l"}},
	} {
		dir := t.TempDir()
		m := newModel(t, Options{Seed: tc.seed, SaveDir: dir})
		var h *sim.Hasher
		m.s.tap = func() sim.Tracer { h = sim.NewHasher(); return h }
		require.NoError(t, m.s.rebuild())
		drive(m, tc.keys...)
		drive(m, "w")
		assert.Contains(t, m.msg, "dsim run raft-election --seed")
		for m.s.Step() {
		}
		sessionHash := h.Sum()

		f, err := os.Open(m.s.ScheduleFile(dir))
		require.NoError(t, err)
		sched, err := network.ParseSchedule(f)
		f.Close()
		require.NoError(t, err)
		require.NotEmpty(t, sched)
		assert.Equal(t, m.s.Schedule(), sched)

		replay := sim.NewHasher()
		sc, err := scenarios.Lookup("raft-election")
		require.NoError(t, err)
		_, err = scenarios.Execute(sc, scenarios.Options{Seed: tc.seed, Schedule: sched, Tracer: replay})
		require.NoError(t, err)
		assert.Equal(t, replay.Sum(), sessionHash, "seed %d keys %v: the replay differs from the session", tc.seed, tc.keys)
		assert.Equal(t, replay.Records(), h.Records())
	}
}

func TestDropLosesTheNextMessage(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	drive(m, "l", "d")
	assert.Equal(t, []string{"drop-next"}, actions(m.s.Schedule()))
	assert.Contains(t, screen(m), "drop-next on all links (1)")
	for range 20 {
		drive(m, "space")
	}
	found := false
	for _, l := range m.s.Log(logSize) {
		found = found || strings.HasSuffix(l, "dropped (drop-next)")
	}
	assert.True(t, found, "a message was dropped by the drop-next")
}

func TestNewSeedStartsOver(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	drive(m, "l", "c", "s")
	assert.Equal(t, uint64(2), m.s.Seed())
	assert.Equal(t, uint64(0), m.s.Events())
	assert.Empty(t, m.s.Schedule())
	assert.Contains(t, screen(m), "raft-election seed 2")
}

func TestRunStepsOnEveryTickAndPauses(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	cmd := drive(m, "r")
	require.NotNil(t, cmd, "r starts a timer")
	assert.Contains(t, screen(m), "running 10/s")
	gen := m.tick
	m.Update(tickMsg{gen: gen})
	m.Update(tickMsg{gen: gen})
	assert.Equal(t, uint64(2), m.s.Events(), "one event a tick at 10/s")
	drive(m, "+", "+", "+") // 100/s: two events a tick at 50 ticks a second
	m.Update(tickMsg{gen: gen})
	assert.Equal(t, uint64(4), m.s.Events())
	drive(m, "r")
	m.Update(tickMsg{gen: gen})
	assert.Equal(t, uint64(4), m.s.Events(), "paused: a late tick does nothing")
	assert.Contains(t, screen(m), "paused")
	drive(m, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-")
	assert.Equal(t, 0, m.speed, "speed stops at 1 event a second")
}

func TestRunningStopsAtTheEnd(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	drive(m, "r")
	for i := 0; m.running && i < 100_000; i++ {
		m.Update(tickMsg{gen: m.tick})
	}
	assert.False(t, m.running)
	assert.True(t, m.s.Done())
	assert.Equal(t, 4*time.Second, m.s.World().Now(), "the run ends at the scenario's 4s, like dsim run")
	assert.Contains(t, screen(m), "end of run")
	drive(m, "c")
	assert.Contains(t, m.msg, "the run is over")
	assert.Empty(t, m.s.Schedule(), "no fault after the end")
}

func TestSaveSaysWhereAndHowToReplay(t *testing.T) {
	dir := t.TempDir()
	m := newModel(t, Options{Seed: 5, SaveDir: dir})
	drive(m, "l", "c", "w")
	path := filepath.Join(dir, "raft-election-seed5.schedule")
	assert.Contains(t, m.msg, path)
	assert.Contains(t, m.msg, "dsim run raft-election --seed 5 --schedule "+path)
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(text), "crash n1\n")
	drive(m, "?")
	assert.Contains(t, screen(m), "raft-election-seed5.schedule", "help names the file w writes")
}

func TestColourOnlyWithoutNoColor(t *testing.T) {
	colour := newModel(t, Options{Seed: 1})
	plain := newModel(t, Options{Seed: 1, NoColor: true})
	drive(colour, "l")
	drive(plain, "l")
	assert.Contains(t, colour.View().Content, "\x1b[", "roles are coloured")
	assert.NotContains(t, plain.View().Content, "\x1b[", "NO_COLOR: no escape sequences at all")
	assert.Equal(t, screen(colour), plain.View().Content, "the same words either way")
}

func TestUnknownScenarioIsAnError(t *testing.T) {
	_, err := New(Options{Scenario: "raft-electoin"})
	assert.ErrorIs(t, err, scenarios.ErrUnknown)
	assert.ErrorContains(t, err, `did you mean "raft-election"`)
}

func TestQuit(t *testing.T) {
	m := newModel(t, Options{Seed: 1})
	cmd := drive(m, "q")
	require.NotNil(t, cmd)
	assert.Equal(t, tea.Quit(), cmd())
}

func TestShortDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		850 * time.Microsecond:  "850µs",
		4250 * time.Microsecond: "4.2ms",
		153 * time.Millisecond:  "153ms",
		1500 * time.Millisecond: "1.5s",
		4 * time.Second:         "4s",
		-2 * time.Millisecond:   "-2.0ms",
	} {
		assert.Equal(t, want, shortDur(d), "%v", d)
	}
}

func TestWrapBreaksAtSpaces(t *testing.T) {
	assert.Equal(t, []string{"partition {n1,n2}", "  | {n3,n4,n5}"}, wrap("partition {n1,n2} | {n3,n4,n5}", 18))
	assert.Equal(t, []string{"all links up"}, wrap("all links up", 18))
	assert.Equal(t, []string{"abcd…"}, wrap("abcdefgh", 5))
}

func TestLogFitKeepsTheNewestEntries(t *testing.T) {
	tail := []string{"1:1", "2:1", "3:2", "4:3"}
	assert.Equal(t, "log 1:1 2:1 3:2 4:3", logFit(tail, 30))
	assert.Equal(t, "log …3:2 4:3", logFit(tail, 13))
	assert.Equal(t, "log …4:3", logFit(tail, 9))
	assert.Equal(t, "log -", logFit(nil, 9))
}

// counter is a node of no known protocol: the TUI shows what Inspect says.
type counter struct{ n int }

type bump struct{}

func (c *counter) Start(env sim.Env) { env.SetTimer(10*time.Millisecond, bump{}) }
func (c *counter) Receive(env sim.Env, _ sim.NodeID, _ sim.Message) {
	c.n++
	env.SetTimer(10*time.Millisecond, bump{})
}
func (c *counter) Inspect() map[string]string {
	return map[string]string{"role": "counter", "count": strconv.Itoa(c.n), "parity": []string{"even", "odd"}[c.n%2]}
}

func init() {
	scenarios.Register(scenarios.Scenario{
		Name: "tui-test-counters", Summary: "two counters on no simulated network", For: time.Second,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			w := sim.NewWorld(sim.Config{Seed: o.Seed, Tracer: o.Tracer})
			w.AddNode("a", func() sim.Node { return &counter{} })
			w.AddNode("b", func() sim.Node { return &counter{} })
			return &scenarios.Run{World: w}, nil
		},
	})
}

func TestAnyNodeShowsWhatInspectSays(t *testing.T) {
	m := newModel(t, Options{Scenario: "tui-test-counters", Seed: 1})
	drive(m, repeat("space", 7)...)
	s := screen(m)
	assert.Contains(t, s, "counter")
	assert.Contains(t, s, "count 2", "a has counted twice after 7 events (two starts, a, b, a, b, a)")
	assert.Contains(t, s, "parity odd")
	assert.Contains(t, s, "bump", "the timer is named in the log")
	drive(m, "c")
	assert.Equal(t, ErrNoNetwork.Error(), m.msg, "no network, no schedule to play faults from")
	assert.Equal(t, "", leaders(m.s.World()))
	drive(m, "l")
	assert.Equal(t, "no leader change before the end of the run", m.msg)
}

func init() {
	scenarios.Register(scenarios.Scenario{
		Name: "tui-test-paxos", Summary: "three Paxos nodes; n1 proposes \"x\"", For: time.Second,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			net := network.MustNew(network.Config{})
			w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
			for _, id := range []sim.NodeID{"n1", "n2", "n3"} {
				w.AddNode(id, func() sim.Node { return paxos.New(paxos.Config{}) })
			}
			w.At(time.Millisecond, func() {
				_ = w.Exec("n1", func(n sim.Node, env sim.Env) { n.(*paxos.Node).Propose(env, "x") })
			})
			return &scenarios.Run{World: w, Net: net}, nil
		},
	})
}

func TestPaxosNodesShowTheirBallotsAndTheChosenValue(t *testing.T) {
	m := newModel(t, Options{Scenario: "tui-test-paxos", Seed: 1})
	for m.s.Step() {
	}
	s := screen(m)
	assert.Contains(t, s, "chosen x", "every learner learns x")
	assert.Contains(t, s, "idle 1.n1", "n1's proposer is done with ballot 1.n1")
	assert.Contains(t, s, `accepted 1.n1 x`)
	assert.Equal(t, 3, strings.Count(s, "chosen x"))
}

func init() {
	scenarios.Register(scenarios.Scenario{
		Name: "tui-test-empty", Summary: "no nodes at all", For: time.Second,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) {
			net := network.MustNew(network.Config{})
			return &scenarios.Run{World: sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer}), Net: net}, nil
		},
	})
}

func TestAnEmptyWorldDoesNotBreakTheScreen(t *testing.T) {
	m := newModel(t, Options{Scenario: "tui-test-empty", Seed: 1})
	drive(m, "space", "c", "l", "right", "b")
	assert.Contains(t, screen(m), "tui-test-empty seed 1 │ event 0")
	assert.Empty(t, m.s.Schedule())
}
