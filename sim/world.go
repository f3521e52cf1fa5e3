package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Epoch is the instant virtual time zero stands for, unless Config.Epoch
// says otherwise. Any fixed instant would do; this one is easy to read.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Errors returned by World methods.
var (
	ErrUnknownNode = errors.New("sim: no such node")
	ErrNodeDown    = errors.New("sim: node is crashed")
)

// Config sets up a World. The zero value works: seed 0, messages delivered
// after exactly 1ms, no trace.
type Config struct {
	// Seed drives every random choice of the run.
	Seed uint64
	// Network decides each message's fate; nil means FixedLatency(1ms).
	Network LinkModel
	// Tracer receives every trace record; nil discards them.
	Tracer Tracer
	// LoseUnsyncedWrites makes a crash lose the Disk writes a node had not
	// yet made durable with Disk.Sync.
	LoseUnsyncedWrites bool
	// Epoch is the wall-clock instant of virtual time zero (default Epoch).
	Epoch time.Time
}

// Stats counts what happened in a run.
type Stats struct {
	Events     uint64 // events processed: deliveries, timers, starts, actions
	Sent       uint64 // messages handed to the network
	Delivered  uint64 // messages received by a node (duplicates included)
	Dropped    uint64 // messages lost: by the network or at a crashed node
	Duplicated uint64 // extra copies the network made
	Timers     uint64 // timers that fired
	Crashes    uint64
	Restarts   uint64
}

// World is a simulated cluster: nodes, a network, a virtual clock and the
// queue of everything that will happen. A World is not safe for concurrent
// use; it runs every handler on the caller's goroutine.
type World struct {
	cfg     Config
	network LinkModel
	clocks  ClockModel
	tracer  Tracer
	now     time.Duration

	q     queue
	slots []event
	free  []int32
	seq   uint64

	nodes []*nodeState
	ids   []NodeID // ids[i] == nodes[i].id, read without a pointer chase
	byID  map[NodeID]int32
	// recent caches byID for send, the hottest lookup: see index.
	recent  [256]recentID
	members []NodeID // sorted ids of AddNode'd nodes

	netRand     *rand.Rand
	nextMsgID   uint64
	nextTimerID TimerID
	// pending maps each timer that has neither fired nor been cancelled
	// to its queue slot, so CancelTimer can void it in place.
	pending map[TimerID]int32

	// holding: messages are kept in held for a tool to release (hold.go);
	// script gives some messages fates decided ahead of time.
	holding bool
	held    []Held // sorted by id
	script  FateScript

	traceSeq  uint64
	rec       Record
	afterStep []func()
	stats     Stats
}

type eventKind uint8

const (
	evDeliver eventKind = iota + 1
	evTimer
	evStart
	evAction
	evVoid // a cancelled timer, skipped when it comes up
)

type event struct {
	kind eventKind
	node int32  // destination (delivery, timer, start)
	from int32  // sender of a delivery
	inc  uint32 // incarnation the timer or start belongs to
	id   uint64 // message or timer id
	msg  Message
	fn   func()
}

type nodeState struct {
	id      NodeID
	member  bool
	factory func() Node
	node    Node // nil while crashed
	up      bool
	// incarnation counts boots; timers and starts from an earlier
	// incarnation are void.
	incarnation uint32
	disk        *MemDisk
	env         *env
	peers       []NodeID // computed at start
}

// NewWorld returns an empty world at virtual time zero.
func NewWorld(cfg Config) *World {
	if cfg.Epoch.IsZero() {
		cfg.Epoch = Epoch
	}
	w := &World{
		cfg:     cfg,
		network: cfg.Network,
		tracer:  cfg.Tracer,
		byID:    map[NodeID]int32{},
		pending: map[TimerID]int32{},
		netRand: rand.New(rand.NewPCG(cfg.Seed, streamKey("network", 0))),
	}
	if w.network == nil {
		w.network = FixedLatency(time.Millisecond)
	}
	if c, ok := w.network.(ClockModel); ok {
		w.clocks = c
	}
	if s, ok := w.network.(FateScript); ok {
		w.script = s
	}
	if a, ok := w.network.(Attacher); ok {
		a.Attach(w)
	}
	return w
}

// streamKey derives the second PCG seed word for a named stream, so every
// stream of a world is independent of the others and of how many exist.
func streamKey(name string, n uint32) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64() ^ (uint64(n) * 0x9E3779B97F4A7C15)
}

// Seed is the world's seed.
func (w *World) Seed() uint64 { return w.cfg.Seed }

// Now is the virtual time since the world began.
func (w *World) Now() time.Duration { return w.now }

// Network is the world's link model.
func (w *World) Network() LinkModel { return w.network }

// Stats reports what has happened so far.
func (w *World) Stats() Stats { return w.stats }

// AddNode adds a cluster member, built by factory now. It boots at the
// current virtual time: its Start runs as an event at this time, after the
// Starts of nodes added before it, so every member is known by then.
// Every member sees every other member in Env.Peers.
func (w *World) AddNode(id NodeID, factory func() Node) {
	w.add(id, factory, true)
}

// AddClient adds a node that is not a cluster member: members do not list
// it among their peers, and its own Peers are all the members. Use it for
// clients and load generators.
func (w *World) AddClient(id NodeID, factory func() Node) {
	w.add(id, factory, false)
}

func (w *World) add(id NodeID, factory func() Node, member bool) {
	if _, dup := w.byID[id]; dup {
		panic(fmt.Sprintf("sim: node %q added twice", id))
	}
	if id == "" {
		panic("sim: a node needs a non-empty id")
	}
	idx := int32(len(w.nodes))
	disk := NewMemDisk()
	disk.trackUnsynced = w.cfg.LoseUnsyncedWrites
	ns := &nodeState{id: id, member: member, factory: factory, disk: disk}
	w.nodes = append(w.nodes, ns)
	w.ids = append(w.ids, id)
	w.byID[id] = idx
	if member {
		at, _ := slices.BinarySearch(w.members, id) // keep members sorted
		w.members = slices.Insert(w.members, at, id)
	}
	ns.node = factory()
	w.schedule(w.now, event{kind: evStart, node: idx, inc: ns.incarnation})
}

// Members lists the cluster members, sorted.
func (w *World) Members() []NodeID { return slices.Clone(w.members) }

// Nodes lists every node, members and clients, in the order they were added.
func (w *World) Nodes() []NodeID {
	ids := make([]NodeID, len(w.nodes))
	for i, n := range w.nodes {
		ids[i] = n.id
	}
	return ids
}

// Node returns the current value of node id, or nil if it is crashed or
// unknown. Use it to inspect a node between steps, never to change it.
func (w *World) Node(id NodeID) Node {
	if i, ok := w.byID[id]; ok {
		return w.nodes[i].node
	}
	return nil
}

// Up reports whether node id exists and is running: it has started and has
// not crashed since.
func (w *World) Up(id NodeID) bool {
	i, ok := w.byID[id]
	return ok && w.nodes[i].up
}

// Disk returns node id's disk, crashed or not, or nil if there is no such node.
func (w *World) Disk(id NodeID) *MemDisk {
	if i, ok := w.byID[id]; ok {
		return w.nodes[i].disk
	}
	return nil
}

// Exec runs f as if it were a handler of node id, now: f may send, set
// timers and log through env. Test harnesses use it to hand a node a
// command (say, a client request to a Raft leader).
func (w *World) Exec(id NodeID, f func(n Node, env Env)) error {
	i, ok := w.byID[id]
	if !ok {
		return fmt.Errorf("exec on %q: %w", id, ErrUnknownNode)
	}
	ns := w.nodes[i]
	if !ns.up || ns.env == nil {
		return fmt.Errorf("exec on %q: %w", id, ErrNodeDown)
	}
	f(ns.node, ns.env)
	return nil
}

// At schedules f to run at virtual time t (or now, if t has passed). Use it
// to script faults: w.At(2*time.Second, func() { w.Crash("n1") }).
func (w *World) At(t time.Duration, f func()) {
	w.schedule(max(t, w.now), event{kind: evAction, node: -1, fn: f})
}

// After schedules f to run d from now.
func (w *World) After(d time.Duration, f func()) { w.At(w.now+d, f) }

// AfterStep registers f to run after every event, for example an invariant
// check. Functions run in the order they were registered.
func (w *World) AfterStep(f func()) { w.afterStep = append(w.afterStep, f) }

// Crash stops node id: its value, its timers and the messages it has not
// yet received are lost; its Disk keeps what was durable. Crashing a crashed
// node does nothing.
func (w *World) Crash(id NodeID) {
	i := w.mustIndex(id, "crash")
	ns := w.nodes[i]
	if ns.node == nil {
		return
	}
	ns.up = false
	ns.node = nil
	ns.env = nil
	ns.incarnation++
	lost := ns.disk.crash(w.cfg.LoseUnsyncedWrites)
	w.stats.Crashes++
	if w.tracer != nil {
		text := ""
		if lost > 0 {
			text = fmt.Sprintf("%d unsynced disk writes lost", lost)
		}
		w.emit(KindCrash, id, "", "", 0, nil, text)
	}
}

// Restart boots a crashed node again: a fresh value from its factory, the
// same Disk, and Start as an event at the current time. Restarting a running node does
// nothing.
func (w *World) Restart(id NodeID) {
	i := w.mustIndex(id, "restart")
	ns := w.nodes[i]
	if ns.node != nil {
		return
	}
	ns.node = ns.factory()
	w.stats.Restarts++
	if w.tracer != nil {
		w.emit(KindRestart, id, "", "", 0, nil, "")
	}
	w.schedule(w.now, event{kind: evStart, node: i, inc: ns.incarnation})
}

func (w *World) mustIndex(id NodeID, op string) int32 {
	i, ok := w.byID[id]
	if !ok {
		panic(fmt.Sprintf("sim: %s of unknown node %q", op, id))
	}
	return i
}

// Fault records a fault change (a partition, a heal, a loss rate) in the
// trace. Link models call it when their faults change, so the trace shows
// why messages start or stop arriving.
func (w *World) Fault(format string, args ...any) {
	if w.tracer != nil {
		w.emit(KindFault, "", "", "", 0, nil, fmt.Sprintf(format, args...))
	}
}

// Logf writes a world-level line into the trace: a scenario's narration.
func (w *World) Logf(format string, args ...any) {
	if w.tracer != nil {
		w.emit(KindLog, "", "", "", 0, nil, fmt.Sprintf(format, args...))
	}
}

// Step runs the next event. It returns false when nothing is left to do.
func (w *World) Step() bool { return w.step(math.MaxInt64) }

// step runs the next visible event due at or before end. Cancelled timers
// and timers of crashed incarnations are dropped on the way without
// counting as a step, and never let step run past end.
func (w *World) step(end time.Duration) bool {
	for {
		// w.q.len() > 0 && w.q.peek().at <= end, then take, with the
		// queue's vacant root removed once rather than in each call.
		w.q.settle()
		if len(w.q.h) == 0 || w.q.h[0].at > end {
			return false
		}
		e := w.q.take()
		s := &w.slots[e.slot]
		w.now = e.at
		if s.kind == evDeliver {
			// The commonest event, taken apart field by field rather than
			// copied whole (see scheduleDelivery).
			// s.msg is left in the freed slot: every reuse of a slot
			// overwrites it, so at most the free slots (no more than the
			// most events ever queued at once) keep a delivered message
			// alive a little longer, and the step saves a pointer write,
			// which costs a write barrier while the collector marks.
			to, from, id, msg := s.node, s.from, s.id, s.msg
			w.free = append(w.free, e.slot)
			if ns := w.nodes[to]; ns.up {
				// deliver, inlined for the commonest case: a running node.
				w.stats.Delivered++
				fromID := w.ids[from]
				if w.tracer != nil {
					w.emitDeliver(fromID, ns.id, id, msg)
				}
				ns.node.Receive(ns.env, fromID, msg)
			} else {
				w.deliver(to, from, id, msg)
			}
			w.stats.Events++
			for _, f := range w.afterStep {
				f()
			}
			return true
		}
		ev := *s
		s.msg, s.fn = nil, nil // let the garbage collector have them; the rest is overwritten on reuse
		w.free = append(w.free, e.slot)
		if w.dispatch(&ev) {
			w.stats.Events++
			for _, f := range w.afterStep {
				f()
			}
			return true
		}
	}
}

// NextAt reports when the next event is due, and false if there is none.
// A cancelled timer still in the queue may be reported.
func (w *World) NextAt() (time.Duration, bool) {
	if w.q.len() == 0 {
		return 0, false
	}
	return w.q.peek().at, true
}

// RunFor runs every event due in the next d of virtual time, then advances
// the clock to the end of that span.
func (w *World) RunFor(d time.Duration) {
	end := w.now + d
	for w.step(end) {
	}
	w.now = max(w.now, end)
}

// RunUntil runs events until cond holds, checking it before the first event
// and after each one, for at most limit of virtual time. It reports whether
// cond came true; if not, the clock stands at the end of the limit.
func (w *World) RunUntil(cond func() bool, limit time.Duration) bool {
	end := w.now + limit
	for !cond() {
		if !w.step(end) {
			w.now = max(w.now, end)
			return false
		}
	}
	return true
}

func (w *World) schedule(at time.Duration, ev event) int32 {
	slot := w.newSlot(at)
	s := &w.slots[slot]
	s.kind, s.node, s.from, s.inc, s.id = ev.kind, ev.node, ev.from, ev.inc, ev.id
	s.msg, s.fn = ev.msg, ev.fn
	return slot
}

// scheduleDelivery is schedule for the commonest event, a message to
// deliver, with its fields passed one by one: an event struct is too big
// for the compiler to keep in registers, and building one on the stack to
// copy it into the table cost a tenth of BenchmarkKernel's time.
func (w *World) scheduleDelivery(at time.Duration, to, from int32, id uint64, msg Message) {
	s := &w.slots[w.newSlot(at)]
	s.kind, s.node, s.from, s.inc, s.id = evDeliver, to, from, 0, id
	s.msg = msg
	if s.fn != nil { // only a slot an action used has one: skip the write barrier
		s.fn = nil
	}
}

// newSlot takes a free slot of the event table (growing it if none is
// free), queues it at time at, and returns it for the caller to fill in.
func (w *World) newSlot(at time.Duration) int32 {
	var slot int32
	if n := len(w.free); n > 0 {
		slot = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		slot = int32(len(w.slots))
		w.slots = append(w.slots, event{})
	}
	w.seq++
	w.q.push(qentry{at: at, seq: w.seq, slot: slot})
	return slot
}

// dispatch runs one event and reports whether it was visible (a voided
// timer is not).
func (w *World) dispatch(ev *event) bool {
	switch ev.kind {
	case evAction:
		ev.fn()
		return true
	case evVoid:
		return false
	case evStart:
		ns := w.nodes[ev.node]
		if ns.incarnation != ev.inc {
			return false
		}
		w.boot(ev.node, ns)
		return true
	case evTimer:
		ns := w.nodes[ev.node]
		delete(w.pending, TimerID(ev.id))
		if !ns.up || ns.incarnation != ev.inc {
			return false
		}
		w.stats.Timers++
		if w.tracer != nil {
			w.emit(KindTimer, ns.id, "", "", ev.id, ev.msg, "")
		}
		ns.node.Receive(ns.env, ns.id, ev.msg)
		return true
	case evDeliver:
		w.deliver(ev.node, ev.from, ev.id, ev.msg)
		return true
	}
	panic(fmt.Sprintf("sim: unknown event kind %d", ev.kind))
}

// deliver hands message id from node fromIdx to node toIdx, or drops it if
// that node is down.
func (w *World) deliver(toIdx, fromIdx int32, id uint64, msg Message) {
	ns := w.nodes[toIdx]
	from := w.ids[fromIdx]
	if !ns.up {
		w.stats.Dropped++
		if w.tracer != nil {
			w.emit(KindDrop, ns.id, from, ns.id, id, msg, "crashed")
		}
		return
	}
	w.stats.Delivered++
	if w.tracer != nil {
		w.emitDeliver(from, ns.id, id, msg)
	}
	ns.node.Receive(ns.env, from, msg)
}

func (w *World) boot(idx int32, ns *nodeState) {
	if ns.member {
		ns.peers = make([]NodeID, 0, len(w.members))
		for _, m := range w.members {
			if m != ns.id {
				ns.peers = append(ns.peers, m)
			}
		}
	} else {
		ns.peers = slices.Clone(w.members)
	}
	ns.up = true
	ns.env = &env{
		w:   w,
		ns:  ns,
		idx: idx,
		inc: ns.incarnation,
		src: rand.NewPCG(w.cfg.Seed, streamKey("node/"+string(ns.id), ns.incarnation)),
	}
	ns.env.rand = rand.New(ns.env.src)
	if w.tracer != nil {
		w.emit(KindStart, ns.id, "", "", 0, nil, "")
	}
	ns.node.Start(ns.env)
}

func (w *World) emit(kind Kind, node, from, to NodeID, id uint64, msg Message, text string) {
	w.traceSeq++
	// Field by field: assigning a whole Record literal to the heap-held
	// w.rec copies it with a bulk write barrier, which cost a tenth of an
	// event's time in BenchmarkKernel.
	r := &w.rec
	r.Seq, r.At, r.Kind = w.traceSeq, w.now, kind
	r.Node, r.From, r.To = node, from, to
	r.ID, r.Msg, r.Text = id, msg, text
	w.tracer.Trace(r)
}

// emitSend and emitDeliver are emit for the two records every message
// gets, its send (at the sender) and its delivery (at the receiver), with
// the arguments that are always the same left out: fewer arguments fit in
// registers, and Text is cleared only when an earlier record set it.
func (w *World) emitSend(from, to NodeID, id uint64, msg Message) {
	w.traceSeq++
	r := &w.rec
	r.Seq, r.At, r.Kind = w.traceSeq, w.now, KindSend
	r.Node, r.From, r.To = from, from, to
	r.ID, r.Msg = id, msg
	if r.Text != "" {
		r.Text = ""
	}
	w.tracer.Trace(r)
}

func (w *World) emitDeliver(from, to NodeID, id uint64, msg Message) {
	w.traceSeq++
	r := &w.rec
	r.Seq, r.At, r.Kind = w.traceSeq, w.now, KindDeliver
	r.Node, r.From, r.To = to, from, to
	r.ID, r.Msg = id, msg
	if r.Text != "" {
		r.Text = ""
	}
	w.tracer.Trace(r)
}

// Send routes one message from node e.idx through the link model. The
// common case (a known destination, no holding, no scripted fates, the
// network delivering exactly one unchanged copy) runs here; everything
// else goes to sendRare, which records it in the same order. It does its
// work itself rather than call a World method: one call less per message.
func (e *env) Send(to NodeID, msg Message) {
	w, fromIdx := e.w, e.idx
	w.nextMsgID++
	w.stats.Sent++
	toIdx, ok := w.cached(to)
	if !ok {
		toIdx, ok = w.index(to)
	}
	if !ok || w.holding || w.script != nil {
		w.sendRare(fromIdx, toIdx, ok, to, msg)
		return
	}
	from := w.ids[fromIdx]
	id := w.nextMsgID
	if w.tracer != nil {
		w.emitSend(from, to, id, msg)
	}
	fate := w.network.Route(w.now, from, to, msg, w.netRand)
	if fate.Drop || fate.Duplicate || fate.Msg != nil {
		w.routeRare(fromIdx, toIdx, id, msg, &fate)
		return
	}
	w.scheduleDelivery(w.now+max(fate.Delay, 0), toIdx, fromIdx, id, msg)
}

// sendRare is Send for a message to an unknown node, while holding, or
// with a FateScript.
//
//go:noinline
func (w *World) sendRare(fromIdx, toIdx int32, ok bool, to NodeID, msg Message) {
	from := w.ids[fromIdx]
	id := w.nextMsgID
	if w.tracer != nil {
		w.emit(KindSend, from, from, to, id, msg, "")
	}
	if !ok {
		w.stats.Dropped++
		if w.tracer != nil {
			w.emit(KindDrop, from, from, to, id, msg, "no such node")
		}
		return
	}
	if w.holding {
		w.hold(from, to, id, msg)
		return
	}
	var fate Fate
	scripted := false
	if w.script != nil {
		fate, scripted = w.script.ScriptedFate(id, w.now)
	}
	if !scripted {
		fate = w.network.Route(w.now, from, to, msg, w.netRand)
	}
	w.routeRare(fromIdx, toIdx, id, msg, &fate)
}

// routeRare carries out any fate: a drop, a swapped message, a duplicate.
//
//go:noinline
func (w *World) routeRare(fromIdx, toIdx int32, id uint64, msg Message, fate *Fate) {
	from, to := w.ids[fromIdx], w.ids[toIdx]
	if fate.Drop {
		w.stats.Dropped++
		if w.tracer != nil {
			w.emit(KindDrop, from, from, to, id, msg, fate.Reason)
		}
		return
	}
	if fate.Msg != nil {
		if w.tracer != nil {
			w.emit(KindFault, from, from, to, id, fate.Msg, "equivocation: "+string(to)+" will receive "+MessageString(fate.Msg))
		}
		msg = fate.Msg
	}
	w.scheduleDelivery(w.now+max(fate.Delay, 0), toIdx, fromIdx, id, msg)
	if fate.Duplicate {
		w.stats.Duplicated++
		if w.tracer != nil {
			w.emit(KindDuplicate, from, from, to, id, msg, "")
		}
		w.scheduleDelivery(w.now+max(fate.DupDelay, 0), toIdx, fromIdx, id, msg)
	}
}

// recentID is one entry of World.recent.
type recentID struct {
	id  NodeID
	idx int32
}

// index finds node id like byID, through a small cache indexed by a cheap
// hash of the id's length and last bytes. A hit is confirmed by comparing
// the whole id, so the cache changes only how fast the answer comes: a map
// lookup hashes the whole string, and every Send pays for it.
func (w *World) index(id NodeID) (int32, bool) {
	if i, ok := w.cached(id); ok {
		return i, true
	}
	i, ok := w.byID[id]
	if ok {
		c := &w.recent[recentHash(id)]
		c.id, c.idx = id, i
	}
	return i, ok
}

// cached is index's cache alone, small enough to be inlined into Send:
// false means "ask index".
func (w *World) cached(id NodeID) (int32, bool) {
	if len(id) == 0 {
		return 0, false
	}
	c := &w.recent[recentHash(id)]
	return c.idx, c.id == id
}

// recentHash is id's entry in World.recent; id must not be empty.
func recentHash(id NodeID) uint8 {
	n := len(id)
	return uint8(uint(n)*37 + uint(id[n-1]) + uint(id[n/2])*7 + uint(id[0])*131)
}

// env is a node's view of the world for one incarnation.
type env struct {
	w    *World
	ns   *nodeState
	idx  int32
	inc  uint32
	src  *rand.PCG // rand's source, whose position the explorer digests
	rand *rand.Rand
}

func (e *env) ID() NodeID       { return e.ns.id }
func (e *env) Peers() []NodeID  { return e.ns.peers }
func (e *env) Rand() *rand.Rand { return e.rand }
func (e *env) Disk() Disk       { return e.ns.disk }

func (e *env) Now() time.Time {
	t := e.w.now
	if e.w.clocks != nil {
		t = e.w.clocks.LocalTime(e.ns.id, t)
	}
	return e.w.cfg.Epoch.Add(t)
}

func (e *env) SetTimer(d time.Duration, msg Message) TimerID {
	w := e.w
	real := max(d, 0)
	if w.clocks != nil {
		real = max(w.clocks.TimerDelay(e.ns.id, real), 0)
	}
	w.nextTimerID++
	id := w.nextTimerID
	if w.tracer != nil {
		w.emit(KindTimerSet, e.ns.id, "", "", uint64(id), msg, "fires at "+FormatTime(w.now+real))
	}
	w.pending[id] = w.schedule(w.now+real, event{kind: evTimer, node: e.idx, inc: e.inc, id: uint64(id), msg: msg})
	return id
}

func (e *env) CancelTimer(id TimerID) {
	slot, ok := e.w.pending[id]
	if !ok {
		return
	}
	delete(e.w.pending, id)
	e.w.slots[slot].kind = evVoid
	if e.w.tracer != nil {
		e.w.emit(KindTimerCancel, e.ns.id, "", "", uint64(id), nil, "")
	}
}

func (e *env) Logf(format string, args ...any) {
	if e.w.tracer != nil {
		e.w.emit(KindLog, e.ns.id, "", "", 0, nil, fmt.Sprintf(format, args...))
	}
}

// Pending describes something the world will do: a message in flight or a
// timer set.
type Pending struct {
	At   time.Duration // when it is due
	Kind Kind          // KindDeliver or KindTimer
	From NodeID        // sender (for a timer, its owner)
	To   NodeID        // receiver (for a timer, its owner)
	ID   uint64        // message or timer id
	Msg  Message
}

// Pending lists the messages in flight and the live timers, earliest first.
// Tools such as the TUI use it; it costs a scan of the queue.
func (w *World) Pending() []Pending {
	entries := slices.Clone(w.q.entries())
	slices.SortFunc(entries, func(a, b qentry) int {
		if less(&a, &b) {
			return -1
		}
		return 1
	})
	var out []Pending
	for _, e := range entries {
		ev := &w.slots[e.slot]
		switch ev.kind {
		case evDeliver:
			out = append(out, Pending{At: e.at, Kind: KindDeliver, From: w.nodes[ev.from].id, To: w.nodes[ev.node].id, ID: ev.id, Msg: ev.msg})
		case evTimer:
			ns := w.nodes[ev.node]
			if ns.up && ns.incarnation == ev.inc {
				out = append(out, Pending{At: e.at, Kind: KindTimer, From: ns.id, To: ns.id, ID: ev.id, Msg: ev.msg})
			}
		}
	}
	return out
}
