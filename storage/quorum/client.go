package quorum

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/clock"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/ring"
)

// Op is one operation a Client issues: a get or a put of a key.
type Op struct {
	Kind  check.KVOpKind // check.KVGet or check.KVPut
	Key   string
	Value string // for a put
}

// Workload hands a Client its operations, one at a time. Next returns false
// when there are no more.
type Workload interface {
	Next() (Op, bool)
}

// WorkloadFunc adapts a function to a Workload.
type WorkloadFunc func() (Op, bool)

// Next calls f.
func (f WorkloadFunc) Next() (Op, bool) { return f() }

// ClientConfig sets up a Client.
type ClientConfig struct {
	// Workload supplies operations; nil leaves the client idle, for runs
	// that script every operation with Client.Do.
	Workload Workload
	// History, if set, receives every operation for the linearizability
	// checker. A get records the siblings' values joined by "|" (one value
	// in the common case); a get or put the client gave up on stays
	// without an answer: its outcome is unknown.
	History *check.History
	// Clock tells the time Records and History carry. Required. Pass the
	// World's clock (w.Now), not the client's Env.Now: a skewed client
	// clock would record operations in an order that never happened.
	Clock func() time.Duration
	// N and VNodes must match the servers': the client computes each
	// key's preference list to find its coordinator.
	N, VNodes int
	// Coordinator, if set, is where every request goes: for scripted
	// runs. Otherwise a request goes to the first node of the key's
	// preference list, and each retry to the next node along the ring.
	Coordinator sim.NodeID
	// AnyReplica sends each request first to a node of the key's
	// preference list drawn at random, as a load balancer in front of the
	// store would, instead of always the first. Reads and writes of one key
	// are then coordinated by different nodes, which is where replication
	// lag shows.
	AnyReplica bool
	// RetryTimeout is how long to wait for an answer before asking the
	// next coordinator. Zero means 100ms.
	RetryTimeout time.Duration
	// Attempts is how many coordinators to try before giving up on an
	// operation (which then counts as unavailable). Zero means 3.
	Attempts int
	// Pause is the think time between two operations. Zero means none.
	Pause time.Duration
}

// Validate says what is wrong with a configuration.
func (c ClientConfig) Validate() error {
	switch {
	case c.Clock == nil:
		return errors.New("quorum: ClientConfig.Clock is nil: pass the World's clock (w.Now)")
	case c.N < 1 || c.VNodes < 1:
		return fmt.Errorf("quorum: ClientConfig N=%d VNodes=%d: both must match the servers' and be at least 1", c.N, c.VNodes)
	case c.RetryTimeout < 0 || c.Attempts < 0 || c.Pause < 0:
		return errors.New("quorum: ClientConfig RetryTimeout, Attempts and Pause must not be negative")
	}
	return nil
}

// Record is one operation as the client saw it.
type Record struct {
	Client sim.NodeID
	Op     Op
	// Call and Return are World times (ClientConfig.Clock). Return is set
	// when OK.
	Call, Return time.Duration
	// OK: a coordinator answered with success. Otherwise the client gave
	// up (the store was unavailable to it).
	OK bool
	// Siblings is what a get returned.
	Siblings Siblings
	// Clock is the version a put wrote.
	Clock clock.Vector
	// Coordinator answered it.
	Coordinator sim.NodeID
}

// Client is a closed-loop client node: it issues an operation, waits for
// the answer (trying other coordinators after a timeout), then issues the
// next. Add it with World.AddClient, so its peers are the servers.
//
// It keeps, per key, the context of what it last read or wrote, and builds
// the clock of each put on it (NextClock): so a put after a get that
// returned siblings supersedes all of them. That is how the client
// resolves siblings: by writing over them, having seen them all.
type Client struct {
	cfg     ClientConfig
	id      sim.NodeID
	ring    *ring.Ring
	context map[string]clock.Vector
	counter uint64 // this client's entry in the clocks of its writes

	reqID    uint64
	op       Op
	clk      clock.Vector // the clock of the put in flight
	inFlight bool
	call     time.Duration
	histID   check.OpID
	attempt  int
	first    int // where along the ring this operation's attempts start
	coord    sim.NodeID
	timer    sim.TimerID

	// silent holds coordinators that let an attempt time out, until when
	// (on this client's clock): later operations skip them while another
	// candidate is left.
	silent map[sim.NodeID]time.Time

	records []Record
	done    bool
}

// retryTimer fires when attempt of request ReqID had no answer in time.
type retryTimer struct {
	ReqID   uint64
	Attempt int
}

// nextOp fires after the pause between operations.
type nextOp struct{}

// NewClient returns a client, or what is wrong with cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RetryTimeout == 0 {
		cfg.RetryTimeout = 100 * time.Millisecond
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 3
	}
	return &Client{cfg: cfg, context: map[string]clock.Vector{}, silent: map[sim.NodeID]time.Time{}}, nil
}

// Start builds the ring from the servers and issues the first operation.
func (c *Client) Start(env sim.Env) {
	c.id = env.ID()
	c.ring = ring.MustNew(c.cfg.VNodes, env.Peers()...)
	c.inFlight = false
	if c.cfg.Workload != nil {
		c.next(env)
	}
}

// Receive handles replies and timers.
func (c *Client) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	delete(c.silent, from) // it answers
	switch m := msg.(type) {
	case GetReply:
		if c.current(m.ReqID) {
			if m.Err != OK {
				c.retryIfFrom(env, from)
				return
			}
			c.context[c.op.Key] = m.Siblings.Context()
			c.complete(env, from, m.Siblings)
		}
	case PutReply:
		if c.current(m.ReqID) {
			if m.Err != OK {
				c.retryIfFrom(env, from)
				return
			}
			c.context[c.op.Key] = c.clk
			c.complete(env, from, nil)
		}
	case retryTimer:
		if c.current(m.ReqID) && m.Attempt == c.attempt {
			c.silent[c.coord] = env.Now().Add(time.Second)
			c.retry(env)
		}
	case nextOp:
		c.next(env)
	}
}

func (c *Client) current(reqID uint64) bool { return c.inFlight && reqID == c.reqID }

// Do issues op now. The client must be idle: scripted runs call it
// through World.Exec.
func (c *Client) Do(env sim.Env, op Op) error {
	if c.inFlight {
		return fmt.Errorf("quorum client %s: %s while another operation is in flight", c.id, op.Kind)
	}
	if op.Kind != check.KVGet && op.Kind != check.KVPut {
		return fmt.Errorf("quorum client %s: operation %q; only get and put", c.id, op.Kind)
	}
	c.issue(env, op)
	return nil
}

func (c *Client) next(env sim.Env) {
	if c.cfg.Workload == nil {
		return
	}
	op, ok := c.cfg.Workload.Next()
	if !ok {
		c.done = true
		return
	}
	c.issue(env, op)
}

func (c *Client) issue(env sim.Env, op Op) {
	c.reqID++
	c.op, c.inFlight, c.attempt, c.first = op, true, 0, 0
	if c.cfg.AnyReplica {
		c.first = env.Rand().IntN(c.cfg.N)
	}
	c.call = c.cfg.Clock()
	if op.Kind == check.KVPut {
		c.clk = NextClock(c.context[op.Key], string(c.id), c.counter)
		c.counter = c.clk[string(c.id)]
	}
	if h := c.cfg.History; h != nil {
		c.histID = h.Invoke(c.id, check.KVInput{Op: op.Kind, Key: op.Key, Value: op.Value}, c.call)
	}
	c.send(env)
}

// send sends the operation to the coordinator for this attempt: the
// attempt-th node along the ring from the key.
func (c *Client) send(env sim.Env) {
	c.coord = c.cfg.Coordinator
	if c.coord == "" {
		walk := c.ring.Successors(c.op.Key)
		c.coord = walk[(c.first+c.attempt)%len(walk)]
		// Skip coordinators that recently kept silent, if any other is left.
		for i := range walk {
			n := walk[(c.first+c.attempt+i)%len(walk)]
			if until, ok := c.silent[n]; !ok || !env.Now().Before(until) {
				c.coord = n
				break
			}
		}
	}
	if c.op.Kind == check.KVGet {
		env.Send(c.coord, GetRequest{ReqID: c.reqID, Key: c.op.Key})
	} else {
		// A retry sends the same clock: storing a version twice is
		// harmless, so a retried put is idempotent.
		env.Send(c.coord, PutRequest{ReqID: c.reqID, Key: c.op.Key, Value: c.op.Value, Clock: c.clk, Writer: string(c.id)})
	}
	c.timer = env.SetTimer(c.cfg.RetryTimeout, retryTimer{ReqID: c.reqID, Attempt: c.attempt})
}

// retryIfFrom retries at once when the current coordinator said it could
// not reach a quorum; an older coordinator's failure is not news.
func (c *Client) retryIfFrom(env sim.Env, from sim.NodeID) {
	if from == c.coord {
		env.CancelTimer(c.timer)
		c.retry(env)
	}
}

func (c *Client) retry(env sim.Env) {
	c.attempt++
	if c.attempt >= c.cfg.Attempts {
		env.Logf("%s gives up on %s %q after %d attempts", c.id, c.op.Kind, c.op.Key, c.attempt)
		c.records = append(c.records, Record{Client: c.id, Op: c.op, Call: c.call, Clock: c.clk})
		c.inFlight = false
		c.after(env)
		return
	}
	c.send(env)
}

func (c *Client) complete(env sim.Env, from sim.NodeID, sibs Siblings) {
	env.CancelTimer(c.timer)
	now := c.cfg.Clock()
	rec := Record{Client: c.id, Op: c.op, Call: c.call, Return: now, OK: true, Coordinator: from}
	out := check.KVOutput{OK: true}
	if c.op.Kind == check.KVGet {
		rec.Siblings = sibs
		out.Value = strings.Join(sibs.Values(), "|")
	} else {
		rec.Clock = c.clk
	}
	c.records = append(c.records, rec)
	if h := c.cfg.History; h != nil {
		if err := h.Return(c.histID, out, now); err != nil {
			panic(err.Error()) // each operation is answered once: a broken invariant
		}
	}
	c.inFlight = false
	c.after(env)
}

func (c *Client) after(env sim.Env) {
	if c.cfg.Pause > 0 && c.cfg.Workload != nil {
		env.SetTimer(c.cfg.Pause, nextOp{})
		return
	}
	c.next(env)
}

// Records lists every finished operation (answered or given up), in order.
func (c *Client) Records() []Record { return slices.Clone(c.records) }

// Done reports whether the workload is exhausted.
func (c *Client) Done() bool { return c.done }

// Idle reports whether no operation is in flight.
func (c *Client) Idle() bool { return !c.inFlight }

// Inspect describes the client for tools.
func (c *Client) Inspect() map[string]string {
	return map[string]string{
		"client.ops":         strconv.Itoa(len(c.records)),
		"client.inflight":    strconv.FormatBool(c.inFlight),
		"client.counter":     strconv.FormatUint(c.counter, 10),
		"client.coordinator": string(c.coord),
	}
}

// WorkloadConfig shapes a random workload of gets and puts.
type WorkloadConfig struct {
	// Client makes written values unique: "c1:7" is the seventh operation
	// of client c1, so a read says which write it saw.
	Client string
	// Ops is how many operations; Keys how many keys ("k0", "k1", ...) to
	// draw from (zero means 3).
	Ops, Keys int
	// Get and Put weigh the two kinds; both zero means equal weights.
	Get, Put int
}

// NewWorkload returns a random workload drawing from r. Give it a stream of
// its own (rand.New(rand.NewPCG(seed, n))), not a node's Env.Rand.
func NewWorkload(r *rand.Rand, cfg WorkloadConfig) (Workload, error) {
	if cfg.Ops < 0 || cfg.Keys < 0 || cfg.Get < 0 || cfg.Put < 0 {
		return nil, fmt.Errorf("quorum: negative field in %+v", cfg)
	}
	if cfg.Keys == 0 {
		cfg.Keys = 3
	}
	if cfg.Get == 0 && cfg.Put == 0 {
		cfg.Get, cfg.Put = 1, 1
	}
	n := 0
	return WorkloadFunc(func() (Op, bool) {
		if n >= cfg.Ops {
			return Op{}, false
		}
		n++
		key := "k" + strconv.Itoa(r.IntN(cfg.Keys))
		if r.IntN(cfg.Get+cfg.Put) < cfg.Get {
			return Op{Kind: check.KVGet, Key: key}, true
		}
		return Op{Kind: check.KVPut, Key: key, Value: cfg.Client + ":" + strconv.Itoa(n)}, true
	}), nil
}

var _ sim.Node = (*Client)(nil)
