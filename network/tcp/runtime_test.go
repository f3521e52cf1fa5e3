package tcp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// syncBuffer collects log lines from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// liveCluster is a raft-kv cluster of runtimes inside the test process, on
// loopback sockets.
type liveCluster struct {
	cluster Cluster
	reg     *Registry
	secret  []byte
	rts     map[sim.NodeID]*Runtime
	logs    *syncBuffer
}

func startLiveCluster(t testing.TB, n int, secret []byte, disk func(id sim.NodeID) sim.Disk, tweaks ...func(*Config)) *liveCluster {
	t.Helper()
	proto, err := testProtocol("raft-kv")
	require.NoError(t, err)
	reg, err := proto.NewRegistry()
	require.NoError(t, err)
	lc := &liveCluster{cluster: Cluster{Name: "test"}, reg: reg, secret: secret, rts: map[sim.NodeID]*Runtime{}, logs: &syncBuffer{}}
	lns := map[sim.NodeID]net.Listener{}
	for i := 1; i <= n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		lns[id] = ln
		lc.cluster.Members = append(lc.cluster.Members, Member{ID: id, Addr: ln.Addr().String()})
	}
	logger := slog.New(slog.NewTextHandler(lc.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	for _, m := range lc.cluster.Members {
		var d sim.Disk
		if disk != nil {
			d = disk(m.ID)
		}
		node, err := proto.New(NodeConfig{ID: m.ID, Cluster: lc.cluster})
		require.NoError(t, err)
		cfg := Config{Cluster: lc.cluster, ID: m.ID, Node: node, Registry: reg, ClientMessages: proto.ClientMessages,
			Disk: d, Secret: secret, Listener: lns[m.ID], Logger: logger, Seed: uint64(len(lc.rts) + 1)}
		for _, tweak := range tweaks {
			tweak(&cfg)
		}
		rt, err := Start(cfg)
		require.NoError(t, err)
		lc.rts[m.ID] = rt
	}
	t.Cleanup(func() {
		for _, rt := range lc.rts {
			rt.Close()
		}
	})
	return lc
}

// status reads member id's Raft status on its event loop.
func (lc *liveCluster) status(id sim.NodeID) raft.Status {
	var st raft.Status
	lc.rts[id].Do(func(n sim.Node) { st = n.(*rsm.Server).Replica().(*raft.Node).Status() })
	return st
}

// waitLeader waits until exactly one of the given members leads, and says which.
func (lc *liveCluster) waitLeader(t testing.TB, among ...sim.NodeID) sim.NodeID {
	t.Helper()
	if len(among) == 0 {
		among = lc.cluster.IDs()
	}
	var leader sim.NodeID
	waitFor(t, 5*time.Second, "a leader among "+fmt.Sprint(among), func() bool {
		leader = ""
		for _, id := range among {
			if lc.status(id).Role == raft.Leader {
				if leader != "" {
					return false
				}
				leader = id
			}
		}
		return leader != ""
	})
	return leader
}

// waitFor polls cond until it holds or the deadline passes: real time,
// bounded.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (lc *liveCluster) do(t testing.TB, op kv.Op) kv.Result {
	t.Helper()
	c := NewClient(lc.cluster, lc.reg, lc.secret)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.Do(ctx, op.Encode())
	require.NoError(t, err, "%s", op)
	r, err := kv.DecodeResult(res)
	require.NoError(t, err)
	return r
}

// The unchanged Raft KV node, three processes' worth in one test: a client
// writes through whichever server it reaches first and reads it back.
func TestLiveRaftKVServesClients(t *testing.T) {
	lc := startLiveCluster(t, 3, nil, nil)
	leader := lc.waitLeader(t)
	assert.Equal(t, kv.Result{OK: true}, lc.do(t, kv.Put("x", "1")))
	assert.Equal(t, kv.Result{OK: true}, lc.do(t, kv.Append("x", "2")))
	assert.Equal(t, kv.Result{OK: true, Value: "12"}, lc.do(t, kv.Get("x")))

	st, err := QueryStatus(context.Background(), lc.cluster, leader, nil)
	require.NoError(t, err)
	assert.Equal(t, "leader", st.Inspect["role"])
	assert.Equal(t, "none", st.Faults)
	assert.NotEqual(t, "0", st.Inspect["tcp.sent"], "the transport's counters come with the node's state")
}

// Timers are delivered on the loop as messages from the node itself; a
// cancelled timer never arrives.
type tick struct{ N int }

func TestTimersArriveFromTheNodeItself(t *testing.T) {
	got := make(chan sim.Message, 10)
	froms := make(chan sim.NodeID, 10)
	node := &timerNode{got: got, froms: froms}
	reg := NewRegistry()
	reg.MustRegister("test.tick", tick{})
	rt, err := Start(Config{Cluster: Cluster{Name: "t", Members: []Member{{ID: "n1", Addr: "127.0.0.1:0"}}}, ID: "n1",
		Node: node, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer rt.Close()
	select {
	case m := <-got:
		assert.Equal(t, tick{N: 1}, m)
		assert.Equal(t, sim.NodeID("n1"), <-froms)
	case <-time.After(2 * time.Second):
		t.Fatal("the timer never fired")
	}
	select {
	case m := <-got:
		t.Fatalf("a cancelled timer fired: %v", m)
	case <-time.After(100 * time.Millisecond):
	}
}

type timerNode struct {
	got   chan sim.Message
	froms chan sim.NodeID
}

func (n *timerNode) Start(env sim.Env) {
	env.SetTimer(10*time.Millisecond, tick{N: 1})
	cancelled := env.SetTimer(30*time.Millisecond, tick{N: 2})
	env.CancelTimer(cancelled)
}

func (n *timerNode) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	n.got <- msg
	n.froms <- from
}

// With a shared secret, only those who know it get in: a client or a
// would-be peer without it, or with the wrong one, is refused and counted.
func TestStrangerWithoutTheSecretIsRefused(t *testing.T) {
	secret := []byte("correct horse battery staple")
	lc := startLiveCluster(t, 3, secret, nil)
	lc.waitLeader(t)
	ctx := context.Background()

	_, err := DialNode(ctx, lc.cluster, "n1", KindClient, "stranger", lc.reg, nil)
	require.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, err.Error(), "did not prove it knows the cluster secret")

	_, err = DialNode(ctx, lc.cluster, "n1", KindPeer, "n2", lc.reg, nil)
	require.ErrorIs(t, err, ErrRefused, "a stranger claiming to be member n2")

	_, err = DialNode(ctx, lc.cluster, "n1", KindClient, "impostor", lc.reg, []byte("wrong secret, long enough"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "it did not prove it knows the cluster secret", "the client sees the server cannot prove the secret it believes in")

	other := lc.cluster
	other.Name = "other"
	_, err = DialNode(ctx, other, "n1", KindClient, "lost", lc.reg, secret)
	require.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, err.Error(), `cluster "other", this node belongs to "test"`)

	waitFor(t, 2*time.Second, "refusals counted", func() bool { return lc.rts["n1"].Stats().Refused.Load() >= 4 })
	assert.Contains(t, lc.logs.String(), "handshake refused")

	// Members and clients who know the secret carry on.
	assert.Equal(t, kv.Result{OK: true}, lc.do(t, kv.Put("k", "v")))
	_, err = QueryStatus(ctx, lc.cluster, "n1", secret)
	require.NoError(t, err)
}

// Garbage, oversized and unknown frames close the connection they came on
// and are counted; the node keeps serving everyone else.
func TestBadFramesCloseOnlyTheirConnection(t *testing.T) {
	lc := startLiveCluster(t, 3, nil, nil)
	lc.waitLeader(t)
	n1 := lc.rts["n1"]
	addr := lc.cluster.Members[0].Addr

	closedAfter := func(what string, payload []byte, handshake bool) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		if handshake {
			require.NoError(t, Handshake(c, lc.reg, nil, Hello{Cluster: "test", From: NewClientID("bad"), To: "n1", Kind: KindClient}))
		}
		_, err = c.Write(payload)
		require.NoError(t, err, what)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		for {
			_, err = ReadFrame(c, 0) // pings may come first
			if err != nil {
				break
			}
		}
		// Closed with our bytes unread, the socket may answer with a reset.
		closed := errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
		assert.True(t, closed, "%s: want the node to close the connection, got %v", what, err)
	}

	closedAfter("garbage before the handshake", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false)
	closedAfter("garbage after the handshake", frameOf("\x00\xffnot json at all"), true)
	closedAfter("an unknown type", frameOf(`{"type":"evil.Exec","body":{"Cmd":"rm -rf /"}}`), true)
	closedAfter("a raft message from a client", frameOf(`{"type":"raft.RequestVote","body":{"Term":99}}`), true)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	closedAfter("a frame announcing 1 GiB", binary.BigEndian.AppendUint32(nil, 1<<30), true)
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "the node did not allocate the 1 GiB announced")

	s := n1.Stats()
	assert.GreaterOrEqual(t, s.Refused.Load(), int64(1), "the HTTP request failed the handshake")
	assert.GreaterOrEqual(t, s.BadFrames.Load(), int64(1))
	assert.GreaterOrEqual(t, s.UnknownTypes.Load(), int64(2), "evil.Exec, and raft.RequestVote from a client")
	assert.GreaterOrEqual(t, s.OversizedFrames.Load(), int64(1))
	logs := lc.logs.String()
	for _, line := range []string{"refused frame: undecodable", "refused frame: unknown type", "refused frame: not a client message", "refused frame: too large"} {
		assert.Contains(t, logs, line)
	}

	// n1 carries on: it still serves clients and talks to its peers.
	assert.Equal(t, kv.Result{OK: true}, lc.do(t, kv.Put("after", "garbage")))
	st, err := QueryStatus(context.Background(), lc.cluster, "n1", nil)
	require.NoError(t, err)
	assert.NotEmpty(t, st.Inspect["leader"])
}

// Cutting the leader off from both followers at the transport makes them
// elect another; healing lets the old one rejoin as a follower.
func TestTransportFaultsPartitionTheLeader(t *testing.T) {
	lc := startLiveCluster(t, 3, nil, nil)
	old := lc.waitLeader(t)
	ctx := context.Background()
	var rest []sim.NodeID
	for _, id := range lc.cluster.IDs() {
		if id != old {
			rest = append(rest, id)
			_, errs := FaultAll(ctx, lc.cluster, nil, FaultRequest{Action: "block", A: old, B: id})
			require.Empty(t, errs)
		}
	}
	next := lc.waitLeader(t, rest...)
	assert.NotEqual(t, old, next)
	assert.Greater(t, lc.rts[old].Stats().DroppedFault.Load(), int64(0), "the old leader's messages were dropped")
	assert.Equal(t, kv.Result{OK: true}, lc.do(t, kv.Put("during", "partition")))

	_, errs := FaultAll(ctx, lc.cluster, nil, FaultRequest{Action: "heal"})
	require.Empty(t, errs)
	waitFor(t, 5*time.Second, "the old leader following the new one", func() bool {
		st := lc.status(old)
		return st.Role == raft.Follower && st.Leader != "" && st.Leader != old
	})
	_, err := SendFault(ctx, lc.cluster, "n1", nil, FaultRequest{Action: "drop", Drop: 2})
	assert.ErrorContains(t, err, "want a share between 0 and 1")
	assert.True(t, strings.Contains(lc.logs.String(), "fault injected"))
}

// BenchmarkLiveRaftKVWrites measures committed KV writes per second on a
// three-node cluster over loopback TCP, each node with its own FileDisk
// (fsync on every Raft sync): one client writing in a closed loop, and 16
// clients at once.
func BenchmarkLiveRaftKVWrites(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			dir := b.TempDir()
			lc := startLiveCluster(b, 3, nil, func(id sim.NodeID) sim.Disk {
				d, err := OpenFileDisk(dir + "/" + string(id))
				require.NoError(b, err)
				b.Cleanup(func() { d.Close() })
				return d
			})
			lc.waitLeader(b)
			var wg sync.WaitGroup
			per := (b.N + clients - 1) / clients
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for c := range clients {
				wg.Go(func() {
					cl := NewClient(lc.cluster, lc.reg, nil)
					defer cl.Close()
					ctx := context.Background()
					for i := range per {
						if _, err := cl.Do(ctx, kv.Put(fmt.Sprintf("k%d-%d", c, i%100), "v").Encode()); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(per*clients)/time.Since(start).Seconds(), "writes/s")
			// CPU time (user and system, all three nodes and the clients)
			// per write: what a write costs, whatever else the machine runs.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(per*clients), "cpu-µs/write")
		})
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestFaultsTable(t *testing.T) {
	f := newFaults(rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, f.Apply(FaultRequest{Action: "block", A: "n2", B: "n1"}))
	require.NoError(t, f.Apply(FaultRequest{Action: "delay", A: "n1", B: "n3", Delay: 50 * time.Millisecond}))
	assert.Equal(t, "block n1-n2; delay n1-n3 50ms", f.String())
	for _, c := range []struct {
		from, to sim.NodeID
		drop     bool
		delay    time.Duration
	}{
		{"n1", "n2", true, 0}, {"n2", "n1", true, 0}, // a block cuts both ways
		{"n1", "n3", false, 50 * time.Millisecond}, {"n3", "n1", false, 50 * time.Millisecond},
		{"n2", "n3", false, 0},
	} {
		drop, delay := f.outgoing(c.from, c.to)
		assert.Equal(t, c.drop, drop, "%s->%s dropped", c.from, c.to)
		assert.Equal(t, c.delay, delay, "%s->%s delay", c.from, c.to)
	}

	require.NoError(t, f.Apply(FaultRequest{Action: "drop", Drop: 0.25}))
	dropped := 0
	for range 4000 {
		if d, _ := f.outgoing("n2", "n3"); d {
			dropped++
		}
	}
	assert.InDelta(t, 1000, dropped, 150, "a quarter of the messages is lost")

	require.NoError(t, f.Apply(FaultRequest{Action: "heal"}))
	assert.Equal(t, "none", f.String())

	for _, bad := range []FaultRequest{
		{Action: "block", A: "n1"}, {Action: "block", A: "n1", B: "n1"}, {Action: "delay", A: "n1", B: "n2", Delay: -1},
		{Action: "drop", Drop: 1.5}, {Action: "drop", Drop: math.NaN()}, {Action: "explode"},
	} {
		assert.Error(t, f.Apply(bad), "%+v", bad)
	}
}

// Connections are capped: strangers that never finish a handshake hold at
// most MaxHandshakes slots, each for HandshakeTimeout; more are closed at
// once and counted. When the strangers are gone, everyone gets in again.
func TestConnectionsAreCapped(t *testing.T) {
	lc := startLiveCluster(t, 1, nil, nil, func(c *Config) {
		c.MaxConns, c.MaxHandshakes, c.HandshakeTimeout = 8, 3, 400*time.Millisecond
	})
	lc.waitLeader(t)
	n1 := lc.rts["n1"]
	addr := lc.cluster.Members[0].Addr
	var silent []net.Conn
	for range 10 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		silent = append(silent, c)
	}
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	waitFor(t, 2*time.Second, "the extra strangers turned away", func() bool { return n1.Stats().TooManyConns.Load() == 7 })
	assert.Contains(t, lc.logs.String(), "refused connection: too many open")
	// The handshake deadline frees the three slots.
	waitFor(t, 2*time.Second, "the silent strangers timed out", func() bool { return n1.inbound.Load() == 0 })
	assert.Equal(t, kv.Result{OK: true}, lc.do(t, kv.Put("k", "v")))
	waitFor(t, 2*time.Second, "the client's connection closed", func() bool { return n1.inbound.Load() == 0 })

	// Authenticated connections count against MaxConns.
	var tools []*Conn
	defer func() {
		for _, c := range tools {
			c.Close()
		}
	}()
	for range 8 {
		c, err := DialNode(context.Background(), lc.cluster, "n1", KindAdmin, NewClientID("tool"), lc.reg, nil)
		require.NoError(t, err)
		tools = append(tools, c)
	}
	_, err := DialNode(context.Background(), lc.cluster, "n1", KindAdmin, NewClientID("ninth"), lc.reg, nil)
	assert.Error(t, err, "a ninth connection is turned away")
	for _, c := range tools {
		c.Close()
	}
	tools = nil
	waitFor(t, 2*time.Second, "the connections closed", func() bool { return n1.inbound.Load() == 0 })
	_, err = QueryStatus(context.Background(), lc.cluster, "n1", nil)
	require.NoError(t, err)
}
