package viz_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/viz"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func render(t *testing.T, records []sim.Record, opts viz.SpaceTimeOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, viz.WriteSpaceTime(&b, records, opts))
	return b.Bytes()
}

// A reviewer reads the golden SVGs (open them in a browser) to judge the
// drawing; the test keeps them from changing by accident.
func TestSpaceTimeGolden(t *testing.T) {
	cases := []struct {
		file string
		opts viz.SpaceTimeOptions
	}{
		{"small.golden.svg", viz.SpaceTimeOptions{Title: "three pingers, n3 crashes, n1 cut off", Stamps: viz.StampsLamport}},
		{"small-sequence.golden.svg", viz.SpaceTimeOptions{Title: "the same run, one row per event", Layout: viz.LayoutSequence, Stamps: viz.StampsVector, ShowLogs: true}},
	}
	records := smallTrace()
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got := render(t, records, c.opts)
			path := filepath.Join("testdata", c.file)
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./viz -update to create the golden file")
			assert.Equal(t, string(want), string(got), "diagram changed; if on purpose, rerun with -update and look at it")
		})
	}
}

func TestSpaceTimeIsDeterministic(t *testing.T) {
	opts := viz.SpaceTimeOptions{Stamps: viz.StampsVector, ShowLogs: true}
	first := render(t, smallTrace(), opts)
	assert.Equal(t, first, render(t, smallTrace(), opts), "same trace, same bytes")
}

// element is a parsed SVG element, enough to count what was drawn.
type element struct {
	name  string
	attrs map[string]string
	text  string
}

// parseSVG checks that b is well-formed XML and returns its elements in
// document order.
func parseSVG(t *testing.T, b []byte) []element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	var out []element
	var open []int
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the SVG must be well-formed XML")
		switch tok := tok.(type) {
		case xml.StartElement:
			e := element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			open = append(open, len(out)-1)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				out[open[len(open)-1]].text += string(tok)
			}
		}
	}
	require.NotEmpty(t, out)
	require.Equal(t, "svg", out[0].name)
	require.Empty(t, open, "every element is closed")
	return out
}

func countClass(es []element, class string) int {
	n := 0
	for _, e := range es {
		if e.attrs["class"] == class {
			n++
		}
	}
	return n
}

func texts(es []element) []string {
	var out []string
	for _, e := range es {
		if e.name == "text" || e.name == "title" {
			out = append(out, e.text)
		}
	}
	return out
}

func TestSpaceTimeDrawsEveryDeliveryDropCrashAndTimer(t *testing.T) {
	records := smallTrace()
	rec := &sim.Recorder{Records: records}
	require.Positive(t, rec.Count(sim.KindDrop))
	es := parseSVG(t, render(t, records, viz.SpaceTimeOptions{}))

	assert.Equal(t, rec.Count(sim.KindDeliver), countClass(es, "message"), "one arrow per delivery")
	assert.Equal(t, rec.Count(sim.KindDrop), countClass(es, "drop"), "one crossed arrow per lost message")
	assert.Equal(t, 1, countClass(es, "crash"))
	assert.Equal(t, 1, countClass(es, "restart"))
	assert.Equal(t, rec.Count(sim.KindTimer), countClass(es, "timer"))

	all := strings.Join(texts(es), "\n")
	assert.Contains(t, all, "n3 crashed from 15.000ms to 32.000ms", "the crashed span is dashed and says so")
	assert.Contains(t, all, "partition {n1} | {n2 n3}", "the fault window is labelled")
	assert.Contains(t, all, "(partition)", "a message lost to the partition says why")
	assert.Contains(t, all, "(crashed)", "a message that reached a crashed node says why")
	assert.NotContains(t, all, "heal", "a heal closes the window; it is not a window itself")
}

// hostile is a message whose rendering has XML's special characters and a
// control character.
type hostile struct{}

func (hostile) String() string { return `Evil<"x" & 'y'>` + "\x01" }

func TestSpaceTimeEscapesText(t *testing.T) {
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Tracer: rec})
	w.AddNode("a<b", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {})
	})
	w.AddNode("c&d", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) { env.Logf("got <%v>\x02", msg) })
	})
	w.RunFor(time.Millisecond)
	require.NoError(t, w.Exec("a<b", func(_ sim.Node, env sim.Env) { env.Send("c&d", hostile{}) }))
	w.Fault(`cut "a<b" & friends`)
	w.RunFor(10 * time.Millisecond)

	es := parseSVG(t, render(t, rec.Records, viz.SpaceTimeOptions{ShowLogs: true, Stamps: viz.StampsVector}))
	all := strings.Join(texts(es), "\n")
	assert.Contains(t, all, `a<b->c&d Evil<"x" & 'y'>`, "text survives escaping")
	assert.Contains(t, all, `cut "a<b" & friends`)
	assert.Equal(t, 1, countClass(es, "log"))
}

func TestSpaceTimeMaxMessagesSaysWhatWasCut(t *testing.T) {
	records := smallTrace()
	sends := (&sim.Recorder{Records: records}).Count(sim.KindSend)
	es := parseSVG(t, render(t, records, viz.SpaceTimeOptions{MaxMessages: 5}))
	drawn := countClass(es, "message") + countClass(es, "drop")
	assert.LessOrEqual(t, drawn, 6, "five messages; a duplicate would add an arrow, none here")
	assert.GreaterOrEqual(t, drawn, 5)
	assert.Contains(t, strings.Join(texts(es), "\n"), "showing the first 5 of "+strconv.Itoa(sends)+" messages: "+strconv.Itoa(sends-5)+" cut")
}

func TestSpaceTimeWindowAndNodeFilter(t *testing.T) {
	records := smallTrace()

	t.Run("node filter", func(t *testing.T) {
		es := parseSVG(t, render(t, records, viz.SpaceTimeOptions{Nodes: []sim.NodeID{"n2", "n1"}}))
		all := strings.Join(texts(es), "\n")
		assert.NotContains(t, all, "n3->", "no message from n3 is drawn")
		assert.NotContains(t, all, "->n3", "no message to n3 is drawn")
		assert.Contains(t, all, "messages to or from nodes not drawn are left out")
		assert.Zero(t, countClass(es, "crash"), "n3's crash is not drawn")
	})

	t.Run("time window", func(t *testing.T) {
		es := parseSVG(t, render(t, records, viz.SpaceTimeOptions{From: 30 * time.Millisecond, To: 40 * time.Millisecond}))
		// Every delivery drawn was sent and delivered inside the window.
		want := 0
		sent := map[uint64]time.Duration{}
		for _, r := range records {
			switch r.Kind {
			case sim.KindSend:
				sent[r.ID] = r.At
			case sim.KindDeliver:
				if s := sent[r.ID]; s >= 30*time.Millisecond && r.At <= 40*time.Millisecond {
					want++
				}
			}
		}
		require.Positive(t, want)
		assert.Equal(t, want, countClass(es, "message"))
		assert.Contains(t, strings.Join(texts(es), "\n"), "crossing the edge of the time window")
	})
}

func TestSpaceTimeRefusesBadInput(t *testing.T) {
	records := smallTrace()
	cases := []struct {
		name    string
		records []sim.Record
		opts    viz.SpaceTimeOptions
		want    string
	}{
		{"empty trace", nil, viz.SpaceTimeOptions{}, "empty trace"},
		{"window backwards", records, viz.SpaceTimeOptions{From: 20 * time.Millisecond, To: 10 * time.Millisecond}, "ends (10.000ms) before it starts (20.000ms)"},
		{"unknown node", records, viz.SpaceTimeOptions{Nodes: []sim.NodeID{"n9"}}, `"n9" does not appear`},
		{"node twice", records, viz.SpaceTimeOptions{Nodes: []sim.NodeID{"n1", "n1"}}, `names "n1" twice`},
		{"window after the trace", records, viz.SpaceTimeOptions{From: time.Hour, To: 2 * time.Hour}, "no events in the window"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			err := viz.WriteSpaceTime(&b, c.records, c.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Zero(t, b.Len(), "nothing is written on error")
		})
	}
	err := viz.WriteSpaceTime(io.Discard, nil, viz.SpaceTimeOptions{})
	assert.ErrorIs(t, err, viz.ErrNoData)
}
