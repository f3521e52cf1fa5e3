package viz_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/viz"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func jsonl(records []sim.Record) []byte {
	var b []byte
	for i := range records {
		b = records[i].AppendJSON(b)
	}
	return b
}

// A trace read back from JSON Lines writes the same bytes and draws the
// same diagram as the live records: `dsim run --trace` files are as good
// as the run itself.
func TestReadTraceRoundTrips(t *testing.T) {
	live := smallTrace()
	read, err := viz.ReadTrace(bytes.NewReader(jsonl(live)))
	require.NoError(t, err)
	require.Len(t, read, len(live))
	assert.Equal(t, string(jsonl(live)), string(jsonl(read)))
	assert.Equal(t, viz.MessageText("Ping{Seq:1}"), read[indexOfKind(read, sim.KindSend)].Msg)

	opts := viz.SpaceTimeOptions{Stamps: viz.StampsLamport}
	assert.Equal(t, string(render(t, live, opts)), string(render(t, read, opts)))
}

func indexOfKind(records []sim.Record, k sim.Kind) int {
	for i := range records {
		if records[i].Kind == k {
			return i
		}
	}
	return -1
}

func TestReadTraceRejectsWhatIsNotATrace(t *testing.T) {
	cases := []struct{ name, input, want string }{
		{"not json", "{\"seq\":1,\"t\":0,\"kind\":\"start\",\"node\":\"n1\"}\nhello\n", "line 2"},
		{"unknown kind", `{"seq":1,"t":0,"kind":"teleport"}`, `unknown kind "teleport"`},
		{"no time", `{"seq":1,"kind":"start","node":"n1"}`, `no time`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := viz.ReadTrace(strings.NewReader(c.input))
			require.ErrorIs(t, err, viz.ErrBadTrace)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	recs, err := viz.ReadTrace(strings.NewReader("\n" + `{"seq":1,"t":5,"kind":"crash","node":"n1"}` + "\n\n"))
	require.NoError(t, err, "blank lines are skipped")
	assert.Equal(t, []sim.Record{{Seq: 1, At: 5, Kind: sim.KindCrash, Node: "n1"}}, recs)
}

func TestMessageType(t *testing.T) {
	cases := []struct {
		msg  sim.Message
		want string
	}{
		{Ping{Seq: 3}, "Ping"},
		{&Pong{Seq: 1}, "Pong"},
		{viz.MessageText("AppendEntries{Term:2 Entries:[]}"), "AppendEntries"},
		{viz.MessageText("Vote(yes)"), "Vote"},
		{tick{}, "tick"},
		{nil, "<nil>"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, viz.MessageType(c.msg), "%#v", c.msg)
	}
}

// Happened-before: each send is stamped before each of its deliveries, each
// node's events are stamped in its order, and Lamport stamps respect every
// vector-clock ordering (the clock condition).
func TestStampsFollowHappenedBefore(t *testing.T) {
	records := smallTrace()
	lamport := viz.LamportStamps(records)
	nodes, vector := viz.VectorStamps(records)
	assert.Equal(t, []sim.NodeID{"n1", "n2", "n3"}, nodes)

	sendAt := map[uint64]int{}
	lastOn := map[sim.NodeID]int{}
	var events []int
	for i, r := range records {
		stampedKind := lamport[i] != 0
		assert.Equal(t, stampedKind, vector[i] != nil, "record %d: both clocks stamp the same events", i)
		if !stampedKind {
			continue
		}
		events = append(events, i)
		if j, ok := lastOn[r.Node]; ok {
			assert.Less(t, lamport[j], lamport[i], "local order on %s", r.Node)
			assert.True(t, viz.VectorBefore(vector[j], vector[i]), "local order on %s", r.Node)
		}
		lastOn[r.Node] = i
		switch r.Kind {
		case sim.KindSend:
			sendAt[r.ID] = i
		case sim.KindDeliver:
			s := sendAt[r.ID]
			assert.Less(t, lamport[s], lamport[i], "send before deliver: %s", r.String())
			assert.True(t, viz.VectorBefore(vector[s], vector[i]), "send before deliver: %s", r.String())
		}
	}
	concurrent := 0
	for _, a := range events {
		for _, b := range events {
			if viz.VectorBefore(vector[a], vector[b]) {
				assert.Less(t, lamport[a], lamport[b], "clock condition")
			}
			if a < b && !viz.VectorBefore(vector[a], vector[b]) && !viz.VectorBefore(vector[b], vector[a]) {
				concurrent++
			}
		}
	}
	assert.Positive(t, concurrent, "three nodes ticking at once give concurrent events")

	// The first timers of n1 and n2 fire at the same instant, neither
	// knowing of the other: concurrent, though their Lamport stamps are equal.
	t1, t2 := -1, -1
	for i, r := range records {
		if r.Kind == sim.KindTimer && r.Node == "n1" && t1 < 0 {
			t1 = i
		}
		if r.Kind == sim.KindTimer && r.Node == "n2" && t2 < 0 {
			t2 = i
		}
	}
	assert.False(t, viz.VectorBefore(vector[t1], vector[t2]))
	assert.False(t, viz.VectorBefore(vector[t2], vector[t1]))
	assert.Equal(t, lamport[t1], lamport[t2])
}

func TestVectorBefore(t *testing.T) {
	cases := []struct {
		a, b []uint64
		want bool
	}{
		{[]uint64{1, 0}, []uint64{1, 1}, true},
		{[]uint64{1, 1}, []uint64{1, 1}, false},
		{[]uint64{2, 0}, []uint64{1, 1}, false},
		{[]uint64{1}, []uint64{1, 1}, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, viz.VectorBefore(c.a, c.b), "%v < %v", c.a, c.b)
	}
}

func TestDeliveriesAndTraffic(t *testing.T) {
	records := smallTrace()
	rec := &sim.Recorder{Records: records}
	ds := viz.Deliveries(records)
	require.Len(t, ds, rec.Count(sim.KindDeliver))
	for _, d := range ds {
		// everyFifth delays every message by 2 to 4ms.
		assert.GreaterOrEqual(t, d.Latency(), 2*time.Millisecond, "%+v", d)
		assert.LessOrEqual(t, d.Latency(), 4*time.Millisecond, "%+v", d)
	}
	assert.Equal(t, ds[0].Latency(), viz.Latencies(ds)[0])

	var sent, received, dropped int
	traffic := viz.TrafficByNode(records)
	require.Len(t, traffic, 3)
	assert.Equal(t, sim.NodeID("n1"), traffic[0].Node, "nodes in order of appearance")
	for _, n := range traffic {
		sent += n.Sent
		received += n.Received
		dropped += n.Dropped
	}
	assert.Equal(t, rec.Count(sim.KindSend), sent)
	assert.Equal(t, rec.Count(sim.KindDeliver), received)
	assert.Equal(t, rec.Count(sim.KindDrop), dropped)
	assert.Equal(t, sent, received+dropped, "no duplicates and nothing in flight: every message ends once")

	types := viz.SendsByType(records)
	require.Len(t, types, 2)
	assert.Equal(t, "Ping", types[0].Label, "sorted by type")
	assert.Equal(t, "Pong", types[1].Label)
	assert.Equal(t, sent, types[0].N+types[1].N)
}

func TestFaultWindowsAndDowntimes(t *testing.T) {
	fault := func(at time.Duration, text string) sim.Record {
		return sim.Record{At: at, Kind: sim.KindFault, Text: text}
	}
	cases := []struct {
		name    string
		records []sim.Record
		want    []viz.FaultWindow
	}{
		{"none", nil, nil},
		{"opened and healed", []sim.Record{fault(10, "partition a|b"), fault(20, "heal")},
			[]viz.FaultWindow{{From: 10, To: 20, Text: "partition a|b"}}},
		{"one fault replaces another", []sim.Record{fault(10, "partition a|b"), fault(15, "loss 10%"), fault(20, "Healed")},
			[]viz.FaultWindow{{From: 10, To: 15, Text: "partition a|b"}, {From: 15, To: 20, Text: "loss 10%"}}},
		{"never healed", []sim.Record{fault(10, "isolate c")},
			[]viz.FaultWindow{{From: 10, To: 100, Text: "isolate c"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, viz.FaultWindows(c.records, 100))
		})
	}

	downs := viz.Downtimes(smallTrace(), 60*time.Millisecond)
	assert.Equal(t, []viz.Downtime{{Node: "n3", From: 15 * time.Millisecond, To: 32 * time.Millisecond, Restarted: true}}, downs)
	downs = viz.Downtimes([]sim.Record{{At: 5, Kind: sim.KindCrash, Node: "x"}}, 9)
	assert.Equal(t, []viz.Downtime{{Node: "x", From: 5, To: 9}}, downs, "never restarted: down to the end")
}
