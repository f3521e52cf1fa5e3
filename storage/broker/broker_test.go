package broker_test

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/broker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inbox is a client that records what it receives.
type inbox struct{ got []sim.Message }

func (in *inbox) Start(sim.Env) {}
func (in *inbox) Receive(_ sim.Env, _ sim.NodeID, m sim.Message) {
	in.got = append(in.got, m)
}

func send(t *testing.T, w *sim.World, from, to sim.NodeID, m sim.Message) {
	t.Helper()
	require.NoError(t, w.Exec(from, func(_ sim.Node, env sim.Env) { env.Send(to, m) }))
}

func delivered(in *inbox) []broker.Deliver {
	var out []broker.Deliver
	for _, m := range in.got {
		if d, ok := m.(broker.Deliver); ok {
			out = append(out, d)
		}
	}
	return out
}

// A message nobody acknowledges comes back after the visibility timeout;
// an acknowledged one is gone for good.
func TestQueueRedeliversUntilAcked(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	q := broker.NewQueue(broker.QueueConfig{VisibilityTimeout: 50 * time.Millisecond, Dedup: true})
	w.AddNode("q", func() sim.Node { return q })
	c := &inbox{}
	w.AddClient("c", func() sim.Node { return c })
	w.RunFor(time.Millisecond)
	send(t, w, "c", "q", broker.Publish{ID: "m1", Key: "a"})
	send(t, w, "c", "q", broker.Publish{ID: "m1", Key: "a"}) // a retried publish, stored once (Dedup)
	send(t, w, "c", "q", broker.Fetch{Max: 1})
	w.RunFor(10 * time.Millisecond)
	require.Len(t, delivered(c), 1)
	assert.Equal(t, 1, q.InFlight())
	assert.Equal(t, 0, q.Depth())

	// No ack: after the timeout it is visible again and goes to the next fetch.
	w.RunFor(60 * time.Millisecond)
	assert.Equal(t, 1, q.Depth())
	send(t, w, "c", "q", broker.Fetch{Max: 1})
	w.RunFor(10 * time.Millisecond)
	d := delivered(c)
	require.Len(t, d, 2)
	assert.Equal(t, 2, d[1].Attempt)
	send(t, w, "c", "q", broker.Ack{ID: "m1", Seq: d[1].Seq})
	w.RunFor(100 * time.Millisecond)
	assert.Equal(t, broker.QueueCounters{Published: 1, Delivered: 2, Redelivered: 1, Acked: 1}, q.Counters())
	assert.Zero(t, q.Depth()+q.InFlight(), "an acknowledged message is gone")
}

// One key's records keep their order in one partition; a group's commit
// is its own, and any offset can be read again.
func TestLogKeepsOrderPerPartitionAndReplays(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	l := broker.NewLog(3)
	w.AddNode("log", func() sim.Node { return l })
	c := &inbox{}
	w.AddClient("c", func() sim.Node { return c })
	w.RunFor(time.Millisecond)
	for i, k := range []string{"a", "b", "a", "c", "a"} {
		send(t, w, "c", "log", broker.Append{ID: string(rune('0' + i)), Key: k})
	}
	w.RunFor(10 * time.Millisecond)
	p := broker.PartitionOf("a", 3)
	recs := l.Partition(p)
	var ids []string
	for _, r := range recs {
		if r.Key == "a" {
			ids = append(ids, r.ID)
		}
	}
	assert.Equal(t, []string{"0", "2", "4"}, ids, "a's records in append order")
	send(t, w, "c", "log", broker.Commit{Group: "billing", Partition: p, Offset: l.End(p)})
	send(t, w, "c", "log", broker.Read{Partition: p, Offset: 0, Max: 10})
	w.RunFor(10 * time.Millisecond)
	assert.Equal(t, l.End(p), l.CommittedOffset("billing", p))
	assert.Zero(t, l.CommittedOffset("audit", p), "another group starts from 0")
	last := c.got[len(c.got)-1].(broker.Records)
	assert.Len(t, last.Records, len(recs), "a committed partition can still be read again from 0")
}
