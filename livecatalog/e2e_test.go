package livecatalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/dsimlab/dsim/internal/dsimbin"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
)

// The end-to-end tests run the real dsim binary, one process per node, as
// a person would, for every family: start a cluster, run the family's
// client command, SIGKILL a node in the middle, restart it, and check the
// family's own promise. Their waits are on the wall clock, each bounded.
// The families run in parallel (t.Parallel): each test is a few seconds of
// mostly waiting.

func TestMain(m *testing.M) { dsimbin.Main(m) }

// buildDsim builds cmd/dsim once per test binary.
func buildDsim(t *testing.T) string { return dsimbin.Build(t) }

// liveCluster is `dsim cluster local` for a test: N processes of one
// family on loopback, and the dsim tools pointed at them.
type liveCluster struct {
	*tcp.LocalCluster
	exe   string
	start time.Time
}

func startLive(t *testing.T, protocol string, n int, options string, tweaks ...func(*tcp.LocalOptions)) *liveCluster {
	t.Helper()
	exe := buildDsim(t)
	proto, err := Lookup(protocol)
	require.NoError(t, err)
	o := tcp.LocalOptions{N: n, Protocol: proto, Dir: t.TempDir(), Exe: exe}
	for _, tweak := range tweaks {
		tweak(&o)
	}
	if options != "" {
		o.Options = json.RawMessage(options)
	}
	lc, err := tcp.StartLocal(o)
	require.NoError(t, err)
	t.Cleanup(lc.Stop)
	l := &liveCluster{LocalCluster: lc, exe: exe, start: time.Now()}
	t.Cleanup(func() {
		if t.Failed() {
			for _, id := range lc.Cluster.IDs() {
				b, _ := os.ReadFile(filepath.Join(lc.Dir, string(id)+".log"))
				t.Logf("%s.log:\n%s", id, b)
			}
		}
	})
	return l
}

// run runs a dsim client command against the cluster and returns its
// output (stdout, then stderr) and exit status.
func (l *liveCluster) run(timeout time.Duration, args ...string) (string, int) {
	argv := append(append([]string{}, args...), "--cluster", l.ClusterFile, "--timeout", timeout.String())
	cmd := exec.Command(l.exe, argv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String() + errb.String(), ee.ExitCode()
	}
	if err != nil {
		return err.Error(), -1
	}
	return out.String(), 0
}

// must runs a client command that has to succeed, retrying for up to
// limit (a cluster just started, or a node just restarted, may not answer
// at once).
func (l *liveCluster) must(t *testing.T, limit time.Duration, args ...string) string {
	t.Helper()
	var out string
	waitFor(t, limit, "dsim "+strings.Join(args, " "), func() bool {
		var exit int
		out, exit = l.run(2*time.Second, args...)
		return exit == 0
	})
	return out
}

// status is `dsim status --json`: each node's Inspect(), or its "error".
func (l *liveCluster) status(t *testing.T) map[sim.NodeID]map[string]string {
	t.Helper()
	out, exit := l.run(700*time.Millisecond, "status", "--json")
	if exit != 0 && exit != 1 {
		t.Fatalf("dsim status: exit %d: %s", exit, out)
	}
	var st map[sim.NodeID]map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &st), out)
	return st
}

// waitStatus polls `dsim status` until cond holds.
func (l *liveCluster) waitStatus(t *testing.T, limit time.Duration, what string, cond func(map[sim.NodeID]map[string]string) bool) map[sim.NodeID]map[string]string {
	t.Helper()
	var st map[sim.NodeID]map[string]string
	deadline := time.Now().Add(limit)
	for st = l.status(t); !cond(st); st = l.status(t) {
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(st, "", "  ")
			t.Fatalf("no %s within %v; dsim status says:\n%s", what, limit, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return st
}

func (l *liveCluster) logf(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("%v: %s", time.Since(l.start).Round(time.Millisecond), fmt.Sprintf(format, args...))
}

// leader is the one node whose role is leader, or "".
func leader(st map[sim.NodeID]map[string]string, among ...sim.NodeID) sim.NodeID {
	var found sim.NodeID
	for _, id := range among {
		if st[id]["role"] == "leader" {
			if found != "" {
				return ""
			}
			found = id
		}
	}
	return found
}
