package replication

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// ClientConfig sets up a Client.
type ClientConfig struct {
	// Leader is where writes go.
	Leader sim.NodeID
	// Think is the pause between an acknowledgement and the next write.
	Think time.Duration
	// Keys is how many distinct keys the client writes, round robin
	// (default 10).
	Keys int
	// RetryAfter is how long the client waits for an acknowledgement
	// before sending the same write again (default 100ms).
	RetryAfter time.Duration
}

// AckedWrite is a write the leader acknowledged, with its latency.
type AckedWrite struct {
	ID      string
	Index   uint64
	Latency time.Duration
}

type (
	nextWrite  struct{}
	retryWrite struct{ ID string }
)

// Client writes one value at a time to the leader and records each
// acknowledged write: the promises a failover must keep.
type Client struct {
	cfg     ClientConfig
	seq     int
	stopped bool
	// inflight is the write awaiting its acknowledgement, if any.
	inflight string
	value    Write
	sentAt   time.Time
	acked    []AckedWrite
}

// NewClient returns a client; use it in a node factory.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Keys <= 0 {
		cfg.Keys = 10
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 100 * time.Millisecond
	}
	return &Client{cfg: cfg}
}

// Start sends the first write.
func (c *Client) Start(env sim.Env) { c.send(env) }

// Receive handles acknowledgements and the think timer.
func (c *Client) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case WriteAck:
		if m.ID != c.inflight {
			return
		}
		c.acked = append(c.acked, AckedWrite{ID: m.ID, Index: m.Index, Latency: env.Now().Sub(c.sentAt)})
		c.inflight = ""
		env.SetTimer(c.cfg.Think, nextWrite{})
	case NotLeader:
		if m.Leader != "" && m.ID == c.inflight {
			c.cfg.Leader = m.Leader // the retry timer will send it there
		}
	case nextWrite:
		c.send(env)
	case retryWrite:
		if m.ID == c.inflight && !c.stopped {
			env.Send(c.cfg.Leader, c.value)
			env.SetTimer(c.cfg.RetryAfter, m)
		}
	}
}

func (c *Client) send(env sim.Env) {
	if c.stopped || c.inflight != "" {
		return
	}
	c.seq++
	c.inflight = fmt.Sprintf("%s-%d", env.ID(), c.seq)
	c.sentAt = env.Now()
	c.value = Write{ID: c.inflight, Key: fmt.Sprintf("k%d", c.seq%c.cfg.Keys), Value: c.inflight}
	env.Send(c.cfg.Leader, c.value)
	env.SetTimer(c.cfg.RetryAfter, retryWrite{ID: c.inflight})
}

// Stop ends the workload: no new writes are sent.
func (c *Client) Stop() { c.stopped = true }

// Acked lists the acknowledged writes, in order.
func (c *Client) Acked() []AckedWrite { return append([]AckedWrite(nil), c.acked...) }

// LostWrites returns the ids of acknowledged writes missing from log.
func LostWrites(acked []AckedWrite, log []Entry) []string {
	have := make(map[string]bool, len(log))
	for _, e := range log {
		have[e.ID] = true
	}
	var lost []string
	for _, a := range acked {
		if !have[a.ID] {
			lost = append(lost, a.ID)
		}
	}
	return lost
}
