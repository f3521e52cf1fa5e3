package replay

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
)

// Line is one line of a recording (JSON Lines). Kind says which fields
// are set:
//
//	start   a run begins: Node, Protocol, Cluster, Peers, Seed, Disk, At
//	msg     a message arrived: At, From, Msg (the wire envelope)
//	timer   timer number Timer fired: At
//	self    self-send number Self arrived: At
//	out     an output of the event before: Out
type Line struct {
	Kind     string            `json:"kind"`
	At       time.Time         `json:"at,omitzero"`
	Node     sim.NodeID        `json:"node,omitempty"`
	Protocol string            `json:"protocol,omitempty"`
	Cluster  *tcp.Cluster      `json:"cluster,omitempty"`
	Peers    []sim.NodeID      `json:"peers,omitempty"`
	Seed     uint64            `json:"seed,omitempty"`
	Disk     map[string]string `json:"disk,omitempty"` // key -> base64 value
	From     sim.NodeID        `json:"from,omitempty"`
	Msg      json.RawMessage   `json:"msg,omitempty"`
	Timer    int               `json:"timer,omitempty"`
	Self     int               `json:"self,omitempty"`
	Out      string            `json:"out,omitempty"`
}

// timerFire and selfSend carry a timer's or a self-send's value through
// the runtime with its number, so the recorder can name it.
type (
	timerFire struct {
		K   int
		Msg sim.Message
	}
	selfSend struct {
		K   int
		Msg sim.Message
	}
)

// Recorder is a sim.Node that records everything its inner node receives
// and digests everything it does. Build one with Record.
type Recorder struct {
	inner    sim.Node
	reg      *tcp.Registry
	protocol string
	cluster  tcp.Cluster

	// out is the recording. Only the handlers write it (one at a time, on
	// the runtime's event loop), and what is written never flows back
	// into the node: the recorder watches, it does not steer. An event's
	// lines (its input and outputs) collect in pending and go out in one
	// write when its handler returns, so a kill -9 leaves whole events.
	out     io.Writer
	pending bytes.Buffer
	err     error

	fx effects
}

// Record returns node wrapped so that it writes its run to w. reg is the
// protocol's registry (it encodes the recorded messages); protocol and
// cluster go into the recording so that Check can build the node again.
func Record(node sim.Node, w io.Writer, reg *tcp.Registry, protocol string, cluster tcp.Cluster, seed uint64) *Recorder {
	r := &Recorder{inner: node, reg: reg, protocol: protocol, cluster: cluster, out: w}
	r.fx = effects{reg: reg, rng: newRand(seed), seed: seed, emit: r.emit}
	return r
}

// Err is the first error writing the recording, if any. Ask once the
// node has stopped.
func (r *Recorder) Err() error { return r.err }

func (r *Recorder) write(l Line) {
	if r.err != nil {
		return
	}
	b, err := json.Marshal(l)
	if err != nil {
		r.err = fmt.Errorf("recording: %w", err)
		return
	}
	r.pending.Write(b)
	r.pending.WriteByte('\n')
}

// flush ends an event: what is written survives a kill -9 after it.
func (r *Recorder) flush() {
	if r.err == nil {
		if _, err := r.out.Write(r.pending.Bytes()); err != nil {
			r.err = fmt.Errorf("recording: %w", err)
		}
	}
	r.pending.Reset()
}

func (r *Recorder) emit(out string) { r.write(Line{Kind: "out", Out: out}) }

// Start records the run's beginning (with the whole disk) and starts the
// inner node.
func (r *Recorder) Start(env sim.Env) {
	disk := map[string]string{}
	for _, k := range env.Disk().Keys() {
		v, _ := env.Disk().Get(k)
		disk[k] = base64.StdEncoding.EncodeToString(v)
	}
	now := env.Now().Round(0) // no monotonic reading: a replay has none, and Sub must agree
	c := r.cluster
	r.write(Line{Kind: "start", At: now, Node: env.ID(), Protocol: r.protocol, Cluster: &c, Peers: env.Peers(), Seed: r.fx.seed, Disk: disk})
	r.fx.reset()
	r.inner.Start(r.fx.env(env, now))
	r.flush()
}

// Receive records the event and hands it to the inner node.
func (r *Recorder) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	now := env.Now().Round(0) // no monotonic reading: a replay has none, and Sub must agree
	switch m := msg.(type) {
	case timerFire:
		r.write(Line{Kind: "timer", At: now, Timer: m.K})
		msg = m.Msg
		delete(r.fx.ids, r.fx.timerIDs[m.K])
		delete(r.fx.timerIDs, m.K)
	case selfSend:
		r.write(Line{Kind: "self", At: now, Self: m.K})
		msg = m.Msg
	default:
		frame, err := r.reg.Encode(msg)
		if err != nil {
			r.write(Line{Kind: "msg", At: now, From: from, Msg: json.RawMessage(fmt.Sprintf(`{"type":"unencodable","body":%q}`, err.Error()))})
		} else {
			r.write(Line{Kind: "msg", At: now, From: from, Msg: frame[4:]})
		}
	}
	r.inner.Receive(r.fx.env(env, now), from, msg)
	r.flush()
}

// Inspect shows the inner node's.
func (r *Recorder) Inspect() map[string]string {
	if in, ok := r.inner.(sim.Inspector); ok {
		return in.Inspect()
	}
	return map[string]string{}
}

// effects is what a recorded or replayed node does to the world, through
// its Env: each output is digested and passed to emit. The recorder and
// the replayer share it, so they digest alike.
type effects struct {
	reg  *tcp.Registry
	rng  *rand.Rand
	seed uint64
	emit func(out string)
	// timers and selfs number what the node made; timerIDs maps a timer's
	// number to the underlying Env's TimerID, and ids back.
	nextTimer, nextSelf int
	timers, selfs       map[int]sim.Message
	timerIDs            map[int]sim.TimerID
	ids                 map[sim.TimerID]int
}

func (fx *effects) reset() {
	fx.nextTimer, fx.nextSelf = 0, 0
	fx.timers, fx.selfs = map[int]sim.Message{}, map[int]sim.Message{}
	fx.timerIDs, fx.ids = map[int]sim.TimerID{}, map[sim.TimerID]int{}
}

func (fx *effects) env(under sim.Env, now time.Time) sim.Env {
	return &fxEnv{Env: under, fx: fx, now: now}
}

// digest names a message by its type and a hash of its encoding.
func (fx *effects) digest(msg sim.Message) string {
	if frame, err := fx.reg.Encode(msg); err == nil {
		name, _ := fx.reg.NameOf(msg)
		return name + " #" + hash(frame[4:])
	}
	return fmt.Sprintf("%T #%s", msg, hash([]byte(fmt.Sprintf("%+v", msg))))
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// fxEnv is the Env a recorded (or replayed) node sees: time frozen at the
// event's arrival, the recorder's own random numbers, and every effect
// digested.
type fxEnv struct {
	sim.Env
	fx  *effects
	now time.Time
}

func (e *fxEnv) Now() time.Time   { return e.now }
func (e *fxEnv) Rand() *rand.Rand { return e.fx.rng }
func (e *fxEnv) Disk() sim.Disk   { return fxDisk{e.Env.Disk(), e.fx} }

func (e *fxEnv) Send(to sim.NodeID, msg sim.Message) {
	if to == e.ID() {
		e.fx.nextSelf++
		k := e.fx.nextSelf
		e.fx.selfs[k] = msg
		e.fx.emit(fmt.Sprintf("self %d %s", k, e.fx.digest(msg)))
		e.Env.Send(to, selfSend{K: k, Msg: msg})
		return
	}
	e.fx.emit(fmt.Sprintf("send %s %s", to, e.fx.digest(msg)))
	e.Env.Send(to, msg)
}

func (e *fxEnv) SetTimer(d time.Duration, msg sim.Message) sim.TimerID {
	e.fx.nextTimer++
	k := e.fx.nextTimer
	e.fx.timers[k] = msg
	e.fx.emit(fmt.Sprintf("timer %d %v %s", k, d, e.fx.digest(msg)))
	id := e.Env.SetTimer(d, timerFire{K: k, Msg: msg})
	e.fx.timerIDs[k], e.fx.ids[id] = id, k
	return id
}

func (e *fxEnv) CancelTimer(id sim.TimerID) {
	k, ok := e.fx.ids[id]
	if !ok {
		e.fx.emit("cancel unknown")
		return
	}
	e.fx.emit(fmt.Sprintf("cancel %d", k))
	e.Env.CancelTimer(id)
}

// fxDisk digests writes; reads go straight through.
type fxDisk struct {
	sim.Disk
	fx *effects
}

func (d fxDisk) Put(key string, value []byte) {
	d.fx.emit(fmt.Sprintf("put %q #%s", key, hash(value)))
	d.Disk.Put(key, value)
}

func (d fxDisk) Delete(key string) {
	d.fx.emit(fmt.Sprintf("delete %q", key))
	d.Disk.Delete(key)
}

func (d fxDisk) Sync() {
	d.fx.emit("sync")
	d.Disk.Sync()
}
