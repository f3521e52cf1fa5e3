package tcp

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// answerStatus asks the loop for the node's Inspect() (the node may only be
// read there) and queues the reply on the asking connection.
func (r *Runtime) answerStatus(in *inbound) {
	r.post(event{fn: func() {
		out := map[string]string{}
		if ins, ok := r.cfg.Node.(sim.Inspector); ok {
			maps.Copy(out, ins.Inspect())
		}
		for k, v := range r.stats.Map() {
			out["tcp."+k] = strconv.FormatInt(v, 10)
		}
		out["tcp.addr"] = r.ln.Addr().String()
		out["tcp.insecure"] = strconv.FormatBool(len(r.cfg.Secret) == 0)
		r.reply(in, StatusReply{ID: r.cfg.ID, Inspect: out, Faults: r.faults.String()})
	}})
}

func (r *Runtime) answerFault(in *inbound, req FaultRequest) {
	reply := FaultReply{ID: r.cfg.ID}
	if err := r.faults.Apply(req); err != nil {
		reply.Err = err.Error()
	} else if req.Action != "" {
		r.log.Warn("fault injected", "action", req.Action, "a", string(req.A), "b", string(req.B),
			"delay", req.Delay.String(), "drop", req.Drop, "by", string(in.remote))
	}
	reply.Faults = r.faults.String()
	r.reply(in, reply)
}

func (r *Runtime) reply(in *inbound, msg sim.Message) {
	b, err := r.cfg.Registry.Encode(msg)
	if err != nil {
		r.log.Error("cannot encode reply", "err", err.Error())
		return
	}
	select {
	case in.queue <- outFrame{data: b}:
	default:
		r.stats.DroppedQueueFull.Add(1)
	}
}

// Conn is a tool's connection to one node (`dsim kv`, `dsim status`,
// `dsim fault`): it sends requests and reads the answers on the same
// connection. It is not safe for concurrent use.
type Conn struct {
	c    net.Conn
	reg  *Registry
	Node sim.NodeID
}

// DialNode connects to member id of cluster as a client or admin named from,
// and runs the handshake (proving the secret if one is given).
func DialNode(ctx context.Context, cluster Cluster, id sim.NodeID, kind string, from sim.NodeID, reg *Registry, secret []byte) (*Conn, error) {
	m, ok := cluster.Member(id)
	if !ok {
		return nil, fmt.Errorf("tcp: %q is not a member of cluster %q (members: %v)", id, cluster.Name, cluster.IDs())
	}
	d := net.Dialer{Timeout: dialTimeout}
	c, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return nil, err
	}
	if err := Handshake(c, reg, secret, Hello{Cluster: cluster.Name, From: from, To: id, Kind: kind}); err != nil {
		c.Close()
		return nil, err
	}
	return &Conn{c: c, reg: reg, Node: id}, nil
}

// Send writes one message.
func (c *Conn) Send(msg sim.Message) error {
	c.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	return writeMessage(c.c, c.reg, msg)
}

// SendFrame writes one frame already encoded by Registry.Encode (a
// client that checks a request's size before sending encodes it once).
func (c *Conn) SendFrame(frame []byte) error {
	c.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.c.Write(frame)
	return err
}

// Receive reads the next message that is not a keep-alive, waiting until
// deadline at most.
func (c *Conn) Receive(deadline time.Time) (sim.Message, error) {
	c.c.SetReadDeadline(deadline)
	for {
		msg, err := c.reg.DecodeFrame(c.c, 0)
		if err != nil {
			return nil, err
		}
		if _, ping := msg.(Ping); !ping {
			return msg, nil
		}
	}
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// NewClientID returns a fresh name for a client or admin connection, such as
// "cli-3f2a9c01d4e5": random, so two clients never share a session.
func NewClientID(prefix string) sim.NodeID {
	var b [6]byte
	crand.Read(b[:])
	return sim.NodeID(prefix + "-" + hex.EncodeToString(b[:]))
}

func deadlineOf(ctx context.Context, d time.Duration) time.Time {
	t := time.Now().Add(d)
	if dl, ok := ctx.Deadline(); ok && dl.Before(t) {
		return dl
	}
	return t
}

// QueryStatus asks node id for its state: its Inspect() plus the
// transport's counters.
func QueryStatus(ctx context.Context, cluster Cluster, id sim.NodeID, secret []byte) (StatusReply, error) {
	c, err := DialNode(ctx, cluster, id, KindAdmin, NewClientID("admin"), NewRegistry(), secret)
	if err != nil {
		return StatusReply{}, err
	}
	defer c.Close()
	if err := c.Send(StatusRequest{}); err != nil {
		return StatusReply{}, err
	}
	msg, err := c.Receive(deadlineOf(ctx, 5*time.Second))
	if err != nil {
		return StatusReply{}, err
	}
	rep, ok := msg.(StatusReply)
	if !ok {
		return StatusReply{}, fmt.Errorf("tcp: %s answered %T to a status request", id, msg)
	}
	return rep, nil
}

// SendFault asks node id to change its transport faults.
func SendFault(ctx context.Context, cluster Cluster, id sim.NodeID, secret []byte, req FaultRequest) (FaultReply, error) {
	c, err := DialNode(ctx, cluster, id, KindAdmin, NewClientID("admin"), NewRegistry(), secret)
	if err != nil {
		return FaultReply{}, err
	}
	defer c.Close()
	if err := c.Send(req); err != nil {
		return FaultReply{}, err
	}
	msg, err := c.Receive(deadlineOf(ctx, 5*time.Second))
	if err != nil {
		return FaultReply{}, err
	}
	rep, ok := msg.(FaultReply)
	if !ok {
		return FaultReply{}, fmt.Errorf("tcp: %s answered %T to a fault request", id, msg)
	}
	if rep.Err != "" {
		return rep, errors.New(rep.Err)
	}
	return rep, nil
}
