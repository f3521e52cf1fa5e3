package tcp

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// The runtime knows no protocol, but its tests need one to carry: Raft's
// key/value store, declared here as package livecatalog declares it for
// `dsim node` (the catalog imports this package, so these tests cannot
// import it back).

func testProtocol(name string) (Protocol, error) {
	if name != "raft-kv" {
		return Protocol{}, fmt.Errorf("the runtime's tests know only raft-kv, not %q", name)
	}
	return Protocol{
		Name: "raft-kv",
		Register: func(r *Registry) error {
			for name, zero := range map[string]sim.Message{
				"raft.RequestVote": raft.RequestVote{}, "raft.RequestVoteReply": raft.RequestVoteReply{},
				"raft.AppendEntries": raft.AppendEntries{}, "raft.AppendEntriesReply": raft.AppendEntriesReply{},
				"raft.InstallSnapshot": raft.InstallSnapshot{}, "raft.InstallSnapshotReply": raft.InstallSnapshotReply{},
				"rsm.ClientRequest": rsm.ClientRequest{}, "rsm.ClientReply": rsm.ClientReply{},
			} {
				if err := r.Register(name, zero); err != nil {
					return err
				}
			}
			return nil
		},
		New: func(NodeConfig) (sim.Node, error) {
			cfg := liveRaftConfig()
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return raft.New(cfg, app) }, kv.New()), nil
		},
		ClientMessages: []string{"rsm.ClientRequest"},
	}, nil
}

// liveRaftConfig is livecatalog.LiveRaftConfig, which these tests cannot
// import: longer timeouts than the simulator's, one AppendEntries in flight
// per follower.
func liveRaftConfig() raft.Config {
	c := raft.DefaultConfig()
	c.ElectionTimeout = 300 * time.Millisecond
	c.HeartbeatInterval = 50 * time.Millisecond
	c.MaxInflightAppends = 1
	return c
}

// mustTestProtocol is testProtocol for a test that cannot go on without it.
func mustTestProtocol(t testing.TB, name string) Protocol {
	t.Helper()
	p, err := testProtocol(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testClient is a plain rsm client for the runtime's tests: it tries each
// server in turn, follows leader hints, and resends with the same sequence
// number. (livecatalog.Client is the one `dsim kv` uses.)
type testClient struct {
	cluster Cluster
	reg     *Registry
	secret  []byte
	id      sim.NodeID
	seq     uint64
	next    int
	conns   map[sim.NodeID]*Conn
}

func NewClient(cluster Cluster, reg *Registry, secret []byte) *testClient {
	return &testClient{cluster: cluster, reg: reg, secret: secret, id: NewClientID("test"), conns: map[sim.NodeID]*Conn{}}
}

func (c *testClient) Do(ctx context.Context, op []byte) ([]byte, error) {
	c.seq++
	req := rsm.ClientRequest{ClientID: string(c.id), Seq: c.seq, Op: op}
	members := c.cluster.IDs()
	for ctx.Err() == nil {
		target := members[c.next]
		rep, err := c.try(ctx, target, req)
		switch {
		case err == nil && rep.Err == rsm.OK:
			return rep.Result, nil
		case err == nil && rep.Err == rsm.ErrWrongLeader && slices.Contains(members, rep.Leader) && rep.Leader != target:
			c.next = slices.Index(members, rep.Leader)
		default:
			c.next = (c.next + 1) % len(members)
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil, ctx.Err()
}

func (c *testClient) try(ctx context.Context, target sim.NodeID, req rsm.ClientRequest) (rsm.ClientReply, error) {
	conn := c.conns[target]
	if conn == nil {
		var err error
		if conn, err = DialNode(ctx, c.cluster, target, KindClient, c.id, c.reg, c.secret); err != nil {
			return rsm.ClientReply{}, err
		}
		c.conns[target] = conn
	}
	if err := conn.Send(req); err != nil {
		conn.Close()
		delete(c.conns, target)
		return rsm.ClientReply{}, err
	}
	for {
		msg, err := conn.Receive(time.Now().Add(time.Second))
		if err != nil {
			conn.Close()
			delete(c.conns, target)
			return rsm.ClientReply{}, err
		}
		if rep, ok := msg.(rsm.ClientReply); ok && rep.Seq == req.Seq {
			return rep, nil
		}
	}
}

func (c *testClient) Close() {
	for _, conn := range c.conns {
		conn.Close()
	}
}
