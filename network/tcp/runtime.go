package tcp

import (
	"bufio"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dsimlab/dsim/resilience"
	"github.com/dsimlab/dsim/sim"
)

// Config sets up a Runtime. Cluster, ID, Node and Registry are required;
// every other zero value means the default.
type Config struct {
	Cluster Cluster
	ID      sim.NodeID
	// Node is the protocol node this process hosts: the very value the
	// simulator runs. Its handlers run on the runtime's event loop only.
	Node sim.Node
	// Registry names every message type the node sends or receives.
	Registry *Registry
	// ClientMessages, if set, are the only message types (registered
	// names) accepted from clients, such as "rsm.ClientRequest": a client
	// cannot pose as a peer and send RequestVote.
	ClientMessages []string
	// Disk is the node's durable storage: a FileDisk in `dsim node`.
	// Nil means an in-memory disk that dies with the process.
	Disk sim.Disk
	// Secret, if set, is the shared secret every connection must prove it
	// knows (an HMAC challenge in the handshake). Strangers are refused.
	Secret []byte
	// Seed seeds Env.Rand and the transport's own random choices. Zero
	// draws one from crypto/rand.
	Seed uint64
	// Logger receives the runtime's lines and the node's Logf.
	Logger *slog.Logger
	// Listener, if set, is used instead of listening on the member's
	// address (tests pass one on port 0).
	Listener net.Listener
	// ListenAddr overrides the member's address for listening only, such
	// as ":7001" on a Pi whose cluster file names its LAN address.
	ListenAddr string
	// QueueLen bounds each connection's send queue. A full queue drops the
	// message: to the protocol it is one more lost packet. Default 1024.
	QueueLen int
	// KeepAlive is how often an idle connection sends a Ping; a connection
	// silent for four KeepAlives is closed and redialled. Default 500ms.
	KeepAlive time.Duration
	// Reconnect is the backoff between dial attempts to a peer. Default:
	// 50ms doubling to 2s, full jitter, never giving up.
	Reconnect resilience.Backoff
	// MaxFrame bounds a frame's body; default MaxFrameSize.
	MaxFrame int
	// MaxBuffered bounds the bytes held, all accepted connections together,
	// for large frames being read or waiting for the event loop, beyond
	// their first 64 KiB (which come from a separate 16 MiB pool, so that
	// ordinary requests are read while strangers fill this one). A
	// connection whose next bytes would not fit is closed. Default 32 MiB
	// (two frames of the largest size).
	MaxBuffered int64
	// MaxConns bounds the accepted connections open at once (peers,
	// clients, tools); MaxHandshakes those among them that have not yet
	// proved membership, each of which has HandshakeTimeout to do so.
	// More are closed at once, counted and logged. Defaults 256 and 32.
	MaxConns, MaxHandshakes int
	// HandshakeTimeout is how long an accepted connection has to complete
	// the handshake. Default 5s.
	HandshakeTimeout time.Duration
}

const (
	handshakeTimeout = 5 * time.Second
	// smallFrames bounds the bytes held for the first frameStart bytes of
	// frames (all of a small one), all accepted connections together.
	smallFrames  = 16 << 20
	dialTimeout  = 2 * time.Second
	writeTimeout = 5 * time.Second
)

func (c *Config) fill() error {
	switch {
	case c.Node == nil:
		return errors.New("tcp: Config.Node is nil")
	case c.Registry == nil:
		return errors.New("tcp: Config.Registry is nil")
	}
	if err := c.Cluster.Validate(); err != nil {
		return err
	}
	if _, ok := c.Cluster.Member(c.ID); !ok {
		return fmt.Errorf("%w: node %q is not a member of cluster %q (members: %v)", ErrClusterFile, c.ID, c.Cluster.Name, c.Cluster.IDs())
	}
	if c.Disk == nil {
		c.Disk = sim.NewMemDisk()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.QueueLen <= 0 {
		c.QueueLen = 1024
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 500 * time.Millisecond
	}
	if c.Reconnect == (resilience.Backoff{}) {
		c.Reconnect = resilience.Backoff{Base: 50 * time.Millisecond, Cap: 2 * time.Second, Multiplier: 2, Jitter: resilience.FullJitter}
	}
	if err := c.Reconnect.Validate(); err != nil {
		return fmt.Errorf("tcp: Config.Reconnect: %w", err)
	}
	if c.MaxFrame <= 0 || c.MaxFrame > MaxFrameSize {
		c.MaxFrame = MaxFrameSize
	}
	if c.MaxBuffered <= 0 {
		c.MaxBuffered = 2 * MaxFrameSize
	}
	c.MaxBuffered = max(c.MaxBuffered, int64(c.MaxFrame)) // one whole frame always fits
	if c.MaxConns <= 0 {
		c.MaxConns = 256
	}
	if c.MaxHandshakes <= 0 {
		c.MaxHandshakes = 32
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = handshakeTimeout
	}
	if c.Seed == 0 {
		var b [8]byte
		crand.Read(b[:])
		c.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	return nil
}

// Runtime hosts one sim.Node on real sockets: one process, one node.
//
// Goroutines: the event loop, which alone runs the node's handlers (so a
// node needs no locks, as in the simulator); the accept loop; per peer, one
// goroutine that dials, redials with backoff and writes that peer's queue;
// per connection, one reader; per accepted connection, one writer for
// replies and keep-alives. Timers are time.AfterFunc posting to the loop.
type Runtime struct {
	cfg      Config
	log      *slog.Logger
	ln       net.Listener
	peers    map[sim.NodeID]*peer // fixed at Start
	peerIDs  []sim.NodeID
	faults   *Faults
	stats    Stats
	clientOK map[string]bool
	budget   *frameBudget // frames from accepted connections
	// conns accepted and open; those of them still in the handshake
	inbound, handshaking atomic.Int64

	events    chan event
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu      sync.Mutex
	clients map[sim.NodeID]*inbound // client and admin connections, for replies
	conns   map[net.Conn]struct{}   // every open connection, closed by Close

	// Owned by the event loop.
	rng       *rand.Rand
	timers    map[sim.TimerID]*time.Timer
	nextTimer sim.TimerID
	local     []event // messages the node sent itself, delivered after the handler
	// Group commit (groupcommit.go): the node asked for a sync that the
	// loop has not done yet; until it has, what the node sends waits in held.
	syncOwed bool
	held     []heldFrame
}

// event is one thing for the loop to do: deliver a message, fire a timer,
// or run fn (admin requests that read the node).
type event struct {
	from  sim.NodeID
	msg   sim.Message
	timer sim.TimerID
	fn    func()
	cost  held // what msg holds of the budget, released once handled
}

// outFrame is an encoded frame waiting in a send queue; a delay fault sets
// notBefore.
type outFrame struct {
	data      []byte
	notBefore time.Time
}

// Stats counts what the transport did. Read it with Runtime.Stats.
type Stats struct {
	Sent, Received        atomic.Int64 // protocol messages
	DroppedQueueFull      atomic.Int64 // a send queue was full
	DroppedFault          atomic.Int64 // a fault (block, drop) ate it
	Unroutable            atomic.Int64 // to a client no longer connected
	EncodeErrors          atomic.Int64 // the node sent an unregistered type
	OversizedFrames       atomic.Int64 // announced more than MaxFrame
	BadFrames             atomic.Int64 // undecodable bytes
	UnknownTypes          atomic.Int64 // a type tag not registered
	Refused               atomic.Int64 // handshakes refused (strangers, wrong cluster, bad proof)
	Connects, DialFailure atomic.Int64 // outbound connections made and failed
	OverBudget            atomic.Int64 // connections closed: their frames would pass MaxBuffered
	TooManyConns          atomic.Int64 // connections closed at once: MaxConns or MaxHandshakes reached
	Batches, Fsyncs       atomic.Int64 // batches of events delivered, and fsyncs done for them (group commit)
}

// Map gives the counters by name, as `dsim status` shows them.
func (s *Stats) Map() map[string]int64 {
	return map[string]int64{
		"sent": s.Sent.Load(), "received": s.Received.Load(),
		"dropped.queue": s.DroppedQueueFull.Load(), "dropped.fault": s.DroppedFault.Load(),
		"unroutable": s.Unroutable.Load(), "encode.errors": s.EncodeErrors.Load(),
		"frames.oversized": s.OversizedFrames.Load(), "frames.bad": s.BadFrames.Load(),
		"frames.unknown": s.UnknownTypes.Load(), "handshakes.refused": s.Refused.Load(),
		"connects": s.Connects.Load(), "dial.failures": s.DialFailure.Load(),
		"frames.overbudget": s.OverBudget.Load(), "conns.toomany": s.TooManyConns.Load(),
		"batches": s.Batches.Load(), "fsyncs": s.Fsyncs.Load(),
	}
}

type peer struct {
	id    sim.NodeID
	addr  string
	queue chan outFrame
}

// inbound is an accepted connection: a peer's, a client's or an admin's.
type inbound struct {
	conn   net.Conn
	remote sim.NodeID
	kind   string
	queue  chan outFrame
	closed chan struct{}
}

// Start listens, starts the node on the event loop and dials the peers.
func Start(cfg Config) (*Runtime, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	r := &Runtime{
		cfg:      cfg,
		log:      cfg.Logger.With("node", string(cfg.ID)),
		peers:    map[sim.NodeID]*peer{},
		faults:   newFaults(rand.New(rand.NewPCG(cfg.Seed, 0xfa))),
		clientOK: map[string]bool{},
		events:   make(chan event, 4096),
		done:     make(chan struct{}),
		clients:  map[sim.NodeID]*inbound{},
		conns:    map[net.Conn]struct{}{},
		rng:      rand.New(rand.NewPCG(cfg.Seed, uint64(fnvHash(cfg.ID)))),
		budget:   &frameBudget{small: newMemBudget(smallFrames), large: newMemBudget(cfg.MaxBuffered)},
		timers:   map[sim.TimerID]*time.Timer{},
	}
	for _, name := range cfg.ClientMessages {
		r.clientOK[name] = true
	}
	for _, m := range cfg.Cluster.Members {
		if m.ID == cfg.ID {
			continue
		}
		r.peers[m.ID] = &peer{id: m.ID, addr: m.Addr, queue: make(chan outFrame, cfg.QueueLen)}
		r.peerIDs = append(r.peerIDs, m.ID)
	}
	slices.Sort(r.peerIDs)
	r.ln = cfg.Listener
	if r.ln == nil {
		addr := cfg.ListenAddr
		if addr == "" {
			self, _ := cfg.Cluster.Member(cfg.ID)
			addr = self.Addr
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("tcp: node %s: %w", cfg.ID, err)
		}
		r.ln = ln
	}
	r.log.Info("listening", "addr", r.ln.Addr().String(), "cluster", cfg.Cluster.Name,
		"peers", fmt.Sprint(r.peerIDs), "secret", len(cfg.Secret) > 0, "seed", cfg.Seed)
	r.wg.Add(2 + len(r.peerIDs))
	go r.loop()
	go r.acceptLoop()
	for _, id := range r.peerIDs {
		go r.dialLoop(r.peers[id])
	}
	return r, nil
}

func fnvHash(id sim.NodeID) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()
}

// Addr is where the runtime listens.
func (r *Runtime) Addr() net.Addr { return r.ln.Addr() }

// Stats are the transport's counters.
func (r *Runtime) Stats() *Stats { return &r.stats }

// Faults are the transport's faults in force.
func (r *Runtime) Faults() *Faults { return r.faults }

// Do runs f on the event loop, between handlers, and waits for it: the
// only safe way to look at the node from outside. It returns false if the
// runtime is closed.
func (r *Runtime) Do(f func(node sim.Node)) bool {
	finished := make(chan struct{})
	if !r.post(event{fn: func() { f(r.cfg.Node); close(finished) }}) {
		return false
	}
	select {
	case <-finished:
		return true
	case <-r.done:
		return false
	}
}

// Close stops the node and the transport and waits for every goroutine.
// The node gets no further events; the Disk is left for the caller to
// close.
func (r *Runtime) Close() error {
	r.closeOnce.Do(func() {
		close(r.done)
		r.ln.Close()
		r.mu.Lock()
		for c := range r.conns {
			c.Close()
		}
		r.mu.Unlock()
	})
	r.wg.Wait()
	for _, t := range r.timers { // the loop has stopped: no race
		t.Stop()
	}
	return nil
}

func (r *Runtime) closed() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// post hands an event to the loop, waiting if its queue is full (which
// slows the readers down: TCP's own flow control then pushes back).
func (r *Runtime) post(ev event) bool {
	select {
	case r.events <- ev:
		return true
	case <-r.done:
		return false
	}
}

// loop is the node's single goroutine: every handler runs here, one at a
// time, as in the simulator. It delivers events in batches: one, then all
// that are already waiting (up to maxBatch), then endBatch fsyncs once for
// the lot and releases what the node sent (see groupcommit.go).
func (r *Runtime) loop() {
	defer r.wg.Done()
	env := &liveEnv{r: r}
	r.cfg.Node.Start(env)
	r.deliverLocal(env)
	r.endBatch()
	for {
		select {
		case <-r.done:
			return
		case ev := <-r.events:
			r.handle(env, ev)
		}
	batch:
		for range maxBatch - 1 {
			select {
			case ev := <-r.events:
				r.handle(env, ev)
			default:
				break batch
			}
		}
		r.stats.Batches.Add(1)
		r.endBatch()
	}
}

// handle delivers one event to the node, and gives back the frame
// budget its bytes held.
func (r *Runtime) handle(env *liveEnv, ev event) {
	r.budget.release(ev.cost)
	switch {
	case ev.fn != nil:
		ev.fn()
	case ev.timer != 0:
		if _, live := r.timers[ev.timer]; !live {
			return // cancelled after it fired but before it ran
		}
		delete(r.timers, ev.timer)
		r.cfg.Node.Receive(env, r.cfg.ID, ev.msg)
	default:
		r.cfg.Node.Receive(env, ev.from, ev.msg)
	}
	r.deliverLocal(env)
}

func (r *Runtime) deliverLocal(env *liveEnv) {
	for len(r.local) > 0 {
		ev := r.local[0]
		r.local = r.local[1:]
		r.cfg.Node.Receive(env, ev.from, ev.msg)
	}
	r.local = nil
}

// liveEnv is sim.Env on real time, sockets and files. Its methods are
// called by the node's handlers, so only on the event loop.
type liveEnv struct{ r *Runtime }

func (e *liveEnv) ID() sim.NodeID                      { return e.r.cfg.ID }
func (e *liveEnv) Peers() []sim.NodeID                 { return slices.Clone(e.r.peerIDs) }
func (e *liveEnv) Now() time.Time                      { return time.Now() }
func (e *liveEnv) Rand() *rand.Rand                    { return e.r.rng }
func (e *liveEnv) Disk() sim.Disk                      { return groupDisk{e.r.cfg.Disk, e.r} }
func (e *liveEnv) Send(to sim.NodeID, msg sim.Message) { e.r.send(to, msg) }

func (e *liveEnv) Logf(format string, args ...any) {
	e.r.log.Info(fmt.Sprintf(format, args...))
}

func (e *liveEnv) SetTimer(d time.Duration, msg sim.Message) sim.TimerID {
	r := e.r
	r.nextTimer++
	id := r.nextTimer
	r.timers[id] = time.AfterFunc(max(d, 0), func() { r.post(event{timer: id, msg: msg}) })
	return id
}

func (e *liveEnv) CancelTimer(id sim.TimerID) {
	if t, ok := e.r.timers[id]; ok {
		t.Stop()
		delete(e.r.timers, id)
	}
}

// send encodes msg on the loop (a message's slices may alias the node's
// memory, so it must be copied before the handler returns) and queues it.
func (r *Runtime) send(to sim.NodeID, msg sim.Message) {
	if to == r.cfg.ID {
		r.local = append(r.local, event{from: to, msg: msg})
		return
	}
	frame, err := r.cfg.Registry.Encode(msg)
	if err != nil {
		r.stats.EncodeErrors.Add(1)
		r.log.Error("cannot send", "to", string(to), "err", err)
		return
	}
	if r.syncOwed {
		r.held = append(r.held, heldFrame{to: to, frame: frame})
		return
	}
	r.route(to, frame)
}

// route queues an encoded message for a peer or a client.
func (r *Runtime) route(to sim.NodeID, frame []byte) {
	if p, ok := r.peers[to]; ok {
		drop, delay := r.faults.outgoing(r.cfg.ID, to)
		if drop {
			r.stats.DroppedFault.Add(1)
			return
		}
		of := outFrame{data: frame}
		if delay > 0 {
			of.notBefore = time.Now().Add(delay)
		}
		r.enqueue(p.queue, of)
		return
	}
	r.mu.Lock()
	in := r.clients[to]
	r.mu.Unlock()
	if in == nil {
		r.stats.Unroutable.Add(1)
		r.log.Debug("no connection to send on", "to", string(to))
		return
	}
	r.enqueue(in.queue, outFrame{data: frame})
}

func (r *Runtime) enqueue(q chan outFrame, f outFrame) {
	select {
	case q <- f:
		r.stats.Sent.Add(1)
	default:
		r.stats.DroppedQueueFull.Add(1)
	}
}

func (r *Runtime) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed() {
		c.Close()
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *Runtime) untrack(c net.Conn) {
	c.Close()
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

// dialLoop keeps one connection to p: dial, handshake, write p's queue
// until the connection fails, then wait a backoff and dial again.
func (r *Runtime) dialLoop(p *peer) {
	defer r.wg.Done()
	rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(fnvHash(p.id))<<1))
	attempt, prev := 0, time.Duration(0)
	for !r.closed() {
		c, err := r.dial(p)
		if err != nil {
			r.stats.DialFailure.Add(1)
			wait := r.cfg.Reconnect.Next(attempt, prev, rng)
			attempt, prev = attempt+1, wait
			if attempt == 1 || attempt%20 == 0 {
				r.log.Info("cannot reach peer", "peer", string(p.id), "addr", p.addr, "err", err.Error(), "attempt", attempt)
			}
			select {
			case <-time.After(wait):
			case <-r.done:
				return
			}
			continue
		}
		r.stats.Connects.Add(1)
		r.log.Info("connected", "peer", string(p.id), "addr", p.addr, "after", attempt)
		attempt, prev = 0, 0
		readerDone := make(chan struct{})
		go func() {
			r.readLoop(c, p.id, KindPeer, nil)
			close(readerDone)
		}()
		err = r.pump(c, p.queue, readerDone)
		r.untrack(c)
		<-readerDone
		if err != nil && !r.closed() {
			r.log.Info("lost peer", "peer", string(p.id), "err", err.Error())
		}
	}
}

func (r *Runtime) dial(p *peer) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", p.addr, dialTimeout)
	if err != nil {
		return nil, err
	}
	if !r.track(c) {
		return nil, net.ErrClosed
	}
	hello := Hello{Cluster: r.cfg.Cluster.Name, From: r.cfg.ID, To: p.id, Version: ProtocolVersion, Kind: KindPeer}
	if err := Handshake(c, r.cfg.Registry, r.cfg.Secret, hello); err != nil {
		r.untrack(c)
		return nil, err
	}
	return c, nil
}

// pump writes queued frames to c, and a Ping whenever a KeepAlive passes
// without one, until a write fails, stop closes or the runtime does.
func (r *Runtime) pump(c net.Conn, queue <-chan outFrame, stop <-chan struct{}) error {
	ping, err := r.cfg.Registry.Encode(Ping{})
	if err != nil {
		panic(err)
	}
	tick := time.NewTicker(r.cfg.KeepAlive)
	defer tick.Stop()
	write := func(b []byte) error {
		c.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err := c.Write(b)
		return err
	}
	// buf gathers the frames that are already queued, so that a burst
	// costs one write, not one per frame.
	var buf []byte
	for {
		select {
		case f := <-queue:
			if err := r.waitDelay(f, stop); err != nil {
				return nil
			}
			buf = append(buf[:0], f.data...)
		gather:
			for len(buf) < maxGather {
				select {
				case f := <-queue:
					if !f.notBefore.IsZero() {
						// Delayed by a fault: send what we have, then wait.
						if err := write(buf); err != nil {
							return err
						}
						if err := r.waitDelay(f, stop); err != nil {
							return nil
						}
						buf = buf[:0]
					}
					buf = append(buf, f.data...)
				default:
					break gather
				}
			}
			if err := write(buf); err != nil {
				return err
			}
			if cap(buf) > 4*maxGather {
				buf = nil // do not keep a big snapshot chunk's worth around
			}
		case <-tick.C:
			if err := write(ping); err != nil {
				return err
			}
		case <-stop:
			return nil
		case <-r.done:
			return nil
		}
	}
}

// maxGather is how many bytes of queued frames pump gathers into one write.
const maxGather = 256 << 10

// waitDelay waits until a delayed frame may go; an error means the
// connection or the runtime is closing.
func (r *Runtime) waitDelay(f outFrame, stop <-chan struct{}) error {
	wait := time.Until(f.notBefore)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-stop:
		return net.ErrClosed
	case <-r.done:
		return net.ErrClosed
	}
}

// readLoop reads frames from c until it fails. Bad input (oversized,
// undecodable, unknown type) is counted, logged, and closes c; the node
// never sees it.
func (r *Runtime) readLoop(c net.Conn, remote sim.NodeID, kind string, in *inbound) {
	idle := 4 * r.cfg.KeepAlive
	var budget *frameBudget // connections we dialed go to members' addresses
	if in != nil {
		budget = r.budget
	}
	br := bufio.NewReaderSize(c, 16<<10) // a burst of small frames in one read
	for {
		c.SetReadDeadline(time.Now().Add(idle))
		body, cost, err := readFrame(br, r.cfg.MaxFrame, budget)
		var msg sim.Message
		if err == nil {
			msg, err = r.cfg.Registry.Decode(body)
			body = nil
		}
		if err != nil {
			budget.release(cost)
			r.readFailed(c, remote, err)
			c.Close()
			return
		}
		// The message holds its cost of the budget until the loop has
		// handled it; every other path gives it back now.
		handed := false
		release := func() {
			if !handed {
				budget.release(cost)
			}
		}
		switch m := msg.(type) {
		case Ping:
		case StatusRequest:
			if in != nil {
				r.answerStatus(in)
			}
		case FaultRequest:
			if in != nil {
				r.answerFault(in, m)
			}
		case Hello, Challenge, Proof, Welcome, Refused, StatusReply, FaultReply:
			r.stats.BadFrames.Add(1)
			r.log.Warn("refused frame: out of place after the handshake", "from", string(remote), "remote", c.RemoteAddr().String(), "type", fmt.Sprintf("%T", m))
			release()
			c.Close()
			return
		default:
			if kind != KindPeer {
				name, _ := r.cfg.Registry.NameOf(msg)
				if kind == KindAdmin || (len(r.clientOK) > 0 && !r.clientOK[name]) {
					r.stats.UnknownTypes.Add(1)
					r.log.Warn("refused frame: not a client message", "from", string(remote), "type", name)
					release()
					c.Close()
					return
				}
			} else if r.faults.isBlocked(remote, r.cfg.ID) {
				r.stats.DroppedFault.Add(1)
				release()
				continue
			}
			r.stats.Received.Add(1)
			if !r.post(event{from: remote, msg: msg, cost: cost}) {
				budget.release(cost)
				return
			}
			handed = true
		}
		release()
	}
}

func (r *Runtime) readFailed(c net.Conn, remote sim.NodeID, err error) {
	attrs := []any{"from", string(remote), "remote", c.RemoteAddr().String(), "err", err.Error()}
	switch {
	case errors.Is(err, ErrFrameTooLarge):
		r.stats.OversizedFrames.Add(1)
		r.log.Warn("refused frame: too large; closing the connection", attrs...)
	case errors.Is(err, ErrUnknownType):
		r.stats.UnknownTypes.Add(1)
		r.log.Warn("refused frame: unknown type; closing the connection", attrs...)
	case errors.Is(err, ErrBadFrame):
		r.stats.BadFrames.Add(1)
		r.log.Warn("refused frame: undecodable; closing the connection", attrs...)
	case errors.Is(err, ErrOverBudget):
		if r.stats.OverBudget.Add(1)%100 == 1 { // at most one line per 100
			attrs = append(attrs, "buffered", r.budget.large.inUse(), "limit", r.cfg.MaxBuffered, "closed", r.stats.OverBudget.Load())
			r.log.Warn("refused frame: the connections' frames would pass the memory budget; closing the connection", attrs...)
		}
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), r.closed():
		r.log.Debug("connection closed", attrs...)
	case errors.Is(err, os.ErrDeadlineExceeded):
		r.log.Info("connection silent too long; closing it", attrs...)
	default:
		r.log.Info("connection failed", attrs...)
	}
}

func (r *Runtime) acceptLoop() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			if r.closed() {
				return
			}
			r.log.Warn("accept failed", "err", err.Error())
			select {
			case <-time.After(50 * time.Millisecond):
			case <-r.done:
				return
			}
			continue
		}
		if n, hs := r.inbound.Load(), r.handshaking.Load(); n >= int64(r.cfg.MaxConns) || hs >= int64(r.cfg.MaxHandshakes) {
			c.Close()
			if r.stats.TooManyConns.Add(1)%100 == 1 { // at most one line per 100
				r.log.Warn("refused connection: too many open", "remote", c.RemoteAddr().String(), "open", n, "max", r.cfg.MaxConns,
					"handshaking", hs, "max_handshaking", r.cfg.MaxHandshakes, "refused", r.stats.TooManyConns.Load())
			}
			continue
		}
		if !r.track(c) {
			return
		}
		r.inbound.Add(1)
		r.handshaking.Add(1)
		r.wg.Add(1)
		go r.serve(c)
	}
}

// serve runs the acceptor's side of the handshake, then reads c.
func (r *Runtime) serve(c net.Conn) {
	defer r.wg.Done()
	defer r.inbound.Add(-1)
	defer r.untrack(c)
	hello, err := r.accept(c)
	r.handshaking.Add(-1)
	if err != nil {
		r.stats.Refused.Add(1)
		r.log.Warn("handshake refused", "remote", c.RemoteAddr().String(), "err", err.Error())
		return
	}
	in := &inbound{conn: c, remote: hello.From, kind: hello.Kind, queue: make(chan outFrame, r.cfg.QueueLen), closed: make(chan struct{})}
	if in.kind != KindPeer {
		r.mu.Lock()
		r.clients[in.remote] = in
		r.mu.Unlock()
	}
	r.log.Debug("accepted", "from", string(hello.From), "kind", hello.Kind, "remote", c.RemoteAddr().String())
	pumpDone := make(chan struct{})
	go func() {
		r.pump(c, in.queue, in.closed)
		c.Close() // a failed write ends the reader too
		close(pumpDone)
	}()
	r.readLoop(c, in.remote, in.kind, in)
	close(in.closed)
	<-pumpDone
	if in.kind != KindPeer {
		r.mu.Lock()
		if r.clients[in.remote] == in {
			delete(r.clients, in.remote)
		}
		r.mu.Unlock()
	}
}

// accept checks a Hello and the membership proof, answering Refused with
// the reason when either fails.
func (r *Runtime) accept(c net.Conn) (Hello, error) {
	c.SetDeadline(time.Now().Add(r.cfg.HandshakeTimeout))
	defer c.SetDeadline(time.Time{})
	refuse := func(format string, args ...any) (Hello, error) {
		reason := fmt.Sprintf(format, args...)
		if b, err := r.cfg.Registry.Encode(Refused{Reason: reason}); err == nil {
			c.Write(b)
		}
		return Hello{}, errors.New(reason)
	}
	msg, err := handshakeRegistry.DecodeFrame(c, handshakeFrameLimit)
	if err != nil {
		return Hello{}, fmt.Errorf("reading hello: %w", err)
	}
	h, ok := msg.(Hello)
	switch {
	case !ok:
		return refuse("expected tcp.Hello, got %T", msg)
	case h.Version != ProtocolVersion:
		return refuse("protocol version %d, this node speaks %d", h.Version, ProtocolVersion)
	case h.Cluster != r.cfg.Cluster.Name:
		return refuse("cluster %q, this node belongs to %q", h.Cluster, r.cfg.Cluster.Name)
	case h.To != r.cfg.ID:
		return refuse("hello for %q reached %q: check the cluster file's addresses", h.To, r.cfg.ID)
	case !validID(string(h.From)) || h.From == "":
		return refuse("bad sender name %q", truncate(string(h.From), 64))
	}
	_, member := r.cfg.Cluster.Member(h.From)
	switch h.Kind {
	case KindPeer:
		if !member || h.From == r.cfg.ID {
			return refuse("%q is not a peer of %s in cluster %q", h.From, r.cfg.ID, r.cfg.Cluster.Name)
		}
	case KindClient, KindAdmin:
		if member {
			return refuse("client name %q is a member's", h.From)
		}
	default:
		return refuse("unknown connection kind %q", truncate(h.Kind, 32))
	}
	nonce := newNonce()
	ch := Challenge{Nonce: nonce}
	if len(r.cfg.Secret) > 0 {
		ch.MAC = handshakeMAC(r.cfg.Secret, "acceptor", h, nonce)
	}
	if err := writeMessage(c, r.cfg.Registry, ch); err != nil {
		return Hello{}, err
	}
	msg, err = handshakeRegistry.DecodeFrame(c, handshakeFrameLimit)
	if err != nil {
		return Hello{}, fmt.Errorf("reading proof from %s: %w", h.From, err)
	}
	proof, ok := msg.(Proof)
	if !ok {
		return refuse("expected tcp.Proof, got %T", msg)
	}
	if len(r.cfg.Secret) > 0 && !hmacEqual(proof.MAC, handshakeMAC(r.cfg.Secret, "dialer", h, nonce)) {
		return refuse("%s did not prove it knows the cluster secret", h.From)
	}
	if err := writeMessage(c, r.cfg.Registry, Welcome{}); err != nil {
		return Hello{}, err
	}
	return h, nil
}
