package rsm

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/sim"
)

// Op is one operation a Client issues.
type Op struct {
	// Cmd is what the state machine applies.
	Cmd []byte
	// Input is what the history records at invocation (for a key/value
	// store, a check.KVInput).
	Input any
	// Output turns the state machine's result into what the history
	// records as the response (a check.KVOutput). Nil records the result
	// bytes as they are.
	Output func(result []byte) any
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
	// Workload supplies the operations. Required.
	Workload Workload
	// History, if set, receives every operation: its invocation when first
	// sent, its response when the first answer arrives. Operations still
	// waiting when the run ends stay without a response, which the checker
	// reads as "outcome unknown".
	History *check.History
	// Clock tells the time the history records; required with History.
	// Pass the World's clock (w.Now), not the client's Env.Now: a node's
	// clock may be skewed or drift (package network's clock faults), and
	// two clients with different skews would record operations in an order
	// that never happened, which the checker would blame on the servers.
	Clock func() time.Duration
	// RetryTimeout is how long to wait for an answer before resending the
	// same request (same Seq, so it is applied at most once) to the next
	// server. Zero means 100ms.
	RetryTimeout time.Duration
	// RedirectDelay is how long to wait before trying the next server
	// after one said it is not the leader and knew of none: during an
	// election nobody knows, and asking again at once only floods the
	// network. Zero means 10ms.
	RedirectDelay time.Duration
}

// Validate says what is wrong with a configuration.
func (c ClientConfig) Validate() error {
	switch {
	case c.Workload == nil:
		return errors.New("rsm: ClientConfig.Workload is nil")
	case c.History != nil && c.Clock == nil:
		return errors.New("rsm: ClientConfig.Clock is nil but History is set: pass the World's clock (w.Now)")
	case c.RetryTimeout < 0:
		return fmt.Errorf("rsm: ClientConfig.RetryTimeout is negative (%v)", c.RetryTimeout)
	case c.RedirectDelay < 0:
		return fmt.Errorf("rsm: ClientConfig.RedirectDelay is negative (%v)", c.RedirectDelay)
	}
	return nil
}

// Client is a closed-loop client node: it issues one operation, waits for
// its answer, then issues the next. Add it with World.AddClient so its peers
// are the servers. It finds the leader by following the servers' hints,
// and otherwise tries the servers in turn.
type Client struct {
	cfg ClientConfig

	id      string       // ClientID: node id and incarnation, unique forever
	servers []sim.NodeID // env.Peers at start
	leader  int          // index in servers of where to send next

	// seq numbers this client's operations from 1. Invariant: at most one
	// operation (seq) is in flight, and its Seq never changes across retries.
	seq      uint64
	op       Op
	inFlight bool
	histID   check.OpID
	attempt  uint64 // counts sends of the current op; a timer for an older one is stale
	timer    sim.TimerID

	completed int
	retries   int
	done      bool
}

// retryTimer fires when an answer to attempt has not come in time.
type retryTimer struct {
	Seq     uint64
	Attempt uint64
}

// NewClient returns a client, or what is wrong with cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RetryTimeout == 0 {
		cfg.RetryTimeout = 100 * time.Millisecond
	}
	if cfg.RedirectDelay == 0 {
		cfg.RedirectDelay = 10 * time.Millisecond
	}
	return &Client{cfg: cfg}, nil
}

const incarnationKey = "rsm/client-incarnation"

// Start picks a client id and issues the first operation. The id includes
// an incarnation number kept on the client's disk: a restarted client
// numbers its operations from 1 again, and must not be mistaken for its
// former self, whose sessions would answer with old results.
func (c *Client) Start(env sim.Env) {
	inc := uint64(1)
	if b, ok := env.Disk().Get(incarnationKey); ok {
		if n, err := strconv.ParseUint(string(b), 10, 64); err == nil {
			inc = n + 1
		}
	}
	env.Disk().Put(incarnationKey, []byte(strconv.FormatUint(inc, 10)))
	env.Disk().Sync()
	c.id = string(env.ID()) + "." + strconv.FormatUint(inc, 10)
	c.servers = slices.Clone(env.Peers())
	c.leader, c.seq, c.inFlight, c.done = 0, 0, false, false
	if len(c.servers) == 0 {
		env.Logf("rsm client: no servers to talk to")
		c.done = true
		return
	}
	c.next(env)
}

// Receive handles replies and retry timers.
func (c *Client) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case ClientReply:
		c.handleReply(env, from, m)
	case retryTimer:
		if !c.inFlight || m.Seq != c.seq || m.Attempt != c.attempt {
			return // stale: the answer came, or a newer attempt was made
		}
		c.retries++
		c.leader = (c.leader + 1) % len(c.servers)
		c.send(env)
	}
}

func (c *Client) handleReply(env sim.Env, from sim.NodeID, m ClientReply) {
	if !c.inFlight || m.ClientID != c.id || m.Seq != c.seq {
		return // an answer to an earlier attempt that we already have
	}
	env.CancelTimer(c.timer)
	if m.Err == ErrWrongLeader {
		if i := slices.Index(c.servers, m.Leader); i >= 0 && m.Leader != from {
			c.retries++
			c.leader = i
			c.send(env)
			return
		}
		// No useful hint: the retry timer moves on to the next server.
		c.attempt++
		c.timer = env.SetTimer(c.cfg.RedirectDelay, retryTimer{Seq: c.seq, Attempt: c.attempt})
		return
	}
	if m.Err != OK {
		env.Logf("rsm client: unexpected error %q for seq %d; retrying", m.Err, m.Seq)
		c.attempt++
		c.timer = env.SetTimer(c.cfg.RetryTimeout, retryTimer{Seq: c.seq, Attempt: c.attempt})
		return
	}
	if i := slices.Index(c.servers, from); i >= 0 {
		c.leader = i // it answered, so it leads: send the next one there too
	}
	c.inFlight = false
	c.completed++
	if h := c.cfg.History; h != nil {
		var out any = m.Result
		if c.op.Output != nil {
			out = c.op.Output(m.Result)
		}
		if err := h.Return(c.histID, out, c.cfg.Clock()); err != nil {
			panic(err.Error()) // the client records each operation once: a broken invariant
		}
	}
	c.next(env)
}

// next issues the workload's next operation, or stops.
func (c *Client) next(env sim.Env) {
	op, ok := c.cfg.Workload.Next()
	if !ok {
		c.done = true
		return
	}
	c.seq++
	c.op = op
	c.inFlight = true
	if h := c.cfg.History; h != nil {
		c.histID = h.Invoke(env.ID(), op.Input, c.cfg.Clock())
	}
	c.send(env)
}

// send sends the current operation to the server we believe leads and arms
// the retry timer.
func (c *Client) send(env sim.Env) {
	c.attempt++
	env.Send(c.servers[c.leader], ClientRequest{ClientID: c.id, Seq: c.seq, Op: c.op.Cmd})
	c.timer = env.SetTimer(c.cfg.RetryTimeout, retryTimer{Seq: c.seq, Attempt: c.attempt})
}

// Done reports whether the workload is exhausted and every operation answered.
func (c *Client) Done() bool { return c.done }

// Completed is how many operations got an answer.
func (c *Client) Completed() int { return c.completed }

// Retries is how many times an operation was sent again: after a timeout or
// a redirect.
func (c *Client) Retries() int { return c.retries }

// Inspect describes the client for tools.
func (c *Client) Inspect() map[string]string {
	out := map[string]string{
		"client.id":        c.id,
		"client.seq":       strconv.FormatUint(c.seq, 10),
		"client.completed": strconv.Itoa(c.completed),
		"client.retries":   strconv.Itoa(c.retries),
		"client.done":      strconv.FormatBool(c.done),
	}
	if len(c.servers) > 0 {
		out["client.leader"] = string(c.servers[c.leader])
	}
	return out
}

var _ sim.Node = (*Client)(nil)
