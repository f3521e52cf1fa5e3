package livecatalog

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
)

// ErrUnavailable is wrapped by Client.Do when no server answered in time.
// The operation's outcome is then unknown: it may still be applied.
var ErrUnavailable = errors.New("no answer from the cluster")

// ErrRequestTooLarge is wrapped by Client.Do when an operation is too large
// to send. Do returns it at once, without trying: the operation was not
// sent, so it was certainly not applied, and retrying cannot help.
var ErrRequestTooLarge = errors.New("request too large")

// MaxRequestSize is the largest client request, encoded, that Client.Do
// sends: a frame's limit less 64 KiB, room for the message that then carries
// the operation from the leader to the followers (an AppendEntries holds it
// with a little more around it). A request that fits in a frame but left no
// room would be accepted and then never replicated.
const MaxRequestSize = tcp.MaxFrameSize - 64<<10

// Client sends operations to a replicated state machine (rsm.Server) over
// TCP: the live counterpart of rsm.Client. It follows the servers' leader
// hints, tries the next server on a timeout or when nobody knows the
// leader, and resends an operation with the same sequence number, so the
// servers' sessions apply it at most once. Not safe for concurrent use: one
// operation at a time, like rsm.Client.
type Client struct {
	cluster tcp.Cluster
	reg     *tcp.Registry
	secret  []byte
	id      sim.NodeID
	seq     uint64
	members []sim.NodeID
	leader  int // index in members of where to send next
	conns   map[sim.NodeID]*tcp.Conn
	// switches counts turns to another server: after a failure, or to
	// follow a hint.
	switches int
	// TryTimeout is how long to wait for one server's answer before
	// trying the next. Default 1s.
	TryTimeout time.Duration
}

// NewClient returns a client with a fresh random id. reg must hold the
// rsm messages (a Protocol's registry does).
func NewClient(cluster tcp.Cluster, reg *tcp.Registry, secret []byte) *Client {
	return &Client{cluster: cluster, reg: reg, secret: secret, id: tcp.NewClientID("cli"),
		members: cluster.IDs(), conns: map[sim.NodeID]*tcp.Conn{}, TryTimeout: time.Second}
}

// ID is the client's name, and its session id at the servers.
func (c *Client) ID() sim.NodeID { return c.id }

// Leader is the server the client will try first.
func (c *Client) Leader() sim.NodeID { return c.members[c.leader] }

// Do has the cluster apply op and returns the state machine's result. On
// ctx's deadline it returns an error wrapping ErrUnavailable and the last
// thing that went wrong.
//
// An operation too large to send fails at once with an error wrapping
// ErrRequestTooLarge.
func (c *Client) Do(ctx context.Context, op []byte) ([]byte, error) {
	req := rsm.ClientRequest{ClientID: string(c.id), Seq: c.seq + 1, Op: op}
	// The operation travels in base64: if that alone is over the limit,
	// say so without spending a second encoding it.
	encoded := base64.StdEncoding.EncodedLen(len(op))
	var frame []byte
	if encoded <= MaxRequestSize {
		var err error
		frame, err = c.reg.Encode(req)
		switch {
		case errors.Is(err, tcp.ErrFrameTooLarge):
			encoded = tcp.MaxFrameSize + 1
		case err != nil:
			return nil, err
		default:
			encoded = len(frame) - 4 // the frame's length prefix
		}
	}
	if encoded > MaxRequestSize {
		return nil, fmt.Errorf("%w: the operation is %d bytes, %d or more once encoded, and a request may be at most %d bytes encoded "+
			"(operations travel in base64: about %d bytes of operation); it was not sent", ErrRequestTooLarge, len(op), encoded, MaxRequestSize, MaxRequestSize/4*3)
	}
	c.seq++
	var last error
	for {
		if err := ctx.Err(); err != nil {
			if last == nil {
				last = err
			}
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, last)
		}
		target := c.members[c.leader]
		reply, err := c.try(ctx, target, req, frame)
		if err != nil {
			last = fmt.Errorf("%s: %w", target, err)
			c.next()
			pause(ctx, 20*time.Millisecond)
			continue
		}
		switch reply.Err {
		case rsm.OK:
			return reply.Result, nil
		case rsm.ErrWrongLeader:
			last = fmt.Errorf("%s: not the leader (hint %q)", target, reply.Leader)
			if i := slices.Index(c.members, reply.Leader); i >= 0 && reply.Leader != target {
				c.leader = i
				c.switches++
				continue
			}
			c.next() // an election is on: nobody knows yet
			pause(ctx, 25*time.Millisecond)
		default:
			last = fmt.Errorf("%s: %s", target, reply.Err)
			c.next()
			pause(ctx, 25*time.Millisecond)
		}
	}
}

func (c *Client) next() {
	c.leader = (c.leader + 1) % len(c.members)
	c.switches++
}

// Switches is how many times the client turned to another server: after
// a timeout or a failed connection, or to follow a leader hint.
func (c *Client) Switches() int { return c.switches }

func (c *Client) try(ctx context.Context, target sim.NodeID, req rsm.ClientRequest, frame []byte) (rsm.ClientReply, error) {
	if _, cached := c.conns[target]; cached {
		reply, err := c.tryOnce(ctx, target, req, frame)
		if err == nil || ctx.Err() != nil {
			return reply, err
		}
		// The server closes a connection idle for a while; that says
		// nothing about the server. Dial it afresh before moving on.
	}
	return c.tryOnce(ctx, target, req, frame)
}

// tryOnce sends req, encoded as frame, to target and waits for its answer.
func (c *Client) tryOnce(ctx context.Context, target sim.NodeID, req rsm.ClientRequest, frame []byte) (rsm.ClientReply, error) {
	conn, ok := c.conns[target]
	if !ok {
		dctx, cancel := context.WithTimeout(ctx, c.TryTimeout)
		var err error
		conn, err = tcp.DialNode(dctx, c.cluster, target, tcp.KindClient, c.id, c.reg, c.secret)
		cancel()
		if err != nil {
			return rsm.ClientReply{}, err
		}
		c.conns[target] = conn
	}
	fail := func(err error) (rsm.ClientReply, error) {
		conn.Close()
		delete(c.conns, target)
		return rsm.ClientReply{}, err
	}
	if err := conn.SendFrame(frame); err != nil {
		return fail(err)
	}
	deadline := time.Now().Add(c.TryTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for {
		msg, err := conn.Receive(deadline)
		if err != nil {
			return fail(err)
		}
		if rep, ok := msg.(rsm.ClientReply); ok && rep.ClientID == req.ClientID && rep.Seq == req.Seq {
			return rep, nil
		}
		// An answer to an earlier attempt: skip it.
	}
}

// Close closes every connection.
func (c *Client) Close() {
	for id, conn := range c.conns {
		conn.Close()
		delete(c.conns, id)
	}
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
