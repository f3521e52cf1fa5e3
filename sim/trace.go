package sim

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Kind says what a Record describes.
type Kind uint8

const (
	KindStart       Kind = iota + 1 // a node booted (Start was called)
	KindSend                        // a node sent a message
	KindDeliver                     // a message reached its destination
	KindDrop                        // the network or a crash lost a message
	KindDuplicate                   // the network duplicated a message
	KindTimerSet                    // a node set a timer
	KindTimerCancel                 // a node cancelled a timer
	KindTimer                       // a timer fired
	KindCrash                       // a node crashed
	KindRestart                     // a crashed node was restarted
	KindFault                       // a fault was injected or healed (partition, loss, skew...)
	KindLog                         // a node or scenario wrote a line
)

var kindNames = [...]string{
	KindStart:       "start",
	KindSend:        "send",
	KindDeliver:     "deliver",
	KindDrop:        "drop",
	KindDuplicate:   "duplicate",
	KindTimerSet:    "timer-set",
	KindTimerCancel: "timer-cancel",
	KindTimer:       "timer",
	KindCrash:       "crash",
	KindRestart:     "restart",
	KindFault:       "fault",
	KindLog:         "log",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Record is one entry of the trace.
type Record struct {
	Seq  uint64        // position in the trace, from 1
	At   time.Duration // virtual time since the world began
	Kind Kind
	// Node is where it happened: the receiver of a delivery or drop, the
	// sender of a send, the owner of a timer, the node that crashed or logged.
	// Empty for world-wide events such as a partition.
	Node NodeID
	From NodeID // sender, for message records
	To   NodeID // destination, for message records
	// ID links the records of one message (send, duplicate, deliver, drop),
	// or names the timer for timer records.
	ID  uint64
	Msg Message // the message or timer payload, if any
	// Text is a log line, a fault's description or a drop's reason.
	Text string
}

// Tracer receives every record of a run, in order.
type Tracer interface {
	Trace(r *Record)
}

// TracerFunc adapts a function to a Tracer.
type TracerFunc func(r *Record)

func (f TracerFunc) Trace(r *Record) { f(r) }

// Tee sends every record to each tracer in turn.
func Tee(tracers ...Tracer) Tracer {
	return TracerFunc(func(r *Record) {
		for _, t := range tracers {
			t.Trace(r)
		}
	})
}

// MessageString renders a message as in traces: its type name without the
// package, then its fields, as in Ping{Seq:3}.
func MessageString(m Message) string {
	if m == nil {
		return "<nil>"
	}
	if s, ok := m.(fmt.Stringer); ok {
		return s.String()
	}
	t := reflect.TypeOf(m)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := t.Name()
	if name == "" {
		name = t.String()
	}
	v := fmt.Sprintf("%+v", m)
	if strings.HasPrefix(v, "{") {
		return name + v
	}
	return name + "(" + v + ")"
}

// FormatTime renders virtual time as milliseconds with microseconds, the
// way every dsim log line starts: 12.003ms.
func FormatTime(d time.Duration) string {
	us := int64(d / time.Microsecond)
	neg := ""
	if us < 0 {
		neg, us = "-", -us
	}
	return fmt.Sprintf("%s%d.%03dms", neg, us/1000, us%1000)
}

// String renders the record as one line of a readable log.
func (r *Record) String() string {
	t := FormatTime(r.At)
	switch r.Kind {
	case KindSend:
		return fmt.Sprintf("%s %s->%s send %s", t, r.From, r.To, MessageString(r.Msg))
	case KindDeliver:
		return fmt.Sprintf("%s %s->%s %s", t, r.From, r.To, MessageString(r.Msg))
	case KindDrop:
		return fmt.Sprintf("%s %s-x%s %s dropped (%s)", t, r.From, r.To, MessageString(r.Msg), r.Text)
	case KindDuplicate:
		return fmt.Sprintf("%s %s->%s %s duplicated", t, r.From, r.To, MessageString(r.Msg))
	case KindTimerSet:
		return fmt.Sprintf("%s %s sets timer %d %s (%s)", t, r.Node, r.ID, MessageString(r.Msg), r.Text)
	case KindTimerCancel:
		return fmt.Sprintf("%s %s cancels timer %d", t, r.Node, r.ID)
	case KindTimer:
		return fmt.Sprintf("%s %s timer %s", t, r.Node, MessageString(r.Msg))
	case KindStart:
		return fmt.Sprintf("%s %s starts", t, r.Node)
	case KindCrash:
		return fmt.Sprintf("%s %s CRASHES%s", t, r.Node, suffix(r.Text))
	case KindRestart:
		return fmt.Sprintf("%s %s restarts", t, r.Node)
	case KindFault:
		return fmt.Sprintf("%s FAULT %s", t, r.Text)
	case KindLog:
		if r.Node == "" {
			return fmt.Sprintf("%s -- %s", t, r.Text)
		}
		return fmt.Sprintf("%s %s: %s", t, r.Node, r.Text)
	}
	return fmt.Sprintf("%s %s %s", t, r.Kind, r.Text)
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// AppendJSON appends the record as one line of JSON (with a trailing
// newline). Fields appear in a fixed order and empty ones are left out, so
// the bytes depend only on the record.
func (r *Record) AppendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, int64(r.At), 10)
	b = append(b, `,"kind":"`...)
	b = append(b, r.Kind.String()...)
	b = append(b, '"')
	b = appendField(b, "node", string(r.Node))
	b = appendField(b, "from", string(r.From))
	b = appendField(b, "to", string(r.To))
	if r.ID != 0 {
		b = append(b, `,"id":`...)
		b = strconv.AppendUint(b, r.ID, 10)
	}
	if r.Msg != nil {
		b = appendField(b, "msg", MessageString(r.Msg))
	}
	b = appendField(b, "text", r.Text)
	return append(b, "}\n"...)
}

func appendField(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":`...)
	if plainJSON(value) {
		// What json.Marshal would write, without its reflection and
		// allocation: most fields (ids, message texts) need no escaping.
		b = append(b, '"')
		b = append(b, value...)
		return append(b, '"')
	}
	q, _ := json.Marshal(value) // a string always marshals
	return append(b, q...)
}

// plainJSON reports whether json.Marshal writes s as itself in quotes:
// printable ASCII without the characters it escapes (" \ < > &).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// JSONL writes each record as a line of JSON to w. Call Flush when the run
// is over; Err reports the first write error.
type JSONL struct {
	w   *bufio.Writer
	buf []byte
	err error
}

// NewJSONL returns a tracer writing JSON Lines to w.
func NewJSONL(w io.Writer) *JSONL { return &JSONL{w: bufio.NewWriter(w)} }

func (j *JSONL) Trace(r *Record) {
	if j.err != nil {
		return
	}
	j.buf = r.AppendJSON(j.buf[:0])
	_, j.err = j.w.Write(j.buf)
}

// Flush writes out buffered lines and returns the first error seen.
func (j *JSONL) Flush() error {
	if j.err != nil {
		return j.err
	}
	return j.w.Flush()
}

// Hasher hashes the JSON Lines form of the trace with SHA-256: two runs with
// the same hash wrote the same trace bytes.
type Hasher struct {
	h   hash.Hash
	buf []byte
	n   int
}

// NewHasher returns an empty trace hasher.
func NewHasher() *Hasher { return &Hasher{h: sha256.New()} }

func (h *Hasher) Trace(r *Record) {
	h.buf = r.AppendJSON(h.buf[:0])
	h.h.Write(h.buf)
	h.n++
}

// Sum is the hex SHA-256 of every record so far.
func (h *Hasher) Sum() string { return hex.EncodeToString(h.h.Sum(nil)) }

// Records is how many records were hashed.
func (h *Hasher) Records() int { return h.n }

// Recorder keeps every record in memory.
type Recorder struct {
	Records []Record
}

func (rec *Recorder) Trace(r *Record) { rec.Records = append(rec.Records, *r) }

// Count returns how many records of kind k were kept.
func (rec *Recorder) Count(k Kind) int {
	n := 0
	for i := range rec.Records {
		if rec.Records[i].Kind == k {
			n++
		}
	}
	return n
}

// LinesExcept renders every kept record with Record.String, except the
// records of the kinds in skip: rec.LinesExcept(sim.KindSend) is the trace
// without its sends.
func (rec *Recorder) LinesExcept(skip ...Kind) []string {
	var out []string
next:
	for i := range rec.Records {
		for _, k := range skip {
			if rec.Records[i].Kind == k {
				continue next
			}
		}
		out = append(out, rec.Records[i].String())
	}
	return out
}

// Lines is the old name of LinesExcept, which says what it does: it leaves
// the given kinds out.
//
// Deprecated: use LinesExcept.
func (rec *Recorder) Lines(skip ...Kind) []string { return rec.LinesExcept(skip...) }

// Discard is a tracer that throws every record away. The world still builds
// each record, so a run traced to Discard costs what tracing costs, minus
// the rendering.
var Discard Tracer = discard{}

type discard struct{}

func (discard) Trace(*Record) {}
