package replay_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/livecatalog"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/replay"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
	"github.com/dsimlab/dsim/tui"
)

func build(protocol string, c tcp.NodeConfig) (sim.Node, *tcp.Registry, error) {
	p, err := livecatalog.Lookup(protocol)
	if err != nil {
		return nil, nil, err
	}
	reg, err := p.NewRegistry()
	if err != nil {
		return nil, nil, err
	}
	n, err := p.New(c)
	return n, reg, err
}

// record runs a three-node raft-kv cluster in the simulator, n1 recorded,
// with a client writing through n1, and returns the recording and n1's
// final state.
func record(t *testing.T) ([]byte, map[string]string) {
	t.Helper()
	cluster := tcp.Cluster{Name: "lab", Protocol: "raft-kv", Members: []tcp.Member{{ID: "n1", Addr: "a:1"}, {ID: "n2", Addr: "a:2"}, {ID: "n3", Addr: "a:3"}}}
	var buf bytes.Buffer
	w := sim.NewWorld(sim.Config{Seed: 3})
	var rec *replay.Recorder
	for _, m := range cluster.Members {
		w.AddNode(m.ID, func() sim.Node {
			n, reg, err := build("raft-kv", tcp.NodeConfig{ID: m.ID, Cluster: cluster})
			require.NoError(t, err)
			if m.ID == "n1" {
				rec = replay.Record(n, &buf, reg, "raft-kv", cluster, 42)
				return rec
			}
			return n
		})
	}
	w.AddClient("c1", func() sim.Node { return sim.NodeFunc(func(sim.Env, sim.NodeID, sim.Message) {}) })
	w.RunFor(time.Second)
	var leader sim.NodeID
	for _, m := range cluster.Members {
		if w.Node(m.ID).(sim.Inspector).Inspect()["role"] == "leader" {
			leader = m.ID
		}
	}
	require.NotEmpty(t, leader)
	for i := range 5 {
		w.At(w.Now()+time.Duration(i)*50*time.Millisecond, func() {
			w.Exec("c1", func(_ sim.Node, env sim.Env) {
				env.Send(leader, rsm.ClientRequest{ClientID: "c1", Seq: uint64(i + 1), Op: kv.Put(fmt.Sprint("k", i), "v").Encode()})
			})
		})
	}
	w.RunFor(time.Second)
	require.NoError(t, rec.Err())
	return buf.Bytes(), rec.Inspect()
}

func TestReplayMatchesAndTamperingDiverges(t *testing.T) {
	data, _ := record(t)
	runs, err := replay.Read(bytes.NewReader(data))
	require.NoError(t, err)
	rep, err := replay.Check(runs, build)
	require.NoError(t, err)
	assert.Greater(t, rep.Outputs, 50, "heartbeats, votes, disk writes")

	// Tamper: the first write n1 received (a client's request if it
	// leads, an entry of an AppendEntries if it follows) now carries other
	// bytes.
	runs, err = replay.Read(bytes.NewReader(tamper(t, data)))
	require.NoError(t, err)
	_, err = replay.Check(runs, build)
	var div *replay.Divergence
	require.True(t, errors.As(err, &div), "%v", err)
	assert.Regexp(t, `^run 1, line \d+ \((rsm.ClientRequest from c1|raft.AppendEntries from n\d) at [\d:.]+\): output \d+ differs: the live node did .*; the replay did .*`, div.Error())
}

func TestReplayRefusesWhatIsNotARecording(t *testing.T) {
	for _, in := range []string{"", "hello\n", `{"kind":"msg"}` + "\n", `{"kind":"start"}` + "\n"} {
		_, err := replay.Read(strings.NewReader(in))
		assert.ErrorIs(t, err, replay.ErrBadRecording, "%q", in)
	}
}

// The TUI's world replays the recording to the same state the live node
// reached.
func TestReplayScenarioReachesTheRecordedState(t *testing.T) {
	data, final := record(t)
	runs, err := replay.Read(bytes.NewReader(data))
	require.NoError(t, err)
	sc, err := replay.Scenario("replay-test", runs[0], build)
	require.NoError(t, err)
	run, err := scenarios.Start(sc, scenarios.Options{Seed: 1})
	require.NoError(t, err)
	run.World.RunFor(run.For)
	got := run.World.Node("n1").(sim.Inspector).Inspect()
	for _, k := range []string{"role", "term", "commit", "rsm.applied"} {
		assert.Equal(t, final[k], got[k], k)
	}
	assert.GreaterOrEqual(t, atoi(got["rsm.applied"]), 5, "the five writes")

	scenarios.Register(sc)
	m, err := tui.New(tui.Options{Scenario: "replay-test", NoColor: true, Width: 120, Height: 40})
	require.NoError(t, err)
	for range 40 { // step through the first events, as space does
		m.Update(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	}
	screen := m.View().Content
	for _, want := range []string{"n1", "n2", "n3", "replay-test"} {
		assert.Contains(t, screen, want)
	}
	t.Log(screen)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// tamper changes one byte of the first command or operation n1 received.
func tamper(t *testing.T, data []byte) []byte {
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		var l map[string]any
		if json.Unmarshal(line, &l) != nil || l["kind"] != "msg" {
			continue
		}
		msg := l["msg"].(map[string]any)
		body := msg["body"].(map[string]any)
		var field map[string]any
		var key string
		switch msg["type"] {
		case "rsm.ClientRequest":
			field, key = body, "Op"
		case "raft.AppendEntries":
			entries, _ := body["Entries"].([]any)
			for _, e := range entries {
				if e := e.(map[string]any); e["Command"] != nil {
					field, key = e, "Command"
					break
				}
			}
		}
		if field == nil {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(field[key].(string))
		require.NoError(t, err)
		b[len(b)-1] ^= 1
		field[key] = base64.StdEncoding.EncodeToString(b)
		lines[i], err = json.Marshal(l)
		require.NoError(t, err)
		return bytes.Join(lines, []byte("\n"))
	}
	t.Fatal("n1 received no write")
	return nil
}

// A run cut short mid-line (a power cut) ends there; the next run, after
// the restart, is read and checked on its own.
func TestReadToleratesARunCutShort(t *testing.T) {
	data, _ := record(t)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	cut := append(append([]byte{}, bytes.Join(lines[:20], []byte("\n"))...), '\n')
	cut = append(cut, lines[20][:len(lines[20])/2]...)
	cut = append(cut, '\n')
	cut = append(cut, data...)
	runs, err := replay.Read(bytes.NewReader(cut))
	require.NoError(t, err)
	require.Len(t, runs, 2)
	_, err = replay.Check(runs[1:], build)
	assert.NoError(t, err)

	_, err = replay.Read(bytes.NewReader(append([]byte(`{"kind":"start","node":"n1"`+"\n"), data...)))
	assert.ErrorIs(t, err, replay.ErrBadRecording, "a broken first line is not a recording")
}
