package tcp

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

type gcWrite struct{ N int }
type gcAck struct{ N int }

// writerNode stores each write, syncs, and only then acknowledges it, as a
// Raft follower does with entries.
type writerNode struct{}

func (writerNode) Start(sim.Env) {}
func (writerNode) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if w, ok := msg.(gcWrite); ok {
		env.Disk().Put("last", []byte(strconv.Itoa(w.N)))
		env.Disk().Sync()
		env.Send(from, gcAck(w))
	}
}

// slowDisk takes 20ms to fsync and remembers what was durable.
type slowDisk struct {
	*sim.MemDisk
	mu      sync.Mutex
	durable int // the last write made durable
	syncs   int // real syncs
}

func (d *slowDisk) Sync() {
	time.Sleep(20 * time.Millisecond)
	b, _ := d.Get("last")
	n, _ := strconv.Atoi(string(b))
	d.mu.Lock()
	d.durable, d.syncs = n, d.syncs+1
	d.mu.Unlock()
	d.MemDisk.Sync()
}

func (d *slowDisk) state() (durable, syncs int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.durable, d.syncs
}

// Group commit: writes that arrive while an fsync runs share the next one,
// and no acknowledgement leaves before the write it acknowledges is durable.
func TestGroupCommitSharesFsyncsAndHoldsAcks(t *testing.T) {
	reg := NewRegistry()
	reg.MustRegister("test.write", gcWrite{})
	reg.MustRegister("test.ack", gcAck{})
	disk := &slowDisk{MemDisk: sim.NewMemDisk()}
	cluster := Cluster{Name: "t", Members: []Member{{ID: "n1", Addr: "127.0.0.1:0"}}}
	rt, err := Start(Config{Cluster: cluster, ID: "n1", Node: writerNode{}, Registry: reg, Disk: disk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer rt.Close()
	cluster.Members[0].Addr = rt.Addr().String()
	conn, err := DialNode(context.Background(), cluster, "n1", KindClient, "writer", reg, nil)
	require.NoError(t, err)
	defer conn.Close()

	const writes = 16
	for i := 1; i <= writes; i++ {
		require.NoError(t, conn.Send(gcWrite{N: i}))
	}
	for range writes {
		msg, err := conn.Receive(time.Now().Add(5 * time.Second))
		require.NoError(t, err)
		ack := msg.(gcAck)
		durable, _ := disk.state()
		assert.GreaterOrEqual(t, durable, ack.N, "write %d acknowledged before it was durable", ack.N)
	}
	_, syncs := disk.state()
	assert.Less(t, syncs, writes/2, "%d fsyncs for %d writes: no group commit", syncs, writes)
	assert.Equal(t, int64(syncs), rt.Stats().Fsyncs.Load())
	t.Logf("%d writes, %d fsyncs", writes, syncs)
}
