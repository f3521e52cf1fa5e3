package tcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A second dsim node on a data directory in use exits 2 naming the first
// one's pid, before it opens (or cuts) anything there.
func TestSecondNodeOnTheSameDataDirExits2(t *testing.T) {
	exe := buildDsim(t)
	dir := t.TempDir()
	var addrs []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addrs = append(addrs, ln.Addr().String())
		ln.Close()
	}
	cluster := Cluster{Name: "lock", Members: []Member{{ID: "n1", Addr: addrs[0]}}}
	clusterFile := filepath.Join(dir, "cluster.json")
	require.NoError(t, cluster.WriteFile(clusterFile))
	data := filepath.Join(dir, "n1")

	var logs syncBuffer
	first := exec.Command(exe, "node", "--cluster", clusterFile, "--id", "n1", "--data", data, "--insecure")
	first.Stderr = &logs
	require.NoError(t, first.Start())
	t.Cleanup(func() { first.Process.Kill(); first.Wait() })
	waitFor(t, 5*time.Second, "the first node listening", func() bool { return strings.Contains(logs.String(), "listening") })
	// Frozen, the first node writes nothing while we look.
	require.NoError(t, first.Process.Signal(syscall.SIGSTOP))
	wal := filepath.Join(data, walName)
	before, err := os.ReadFile(wal)
	require.NoError(t, err)

	// Another port, so that only the directory is in the way.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, exe, "node", "--cluster", clusterFile, "--id", "n1", "--data", data, "--insecure", "--listen", addrs[1])
	var stderr bytes.Buffer
	second.Stderr = &stderr
	err = second.Run()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "the second node must fail: %v", err)
	assert.Equal(t, 2, ee.ExitCode())
	assert.Contains(t, stderr.String(), fmt.Sprintf("%s is locked by process %d", data, first.Process.Pid))
	after, err := os.ReadFile(wal)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the log was not touched")
	require.NoError(t, first.Process.Signal(syscall.SIGCONT))

	// Once the first is gone, the directory is free again.
	require.NoError(t, first.Process.Kill())
	first.Wait()
	var logs2 syncBuffer
	third := exec.Command(exe, "node", "--cluster", clusterFile, "--id", "n1", "--data", data, "--insecure")
	third.Stderr = &logs2
	require.NoError(t, third.Start())
	t.Cleanup(func() { third.Process.Kill(); third.Wait() })
	waitFor(t, 5*time.Second, "a new node on the freed directory", func() bool { return strings.Contains(logs2.String(), "listening") })
}
