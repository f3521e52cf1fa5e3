package tcp

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// The attack: a local process handshakes with a follower as the
// leader and sends a forged AppendEntries. `dsim cluster local` now makes a
// secret, so the stranger is refused before anything it sends is decoded,
// and the tools still need no flag.
func TestStrangerCannotForgeAppendEntriesByDefault(t *testing.T) {
	exe := buildDsim(t)
	lc, err := StartLocal(LocalOptions{N: 3, Protocol: mustTestProtocol(t, "raft-kv"), Dir: t.TempDir(), Exe: exe})
	require.NoError(t, err)
	t.Cleanup(lc.Stop)
	info, err := os.Stat(filepath.Join(lc.Dir, "secret"))
	require.NoError(t, err, "a secret in --dir")
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	tool := dsimTool{exe: exe, cluster: lc.ClusterFile}
	waitFor(t, 5*time.Second, "a write through dsim kv with no secret flag", func() bool {
		_, exit := tool.run(2*time.Second, "kv", "put", "x", "real")
		return exit == 0
	})
	var leader, follower sim.NodeID
	waitFor(t, 5*time.Second, "a leader", func() bool { leader = tool.leader(t, lc.Cluster.IDs()...); return leader != "" })
	for _, id := range lc.Cluster.IDs() {
		if id != leader {
			follower = id
		}
	}
	st := tool.status(t)
	assert.Equal(t, "false", st[follower]["tcp.insecure"])

	proto, err := testProtocol("raft-kv")
	require.NoError(t, err)
	reg, err := proto.NewRegistry()
	require.NoError(t, err)
	stranger := lc.Cluster
	stranger.SecretFile = ""
	ctx := context.Background()
	_, err = DialNode(ctx, stranger, follower, KindPeer, leader, reg, nil)
	require.ErrorIs(t, err, ErrRefused, "a stranger posing as the leader")
	assert.Contains(t, err.Error(), "did not prove it knows the cluster secret")

	// The forged AppendEntries itself, sent in place of the proof: it is
	// never decoded, only refused.
	m, _ := lc.Cluster.Member(follower)
	c, err := net.Dial("tcp", m.Addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, writeMessage(c, reg, Hello{Cluster: lc.Cluster.Name, From: leader, To: follower, Version: ProtocolVersion, Kind: KindPeer}))
	_, err = ReadFrame(c, 0) // the Challenge
	require.NoError(t, err)
	forged := raft.AppendEntries{Term: 99, LeaderCommit: 1 << 20,
		Entries: []raft.Entry{{Index: 1 << 20, Term: 99, Command: kv.Put("x", "forged").Encode()}}}
	require.NoError(t, writeMessage(c, reg, forged))
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		if _, err = ReadFrame(c, 0); err != nil {
			break
		}
	}
	logText, _ := os.ReadFile(filepath.Join(lc.Dir, string(follower)+".log"))
	assert.Contains(t, string(logText), `handshake refused`)
	assert.Contains(t, string(logText), `unknown message type \"raft.AppendEntries\"`, "refused undecoded")

	out, exit := tool.run(3*time.Second, "kv", "get", "x")
	require.Equal(t, 0, exit, out)
	assert.Equal(t, "real\n", out)
}

// dsim node will not run without a secret unless told --insecure, and then
// says so loudly, in its log and in dsim status.
func TestNodeRefusesToStartWithoutASecret(t *testing.T) {
	exe := buildDsim(t)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cluster := Cluster{Name: "open", Members: []Member{{ID: "n1", Addr: addr}}}
	clusterFile := filepath.Join(dir, "cluster.json")
	require.NoError(t, cluster.WriteFile(clusterFile))

	cmd := exec.Command(exe, "node", "--cluster", clusterFile, "--id", "n1", "--data", filepath.Join(dir, "n1"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 2, ee.ExitCode())
	assert.Contains(t, stderr.String(), "no cluster secret: give --secret-file FILE (make one with: dsim secret new > FILE")
	assert.Contains(t, stderr.String(), "--insecure")
	_, err = os.Stat(filepath.Join(dir, "n1"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing was opened")

	var logs syncBuffer
	node := exec.Command(exe, "node", "--cluster", clusterFile, "--id", "n1", "--data", filepath.Join(dir, "n1"), "--insecure")
	node.Stderr = &logs
	require.NoError(t, node.Start())
	t.Cleanup(func() { node.Process.Kill(); node.Wait() })
	waitFor(t, 5*time.Second, "the node listening", func() bool { return strings.Contains(logs.String(), "listening") })
	assert.Contains(t, logs.String(), "INSECURE: running without a cluster secret")
	st, err := QueryStatus(context.Background(), cluster, "n1", nil)
	require.NoError(t, err)
	assert.Equal(t, "true", st.Inspect["tcp.insecure"])
	out, exit := dsimTool{exe: exe, cluster: clusterFile}.run(2*time.Second, "status")
	assert.Equal(t, 0, exit, out)
	assert.Contains(t, out, "INSECURE")
}

// dsim secret new makes a fresh secret, private to its owner however it is
// written.
func TestSecretNew(t *testing.T) {
	exe := buildDsim(t)
	dir := t.TempDir()
	named := filepath.Join(dir, "named")
	require.NoError(t, exec.Command(exe, "secret", "new", named).Run())
	redirected := filepath.Join(dir, "redirected")
	f, err := os.Create(redirected)
	require.NoError(t, err)
	cmd := exec.Command(exe, "secret", "new")
	cmd.Stdout = f
	require.NoError(t, cmd.Run())
	f.Close()
	var secrets []string
	for _, p := range []string{named, redirected} {
		info, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), p)
		s, err := ReadSecretFile(p)
		require.NoError(t, err)
		secrets = append(secrets, string(s))
	}
	assert.NotEqual(t, secrets[0], secrets[1], "each secret is fresh")
	err = exec.Command(exe, "secret", "new", named).Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "an existing file is never overwritten")
	assert.Equal(t, 1, ee.ExitCode())
}
