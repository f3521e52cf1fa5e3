package viz

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// MessageText is a message read back from a JSON Lines trace, where only its
// rendering survives (Ping{Seq:3}). It prints as itself, so a record read
// with ReadTrace writes the same JSON line again.
type MessageText string

// String returns the message as it was rendered in the trace.
func (m MessageText) String() string { return string(m) }

// ErrBadTrace is wrapped by every error ReadTrace returns for input that is
// not a dsim JSON Lines trace.
var ErrBadTrace = errors.New("viz: not a dsim trace")

// maxLine bounds one trace line; a longer one is refused, not truncated.
const maxLine = 16 << 20

// jsonRecord mirrors the fields sim.Record.AppendJSON writes.
type jsonRecord struct {
	Seq  uint64  `json:"seq"`
	T    *int64  `json:"t"`
	Kind string  `json:"kind"`
	Node string  `json:"node"`
	From string  `json:"from"`
	To   string  `json:"to"`
	ID   uint64  `json:"id"`
	Msg  *string `json:"msg"`
	Text string  `json:"text"`
}

// ReadTrace reads a trace written as JSON Lines (sim.JSONL) back into
// records. Each Msg is a MessageText holding the message as rendered. Blank
// lines are skipped; anything else that is not a record is an error naming
// its line.
func ReadTrace(r io.Reader) ([]sim.Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var out []sim.Record
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var jr jsonRecord
		if err := json.Unmarshal(b, &jr); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBadTrace, line, err)
		}
		kind, ok := parseKind(jr.Kind)
		if !ok {
			return nil, fmt.Errorf("%w: line %d: unknown kind %q", ErrBadTrace, line, jr.Kind)
		}
		if jr.T == nil {
			return nil, fmt.Errorf("%w: line %d: no time (\"t\")", ErrBadTrace, line)
		}
		rec := sim.Record{
			Seq:  jr.Seq,
			At:   time.Duration(*jr.T),
			Kind: kind,
			Node: sim.NodeID(jr.Node),
			From: sim.NodeID(jr.From),
			To:   sim.NodeID(jr.To),
			ID:   jr.ID,
			Text: jr.Text,
		}
		if jr.Msg != nil {
			rec.Msg = MessageText(*jr.Msg)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("viz: reading trace after line %d: %w", line, err)
	}
	return out, nil
}

func parseKind(name string) (sim.Kind, bool) {
	for k := sim.Kind(1); k < 64; k++ {
		s := k.String()
		if strings.HasPrefix(s, "kind(") {
			break
		}
		if s == name {
			return k, true
		}
	}
	return 0, false
}

// MessageType is the short name of a message's type, as a diagram labels
// it: "Ping" for Ping{Seq:3}. It works on live messages and on MessageText.
func MessageType(m sim.Message) string {
	s := sim.MessageString(m)
	if i := strings.IndexAny(s, "{( "); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "?"
	}
	return s
}

// Delivery is one copy of a message that reached its receiver.
type Delivery struct {
	ID          uint64 // the message id shared by its send and deliver records
	From, To    sim.NodeID
	Type        string // MessageType of the message
	Sent        time.Duration
	DeliveredAt time.Duration
}

// Latency is how long the copy spent in the network.
func (d Delivery) Latency() time.Duration { return d.DeliveredAt - d.Sent }

// Deliveries pairs every delivery in the trace with its send, in trace
// order. A duplicated message yields two deliveries. Deliveries whose send
// is not in the records (a trace cut at the front) are left out.
func Deliveries(records []sim.Record) []Delivery {
	sent := map[uint64]time.Duration{}
	var out []Delivery
	for i := range records {
		r := &records[i]
		switch r.Kind {
		case sim.KindSend:
			sent[r.ID] = r.At
		case sim.KindDeliver:
			at, ok := sent[r.ID]
			if !ok {
				continue
			}
			out = append(out, Delivery{ID: r.ID, From: r.From, To: r.To, Type: MessageType(r.Msg), Sent: at, DeliveredAt: r.At})
		}
	}
	return out
}

// Latencies lists the latency of each delivery, in the same order.
func Latencies(ds []Delivery) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Latency()
	}
	return out
}

// NodeTraffic counts the messages one node sent and received.
type NodeTraffic struct {
	Node     sim.NodeID
	Sent     int // messages it handed to the network
	Received int // copies delivered to it (duplicates count twice)
	Dropped  int // its messages that were lost, by the network or at a crashed receiver
}

// TrafficByNode counts messages per node. Nodes appear in the order they
// first show up in the trace.
func TrafficByNode(records []sim.Record) []NodeTraffic {
	index := map[sim.NodeID]int{}
	var out []NodeTraffic
	at := func(id sim.NodeID) *NodeTraffic {
		i, ok := index[id]
		if !ok {
			i = len(out)
			index[id] = i
			out = append(out, NodeTraffic{Node: id})
		}
		return &out[i]
	}
	for i := range records {
		r := &records[i]
		switch r.Kind {
		case sim.KindSend:
			at(r.From).Sent++
		case sim.KindDeliver:
			at(r.To).Received++
		case sim.KindDrop:
			at(r.From).Dropped++
		}
	}
	return out
}

// Count is a labelled number, one bar of a bar chart.
type Count struct {
	Label string
	N     int
}

// SendsByType counts sent messages per MessageType, sorted by type name.
func SendsByType(records []sim.Record) []Count {
	n := map[string]int{}
	var names []string
	for i := range records {
		if records[i].Kind != sim.KindSend {
			continue
		}
		t := MessageType(records[i].Msg)
		if _, seen := n[t]; !seen {
			names = append(names, t)
		}
		n[t]++
	}
	slices.Sort(names)
	out := make([]Count, len(names))
	for i, name := range names {
		out[i] = Count{Label: name, N: n[name]}
	}
	return out
}

// FaultWindow is a span of virtual time during which a fault was in force.
type FaultWindow struct {
	From, To time.Duration
	Text     string
}

// FaultWindows reads the fault records of a trace as windows. A fault record
// describes the network's new fault state, so it opens a window that lasts
// until the next fault record; a record whose text starts with "heal"
// closes the open window without opening another. A window still open at
// the end of the trace ends at end.
func FaultWindows(records []sim.Record, end time.Duration) []FaultWindow {
	var out []FaultWindow
	open := -1
	for i := range records {
		r := &records[i]
		if r.Kind != sim.KindFault {
			continue
		}
		if open >= 0 {
			out[open].To = r.At
			open = -1
		}
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Text)), "heal") {
			continue
		}
		out = append(out, FaultWindow{From: r.At, To: end, Text: r.Text})
		open = len(out) - 1
	}
	if open >= 0 && out[open].To < out[open].From {
		out[open].To = out[open].From
	}
	return out
}

// Downtime is a span during which a node was crashed.
type Downtime struct {
	Node     sim.NodeID
	From, To time.Duration
	// Restarted says whether the span ended with a restart; if not, To is
	// the end given to Downtimes.
	Restarted bool
}

// Downtimes lists each crash-to-restart span in the trace, in the order the
// crashes happened. A node that never restarts is down until end.
func Downtimes(records []sim.Record, end time.Duration) []Downtime {
	var out []Downtime
	open := map[sim.NodeID]int{}
	for i := range records {
		r := &records[i]
		switch r.Kind {
		case sim.KindCrash:
			if _, down := open[r.Node]; down {
				continue
			}
			open[r.Node] = len(out)
			out = append(out, Downtime{Node: r.Node, From: r.At, To: max(end, r.At)})
		case sim.KindRestart:
			if j, down := open[r.Node]; down {
				out[j].To = r.At
				out[j].Restarted = true
				delete(open, r.Node)
			}
		}
	}
	return out
}

// stamped reports whether a record is an event of one process, and so gets
// a logical timestamp. Drops, duplicates and faults happen in the network;
// timer bookkeeping (set, cancel) is left out so stamps count what a
// diagram draws.
func stamped(r *sim.Record) bool {
	switch r.Kind {
	case sim.KindStart, sim.KindSend, sim.KindDeliver, sim.KindTimer, sim.KindCrash, sim.KindRestart:
		return true
	case sim.KindLog:
		return r.Node != ""
	}
	return false
}

// LamportStamps computes a Lamport timestamp for every process event of the
// trace, from its happened-before relation: each node's events in trace
// order, plus each send before its deliveries. out[i] belongs to
// records[i]; it is 0 for records that are not process events (drops,
// duplicates, faults, world log lines, timer set and cancel).
//
// The stamps are the trace's, not the nodes': a crash does not reset them,
// because the crashed node's line still orders its events.
func LamportStamps(records []sim.Record) []uint64 {
	out := make([]uint64, len(records))
	clock := map[sim.NodeID]uint64{}
	sendStamp := map[uint64]uint64{}
	for i := range records {
		r := &records[i]
		if !stamped(r) {
			continue
		}
		c := clock[r.Node]
		if r.Kind == sim.KindDeliver {
			c = max(c, sendStamp[r.ID])
		}
		c++
		clock[r.Node] = c
		out[i] = c
		if r.Kind == sim.KindSend {
			sendStamp[r.ID] = c
		}
	}
	return out
}

// VectorStamps computes a vector timestamp for every process event of the
// trace (the same events LamportStamps stamps). Entry j of a vector counts
// the events of nodes[j] that happened before or at the event; nodes lists
// every node of the trace in order of first appearance. out[i] is nil for
// records that are not process events.
//
// Event a happened before event b exactly when VectorBefore(a, b).
func VectorStamps(records []sim.Record) (nodes []sim.NodeID, out [][]uint64) {
	nodes = traceNodes(records)
	index := make(map[sim.NodeID]int, len(nodes))
	for i, n := range nodes {
		index[n] = i
	}
	clocks := make([][]uint64, len(nodes))
	for i := range clocks {
		clocks[i] = make([]uint64, len(nodes))
	}
	sendVec := map[uint64][]uint64{}
	out = make([][]uint64, len(records))
	for i := range records {
		r := &records[i]
		if !stamped(r) {
			continue
		}
		j := index[r.Node]
		c := clocks[j]
		if r.Kind == sim.KindDeliver {
			for k, v := range sendVec[r.ID] {
				c[k] = max(c[k], v)
			}
		}
		c[j]++
		v := append([]uint64(nil), c...)
		out[i] = v
		if r.Kind == sim.KindSend {
			sendVec[r.ID] = v
		}
	}
	return nodes, out
}

// VectorBefore reports whether the event stamped a happened before the
// event stamped b: a <= b entry by entry, and a != b.
func VectorBefore(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	strict := false
	for i := range a {
		if a[i] > b[i] {
			return false
		}
		if a[i] < b[i] {
			strict = true
		}
	}
	return strict
}

// traceNodes lists every node where something happened, in order of first
// appearance. A message sent to a name that is no node does not add it.
func traceNodes(records []sim.Record) []sim.NodeID {
	seen := map[sim.NodeID]bool{}
	var out []sim.NodeID
	add := func(id sim.NodeID) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for i := range records {
		add(records[i].Node) // every node that exists has a start record
	}
	return out
}
