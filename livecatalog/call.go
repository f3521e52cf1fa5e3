package livecatalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
)

// Caller is the client of the families whose requests any member can
// answer (paxos, 2pc, cdn, breaker-service, broadcast): it sends a request
// to one member and waits for the reply that answers it. Not safe for
// concurrent use.
type Caller struct {
	cluster tcp.Cluster
	reg     *tcp.Registry
	secret  []byte
	id      sim.NodeID
	seq     uint64
	conns   map[sim.NodeID]*tcp.Conn
}

// NewCaller returns a caller named like "cli-3f2a..." with reg holding
// the family's messages.
func NewCaller(cluster tcp.Cluster, reg *tcp.Registry, secret []byte) *Caller {
	return &Caller{cluster: cluster, reg: reg, secret: secret, id: tcp.NewClientID("cli"), conns: map[sim.NodeID]*tcp.Conn{}}
}

// ID is the caller's name: servers send replies to it.
func (c *Caller) ID() sim.NodeID { return c.id }

// NextSeq numbers a new request.
func (c *Caller) NextSeq() uint64 { c.seq++; return c.seq }

// Call sends req to member to and returns the first message for which
// answers is true, or an error once ctx is done or the connection fails.
func (c *Caller) Call(ctx context.Context, to sim.NodeID, req sim.Message, answers func(sim.Message) bool) (sim.Message, error) {
	for attempt := 0; ; attempt++ {
		rep, err := c.callOnce(ctx, to, req, answers)
		// A cached connection the server closed while idle says nothing
		// about the server: dial afresh once.
		if err == nil || attempt > 0 || ctx.Err() != nil {
			return rep, err
		}
	}
}

func (c *Caller) callOnce(ctx context.Context, to sim.NodeID, req sim.Message, answers func(sim.Message) bool) (sim.Message, error) {
	conn := c.conns[to]
	if conn == nil {
		var err error
		if conn, err = tcp.DialNode(ctx, c.cluster, to, tcp.KindClient, c.id, c.reg, c.secret); err != nil {
			return nil, fmt.Errorf("%s: %w", to, err)
		}
		c.conns[to] = conn
	}
	fail := func(err error) (sim.Message, error) {
		conn.Close()
		delete(c.conns, to)
		return nil, fmt.Errorf("%s: %w", to, err)
	}
	if err := conn.Send(req); err != nil {
		return fail(err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	for {
		msg, err := conn.Receive(deadline)
		if err != nil {
			return fail(err)
		}
		if answers(msg) {
			return msg, nil
		}
	}
}

// Close closes every connection.
func (c *Caller) Close() {
	for id, conn := range c.conns {
		conn.Close()
		delete(c.conns, id)
	}
}

// Nearest dials every candidate at once and returns the first to complete
// the handshake, with the time it took: the nearest member, as the network
// sees it now. A member that is down never answers, so it is routed
// around.
func Nearest(ctx context.Context, cluster tcp.Cluster, candidates []sim.NodeID, reg *tcp.Registry, secret []byte) (sim.NodeID, time.Duration, error) {
	type result struct {
		id  sim.NodeID
		rtt time.Duration
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan result, len(candidates))
	start := time.Now()
	for _, id := range candidates {
		go func() {
			conn, err := tcp.DialNode(ctx, cluster, id, tcp.KindClient, tcp.NewClientID("probe"), reg, secret)
			if err == nil {
				conn.Close()
			}
			results <- result{id, time.Since(start), err}
		}()
	}
	var errs []error
	for range candidates {
		r := <-results
		if r.err == nil {
			return r.id, r.rtt, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", r.id, r.err))
	}
	return "", 0, fmt.Errorf("%w: %v", ErrUnavailable, errors.Join(errs...))
}

// Secret is the shared secret the caller proves.
func (c *Caller) Secret() []byte { return c.secret }
