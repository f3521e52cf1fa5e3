package tcp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/dsimlab/dsim/internal/dsimbin"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// The end-to-end tests run the real dsim binary, one process per node, as a
// person would. Their waits are on the wall clock, each bounded by a
// deadline: the one place in dsim's tests where real time is allowed.

func TestMain(m *testing.M) { dsimbin.Main(m) }

// buildDsim builds cmd/dsim once per test binary.
func buildDsim(t *testing.T) string { return dsimbin.Build(t) }

// dsimTool runs dsim subcommands against one cluster file, optionally
// inside a network namespace.
type dsimTool struct {
	exe, cluster string
	netns        string // "" for the test's own namespace
}

func (d dsimTool) run(timeout time.Duration, args ...string) (stdout string, exit int) {
	argv := append([]string{d.exe}, args...)
	argv = append(argv, "--cluster", d.cluster, "--timeout", timeout.String())
	if d.netns != "" {
		argv = append([]string{"ip", "netns", "exec", d.netns}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
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

// status is `dsim status --json`: each node's Inspect(), or its "error".
func (d dsimTool) status(t *testing.T) map[sim.NodeID]map[string]string {
	t.Helper()
	// A short timeout: an unreachable node (killed, or unplugged) must not
	// slow every poll down.
	out, exit := d.run(700*time.Millisecond, "status", "--json")
	if exit != 0 && exit != 1 {
		t.Fatalf("dsim status: exit %d: %s", exit, out)
	}
	var st map[sim.NodeID]map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &st), out)
	return st
}

// leader is the one reachable node that says it leads, among those given,
// or "" while there is none (or more than one).
func (d dsimTool) leader(t *testing.T, among ...sim.NodeID) sim.NodeID {
	st := d.status(t)
	var leader sim.NodeID
	for _, id := range among {
		if st[id]["role"] == "leader" {
			if leader != "" {
				return ""
			}
			leader = id
		}
	}
	return leader
}

// kvRecorder runs `dsim kv` and records each operation in a history, on
// wall-clock time relative to the test's start.
type kvRecorder struct {
	tool  dsimTool
	start time.Time
	mu    sync.Mutex
	h     *check.History
}

// do runs op as client and reports the result, or ok=false when the
// outcome is unknown (dsim kv exited 1: no answer in time). An unknown
// outcome stays in the history without a response, which the checker
// reads as "may or may not have happened".
func (r *kvRecorder) do(t *testing.T, client sim.NodeID, op kv.Op) (string, bool) {
	args := []string{"kv", string(op.Kind), op.Key}
	if op.Kind != kv.KindGet {
		args = append(args, op.Value)
	}
	r.mu.Lock()
	id := r.h.Invoke(client, op.Input(), time.Since(r.start))
	r.mu.Unlock()
	out, exit := r.tool.run(3*time.Second, args...)
	switch exit {
	case 0:
	case 1:
		t.Logf("%s %s: outcome unknown: %s", client, op, strings.TrimSpace(out))
		return "", false
	default: // workers call do from their own goroutines: Errorf, not Fatalf
		t.Errorf("dsim %v: exit %d: %s", args, exit, out)
		return "", false
	}
	value := strings.TrimSuffix(out, "\n")
	res := kv.Result{OK: true}
	if op.Kind == kv.KindGet {
		res.Value = value
	} else if value != "OK" {
		t.Errorf("dsim %v printed %q, want OK", args, out)
		return "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.h.Return(id, res.Output(), time.Since(r.start)); err != nil {
		t.Errorf("recording %s: %v", op, err)
	}
	return res.Value, true
}

// A three-process Raft KV cluster on loopback loses its leader to SIGKILL,
// elects another, takes the killed node back on its data directory, and
// loses no acknowledged write; the clients' history is linearizable.
func TestProcessClusterSurvivesKillingTheLeader(t *testing.T) {
	exe := buildDsim(t)
	start := time.Now()
	proto, err := testProtocol("raft-kv")
	require.NoError(t, err)
	lc, err := StartLocal(LocalOptions{N: 3, Protocol: proto, Dir: t.TempDir(), Exe: exe})
	require.NoError(t, err)
	t.Cleanup(lc.Stop)
	ids := lc.Cluster.IDs()
	tool := dsimTool{exe: exe, cluster: lc.ClusterFile}
	rec := &kvRecorder{tool: tool, start: start, h: check.NewHistory()}
	defer func() {
		if t.Failed() {
			for _, id := range ids {
				b, _ := os.ReadFile(filepath.Join(lc.Dir, string(id)+".log"))
				t.Logf("%s.log:\n%s", id, b)
			}
		}
	}()

	var leader sim.NodeID
	waitFor(t, 5*time.Second, "first leader", func() bool { leader = tool.leader(t, ids...); return leader != "" })
	t.Logf("%v: %s leads", time.Since(start).Round(time.Millisecond), leader)

	// acked holds every acknowledged put: key -> value.
	var ackMu sync.Mutex
	acked := map[string]string{}
	workload := func(phase string, workers, rounds int) {
		var wg sync.WaitGroup
		for w := range workers {
			client := sim.NodeID(fmt.Sprintf("c%d", w+1))
			wg.Go(func() {
				for i := range rounds {
					key, val := fmt.Sprintf("%s-%s-%d", phase, client, i), fmt.Sprintf("v%d", i)
					if _, ok := rec.do(t, client, kv.Put(key, val)); ok {
						ackMu.Lock()
						acked[key] = val
						ackMu.Unlock()
					}
					rec.do(t, client, kv.Append("shared", fmt.Sprintf("[%s%d]", client, i)))
					rec.do(t, client, kv.Get("shared"))
				}
			})
		}
		wg.Wait()
	}
	workload("before", 2, 4)

	require.NoError(t, lc.Kill(leader))
	killedAt := time.Since(start)
	t.Logf("%v: SIGKILL %s", killedAt.Round(time.Millisecond), leader)
	var rest []sim.NodeID
	for _, id := range ids {
		if id != leader {
			rest = append(rest, id)
		}
	}
	// Clients keep going while the survivors elect a new leader.
	var next sim.NodeID
	done := make(chan struct{})
	go func() { defer close(done); workload("during", 2, 3) }()
	waitFor(t, 5*time.Second, "new leader after the kill", func() bool { next = tool.leader(t, rest...); return next != "" })
	t.Logf("%v: %s leads", time.Since(start).Round(time.Millisecond), next)
	<-done

	require.NoError(t, lc.Start(leader))
	t.Logf("%v: restarted %s", time.Since(start).Round(time.Millisecond), leader)
	workload("after", 1, 2)
	waitFor(t, 5*time.Second, string(leader)+" to catch up", func() bool {
		st := tool.status(t)
		old, cur := st[leader], st[next]
		return old["error"] == "" && old["role"] == "follower" && old["rsm.applied"] != "" && old["rsm.applied"] == cur["rsm.applied"]
	})

	// It came back from its own disk (the write-ahead log survived
	// SIGKILL), not only from what the leader sent it since.
	logText, err := os.ReadFile(filepath.Join(lc.Dir, string(leader)+".log"))
	require.NoError(t, err)
	assert.Regexp(t, `recovered term [1-9]`, string(logText), "the restarted node read its term, vote and log from disk")

	// Every acknowledged write is there.
	ackMu.Lock()
	defer ackMu.Unlock()
	require.NotEmpty(t, acked)
	for key, want := range acked {
		got, ok := rec.do(t, "final", kv.Get(key))
		require.True(t, ok, "reading %s", key)
		assert.Equal(t, want, got, "acknowledged write %s", key)
	}

	rec.h.Annotate(check.Annotation{Tag: string(leader), At: killedAt, End: killedAt, Text: "SIGKILL"})
	res, err := check.CheckKV(rec.h, 0) // no wall-clock timeout: a loaded machine must not turn a verdict into Unknown
	require.NoError(t, err)
	res.WriteVisualizationFile(filepath.Join(t.ArtifactDir(), "live-kill-leader.html"))
	assert.Equal(t, check.Linearizable, res.Verdict, "%d operations, %d without an answer", res.Operations, res.Pending)
	t.Logf("%d operations (%d unanswered), linearizable, in %v", res.Operations, res.Pending, time.Since(start).Round(time.Millisecond))
}

// `dsim cluster local` starts its nodes, serves clients, and on Ctrl-C
// (SIGINT) stops every one of them and keeps their data.
func TestClusterLocalCommandStopsItsNodesOnInterrupt(t *testing.T) {
	exe := buildDsim(t)
	dir := t.TempDir()
	cmd := exec.Command(exe, "cluster", "local", "--n", "3", "--dir", dir)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	waitFor(t, 5*time.Second, "the cluster's instructions", func() bool { return strings.Contains(out.String(), "Ctrl-C stops every node") })
	tool := dsimTool{exe: exe, cluster: filepath.Join(dir, "cluster.json")}
	var res string
	waitFor(t, 5*time.Second, "a write through dsim kv", func() bool {
		var exit int
		res, exit = tool.run(2*time.Second, "kv", "put", "a", "1")
		return exit == 0
	})
	assert.Equal(t, "OK\n", res)
	cluster, err := LoadCluster(tool.cluster)
	require.NoError(t, err)

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	select {
	case err := <-exited:
		require.NoError(t, err, out.String())
	case <-time.After(8 * time.Second):
		t.Fatalf("dsim cluster local still running 8s after SIGINT:\n%s", out.String())
	}
	assert.Contains(t, out.String(), "stopped; data kept in "+dir)
	for _, m := range cluster.Members {
		c, err := net.DialTimeout("tcp", m.Addr, time.Second)
		if err == nil {
			c.Close()
		}
		assert.Error(t, err, "%s still listening on %s", m.ID, m.Addr)
		_, err = os.Stat(filepath.Join(dir, string(m.ID), walName))
		assert.NoError(t, err, "%s's data is kept", m.ID)
	}
}
