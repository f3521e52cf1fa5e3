package tcp

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dsimCommand is a long-running dsim command whose output the test reads.
type dsimCommand struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

func startDsim(t *testing.T, exe string, args ...string) *dsimCommand {
	t.Helper()
	d := &dsimCommand{cmd: exec.Command(exe, args...), out: &syncBuffer{}, exited: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	require.NoError(t, d.cmd.Start())
	go func() { d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		d.cmd.Process.Signal(os.Interrupt)
		select {
		case <-d.exited:
		case <-time.After(8 * time.Second):
			d.cmd.Process.Kill()
		}
	})
	return d
}

// exit waits for the command to end and returns its status.
func (d *dsimCommand) exit(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-d.exited:
		return d.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		t.Fatalf("still running after %v:\n%s", limit, d.out.String())
		return -1
	}
}

// A node that cannot start (its port is taken) makes dsim cluster local
// stop the others and exit 1, showing that node's last log lines.
func TestClusterLocalReportsANodeThatFailsToStart(t *testing.T) {
	exe := buildDsim(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	d := startDsim(t, exe, "cluster", "local", "--n", "3", "--dir", t.TempDir(), "--base-port", strconv.Itoa(port-1))
	assert.Equal(t, 1, d.exit(t, 10*time.Second), d.out.String())
	out := d.out.String()
	assert.Contains(t, out, "n2 exited with status 1 before it listened; its log")
	assert.Contains(t, out, "address already in use")
	for _, p := range []int{port - 1, port + 1} {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p), time.Second)
		if err == nil {
			c.Close()
		}
		assert.Error(t, err, "port %d: the other nodes were stopped", p)
	}
}

// A node that dies later is reported at once, with the command that
// restarts it; that command brings it back on its data.
func TestClusterLocalReportsADeadNodeAndRestartsIt(t *testing.T) {
	exe := buildDsim(t)
	dir := t.TempDir()
	d := startDsim(t, exe, "cluster", "local", "--n", "3", "--dir", dir)
	waitFor(t, 10*time.Second, "the cluster's instructions", func() bool { return strings.Contains(d.out.String(), "Ctrl-C stops every node") })
	tool := dsimTool{exe: exe, cluster: filepath.Join(dir, "cluster.json")}
	waitFor(t, 5*time.Second, "a write", func() bool { _, exit := tool.run(2*time.Second, "kv", "put", "a", "1"); return exit == 0 })

	b, err := os.ReadFile(filepath.Join(dir, "n2", lockName))
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	restart := "dsim cluster local --dir " + dir + " --protocol raft-kv --restart n2"
	waitFor(t, 3*time.Second, "n2's death reported", func() bool { return strings.Contains(d.out.String(), restart) })
	assert.Contains(t, d.out.String(), "n2 DIED (signal: killed)")

	args := strings.Fields(strings.TrimPrefix(restart, "dsim "))
	r := startDsim(t, exe, args...)
	waitFor(t, 10*time.Second, "n2 restarted", func() bool { return strings.Contains(r.out.String(), "restarted n2 on 127.0.0.1:") })
	waitFor(t, 5*time.Second, "n2 following again", func() bool {
		st := tool.status(t)
		return st["n2"]["role"] == "follower" && st["n2"]["rsm.applied"] != "" && st["n2"]["rsm.applied"] == st["n1"]["rsm.applied"]
	})
	out, exit := tool.run(2*time.Second, "kv", "get", "a")
	assert.Equal(t, 0, exit)
	assert.Equal(t, "1\n", out)

	require.NoError(t, r.cmd.Process.Signal(os.Interrupt))
	assert.Equal(t, 0, r.exit(t, 8*time.Second), r.out.String())
	require.NoError(t, d.cmd.Process.Signal(os.Interrupt))
	assert.Equal(t, 0, d.exit(t, 8*time.Second), d.out.String())
	assert.NotContains(t, d.out.String(), "n1 DIED", "a clean stop is not a death")
}
