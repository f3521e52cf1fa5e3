package storage

import (
	"slices"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
	"github.com/dsimlab/dsim/storage/quorum"
)

// raftClient is a closed-loop client of the Raft KV (consensus/rsm
// protocol) that, like the quorum client, gives up on an operation after a
// while: so both stores' availability is measured the same way, as the
// fraction of operations answered before the client gave up.
type raftClient struct {
	workload quorum.Workload
	clock    func() time.Duration // the World's clock
	giveUp   time.Duration        // how long to keep retrying one operation
	retry    time.Duration        // how long to wait for one attempt

	id      string
	servers []sim.NodeID
	leader  int // index in servers of where to send next
	// seq numbers operations; a retry reuses it, so the server applies an
	// operation at most once.
	seq      uint64
	op       quorum.Op
	call     time.Duration
	inFlight bool
	attempt  uint64
	timer    sim.TimerID
	records  []access
}

type raftRetry struct{ Seq, Attempt uint64 }

type raftNext struct{}

func (c *raftClient) Start(env sim.Env) {
	c.id = string(env.ID())
	c.servers = slices.Clone(env.Peers())
	c.next(env)
}

func (c *raftClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case rsm.ClientReply:
		if !c.inFlight || m.Seq != c.seq {
			return
		}
		env.CancelTimer(c.timer)
		if m.Err == rsm.ErrWrongLeader {
			if i := slices.Index(c.servers, m.Leader); i >= 0 && m.Leader != from {
				c.leader = i
				c.send(env)
				return
			}
			c.attempt++
			c.timer = env.SetTimer(10*time.Millisecond, raftRetry{Seq: c.seq, Attempt: c.attempt})
			return
		}
		res, err := kv.DecodeResult(m.Result)
		if err != nil || m.Err != rsm.OK {
			env.Logf("raft client: bad reply %v", m)
			return
		}
		c.leader = slices.Index(c.servers, from)
		c.finish(env, true, res.Value)
	case raftRetry:
		if c.inFlight && m.Seq == c.seq && m.Attempt == c.attempt {
			c.leader = (c.leader + 1) % len(c.servers)
			c.send(env)
		}
	case raftNext:
		c.next(env)
	}
}

func (c *raftClient) next(env sim.Env) {
	op, ok := c.workload.Next()
	if !ok {
		return
	}
	c.seq++
	c.op, c.call, c.inFlight = op, c.clock(), true
	c.send(env)
}

// send sends the operation to the server believed to lead, unless the
// client has waited long enough: then it gives up.
func (c *raftClient) send(env sim.Env) {
	if c.clock()-c.call >= c.giveUp {
		c.finish(env, false, "")
		return
	}
	cmd := kv.Get(c.op.Key)
	if c.op.Kind == check.KVPut {
		cmd = kv.Put(c.op.Key, c.op.Value)
	}
	c.attempt++
	env.Send(c.servers[c.leader], rsm.ClientRequest{ClientID: c.id, Seq: c.seq, Op: cmd.Encode()})
	c.timer = env.SetTimer(c.retry, raftRetry{Seq: c.seq, Attempt: c.attempt})
}

func (c *raftClient) finish(env sim.Env, ok bool, value string) {
	a := access{client: env.ID(), put: c.op.Kind == check.KVPut, key: c.op.Key, value: c.op.Value, call: c.call, ok: ok}
	if ok {
		a.ret = c.clock()
		if !a.put {
			a.value = value
		}
	}
	c.records = append(c.records, a)
	c.inFlight = false
	env.SetTimer(10*time.Millisecond, raftNext{})
}

func (c *raftClient) Inspect() map[string]string {
	return map[string]string{"client.ops": strconv.Itoa(len(c.records)), "client.seq": strconv.FormatUint(c.seq, 10)}
}
