package livecatalog

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// inProcess is a cluster of runtimes inside the test process, on loopback
// sockets: quicker than separate processes, for what is not about crashes.
type inProcess struct {
	cluster tcp.Cluster
	proto   tcp.Protocol
	reg     *tcp.Registry
	rts     map[sim.NodeID]*tcp.Runtime
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func startInProcess(t testing.TB, name string, n int, options string, tweak func(*tcp.Config)) *inProcess {
	t.Helper()
	proto, err := Lookup(name)
	require.NoError(t, err)
	reg, err := proto.NewRegistry()
	require.NoError(t, err)
	ip := &inProcess{cluster: tcp.Cluster{Name: "test", Protocol: name}, proto: proto, reg: reg, rts: map[sim.NodeID]*tcp.Runtime{}, logs: &syncBuffer{}}
	if options != "" {
		ip.cluster.Options = []byte(options)
	}
	lns := map[sim.NodeID]net.Listener{}
	for i := 1; i <= n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		lns[id] = ln
		ip.cluster.Members = append(ip.cluster.Members, tcp.Member{ID: id, Addr: ln.Addr().String()})
	}
	logger := slog.New(slog.NewTextHandler(ip.logs, nil))
	for i, m := range ip.cluster.Members {
		node, err := proto.New(tcp.NodeConfig{ID: m.ID, Cluster: ip.cluster})
		require.NoError(t, err)
		cfg := tcp.Config{Cluster: ip.cluster, ID: m.ID, Node: node, Registry: reg, ClientMessages: proto.ClientMessages,
			Listener: lns[m.ID], Logger: logger, Seed: uint64(i + 1)}
		if tweak != nil {
			tweak(&cfg)
		}
		rt, err := tcp.Start(cfg)
		require.NoError(t, err)
		ip.rts[m.ID] = rt
	}
	t.Cleanup(func() {
		for _, rt := range ip.rts {
			rt.Close()
		}
	})
	return ip
}

// inspect reads member id's Inspect() through the admin connection, as
// `dsim status` does.
func (ip *inProcess) inspect(t testing.TB, id sim.NodeID) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := tcp.QueryStatus(ctx, ip.cluster, id, nil)
	require.NoError(t, err)
	return st.Inspect
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

// A server closes a client connection that stays silent for four
// keep-alives. The client's next operation redials the same server instead
// of blaming it and wandering off to another.
func TestIdleClientRedialsTheSameServer(t *testing.T) {
	t.Parallel()
	ip := startInProcess(t, "raft-kv", 3, "", func(c *tcp.Config) { c.KeepAlive = 20 * time.Millisecond })
	var leader sim.NodeID
	waitFor(t, 5*time.Second, "leader", func() bool {
		for _, id := range ip.cluster.IDs() {
			if ip.inspect(t, id)["role"] == "leader" {
				leader = id
				return true
			}
		}
		return false
	})
	c := NewClient(ip.cluster, ip.reg, nil)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Do(ctx, kv.Put("a", "1").Encode())
	require.NoError(t, err)
	require.Equal(t, leader, c.Leader(), "the client found the leader")
	switches := c.Switches()
	time.Sleep(200 * time.Millisecond) // > 4 keep-alives: the server hangs up
	res, err := c.Do(ctx, kv.Get("a").Encode())
	require.NoError(t, err)
	assert.Equal(t, `ok "1"`, string(res))
	assert.Equal(t, switches, c.Switches(), "the client redialled the leader rather than try another server")
}

// Every family in the catalog builds a node and a registry from an empty
// cluster file's options, and a misspelt option is refused by name, with
// the options the family does take.
func TestEveryProtocolBuildsAndRefusesUnknownOptions(t *testing.T) {
	cluster := tcp.Cluster{Name: "t", Members: []tcp.Member{{ID: "n1", Addr: "127.0.0.1:1"}, {ID: "n2", Addr: "127.0.0.1:2"}, {ID: "n3", Addr: "127.0.0.1:3"}}}
	for _, name := range Names() {
		p, err := Lookup(name)
		require.NoError(t, err)
		_, err = p.NewRegistry()
		require.NoError(t, err, name)
		c := cluster
		c.Protocol = name
		_, err = p.New(tcp.NodeConfig{ID: "n1", Cluster: c})
		require.NoError(t, err, name)
		c.Options = []byte(`{"bogus": 1}`)
		_, err = p.New(tcp.NodeConfig{ID: "n1", Cluster: c})
		require.ErrorIs(t, err, tcp.ErrClusterFile, name)
		assert.Contains(t, err.Error(), `"bogus"`, name)
		assert.Regexp(t, name+` takes (no options|[a-z_]+(, [a-z_]+)*$)`, err.Error(), "the error says what %s takes", name)
		assert.NotEmpty(t, p.Try, "%s has client commands for the banner", name)
	}
	_, err := Lookup("nope")
	require.ErrorIs(t, err, ErrUnknownProtocol)
	assert.Contains(t, err.Error(), "raft-kv")
}
