package viz_test

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/viz"
)

// VoteReply is a vote's answer, as the papers name the field.
type VoteReply struct {
	Term        int
	VoteGranted bool
}

// records builds a trace by hand: sends, deliveries, drops and logs.
func marksTrace() []sim.Record {
	var recs []sim.Record
	add := func(r sim.Record) {
		r.Seq = uint64(len(recs) + 1)
		recs = append(recs, r)
	}
	ms := time.Millisecond
	for _, n := range []sim.NodeID{"n1", "n2", "n3"} {
		add(sim.Record{At: 0, Kind: sim.KindStart, Node: n})
	}
	// n1 -> n3 lost by the network at its send: the cross must not sit on
	// n2's lifeline, between them.
	add(sim.Record{At: 1 * ms, Kind: sim.KindSend, Node: "n1", From: "n1", To: "n3", ID: 1, Msg: VoteReply{Term: 2}})
	add(sim.Record{At: 1 * ms, Kind: sim.KindDrop, Node: "n1", From: "n1", To: "n3", ID: 1, Msg: VoteReply{Term: 2}, Text: "loss"})
	// A granted and a refused vote.
	add(sim.Record{At: 2 * ms, Kind: sim.KindSend, Node: "n2", From: "n2", To: "n1", ID: 2, Msg: VoteReply{Term: 2, VoteGranted: true}})
	add(sim.Record{At: 3 * ms, Kind: sim.KindSend, Node: "n3", From: "n3", To: "n1", ID: 3, Msg: VoteReply{Term: 2}})
	add(sim.Record{At: 4 * ms, Kind: sim.KindDeliver, Node: "n1", From: "n2", To: "n1", ID: 2, Msg: VoteReply{Term: 2, VoteGranted: true}})
	add(sim.Record{At: 5 * ms, Kind: sim.KindDeliver, Node: "n1", From: "n3", To: "n1", ID: 3, Msg: VoteReply{Term: 2}})
	add(sim.Record{At: 5 * ms, Kind: sim.KindLog, Node: "n1", Text: "became leader in term 2"})
	return recs
}

func TestSpaceTimeMarksDropsVotesAndRoles(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, viz.WriteSpaceTime(&b, marksTrace(), viz.SpaceTimeOptions{}))
	svg := b.String()

	// Node lines: n1, n2, n3 at x = 140, 290, 440 (stLeft + stPad, then a
	// column apart).
	cross := regexp.MustCompile(`<g class="drop">.*?<path d="M([0-9.]+),`).FindStringSubmatch(svg)
	require.NotNil(t, cross, svg)
	x, err := strconv.ParseFloat(cross[1], 64)
	require.NoError(t, err)
	centre := x + 5
	assert.Greater(t, centre, 140.0, "the cross is on the message's path, past its sender")
	assert.Less(t, centre, 290.0-10, "and short of n2's lifeline, which the message never reached")

	assert.Contains(t, svg, `class="message refused"`, "a refused vote looks different")
	assert.Contains(t, svg, "VoteReply ✗")
	assert.Contains(t, svg, "VoteReply ✓")
	assert.Contains(t, svg, `<g class="role">`)
	assert.Contains(t, svg, ">leader t2</text>", "the role change is marked on n1's lifeline")
}

// No message label is written over another.
func TestSpaceTimeLabelsDoNotOverprint(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, viz.WriteSpaceTime(&b, smallTrace(), viz.SpaceTimeOptions{}))
	re := regexp.MustCompile(`<text x="([0-9.]+)" y="([0-9.]+)" text-anchor="middle" font-size="10"[^>]*>([^<]*)</text>`)
	type box struct{ x0, y0, x1, y1 float64 }
	var boxes []box
	for _, m := range re.FindAllStringSubmatch(b.String(), -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		w := 6 * float64(len([]rune(m[3])))
		boxes = append(boxes, box{x - w/2, y - 10, x + w/2, y + 2})
	}
	require.Greater(t, len(boxes), 10)
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			a, c := boxes[i], boxes[j]
			overlap := a.x0 < c.x1 && c.x0 < a.x1 && a.y0 < c.y1 && c.y0 < a.y1
			assert.False(t, overlap, "labels %d and %d overprint: %v %v", i, j, a, c)
		}
	}
}
