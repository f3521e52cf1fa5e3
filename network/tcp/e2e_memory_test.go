package tcp

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/storage/kv"
)

// procKiB reads a field of /proc/PID/status, in KiB: VmRSS (resident now)
// or VmHWM (the most it ever was).
func procKiB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// The memory attack: 48 connections each announce a 16 MiB frame
// and send all of it but the last byte. Before, the node allocated each
// announced size at once and its resident size went from 15 to 786 MiB, and
// stayed there. Now a frame's buffer grows only as bytes arrive, out of a
// budget all connections share, so the node stays under 100 MiB, keeps
// serving a client all along, and hands the memory back afterwards. The
// node is a real `dsim node` process (--insecure, so that the strangers get
// as far as sending frames at all), measured by its own /proc counters.
func TestFrameFloodStaysUnder100MiB(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc")
	}
	exe := buildDsim(t)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cluster := Cluster{Name: "flood", Members: []Member{{ID: "n1", Addr: addr}}}
	clusterFile := filepath.Join(dir, "cluster.json")
	require.NoError(t, cluster.WriteFile(clusterFile))
	var logs syncBuffer
	node := exec.Command(exe, "node", "--cluster", clusterFile, "--id", "n1", "--data", filepath.Join(dir, "n1"), "--insecure")
	node.Stderr = &logs
	require.NoError(t, node.Start())
	t.Cleanup(func() { node.Process.Kill(); node.Wait() })
	pid := node.Process.Pid

	proto, err := testProtocol("raft-kv")
	require.NoError(t, err)
	reg, err := proto.NewRegistry()
	require.NoError(t, err)
	client := NewClient(cluster, reg, nil)
	defer client.Close()
	put := func(key string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := client.Do(ctx, kv.Put(key, "v").Encode())
		return err
	}
	waitFor(t, 5*time.Second, "the node serving", func() bool { return put("warm") == nil })
	before := procKiB(t, pid, "VmRSS")

	// A client keeps writing through the attack.
	stop := make(chan struct{})
	var served, failed atomic.Int64
	var worst atomic.Int64
	clientDone := make(chan struct{})
	go func() {
		defer close(clientDone)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			if put(fmt.Sprintf("during-%d", i)) == nil {
				served.Add(1)
			} else {
				failed.Add(1)
			}
			if d := int64(time.Since(start)); d > worst.Load() {
				worst.Store(d)
			}
		}
	}()

	const conns, frame = 48, MaxFrameSize
	payload := make([]byte, frame-1)
	var wg sync.WaitGroup
	var open []net.Conn
	var mu sync.Mutex
	for i := range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			if Handshake(c, reg, nil, Hello{Cluster: "flood", From: NewClientID(fmt.Sprintf("flood%d", i)), To: "n1", Kind: KindClient}) != nil {
				return
			}
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			c.Write(binary.BigEndian.AppendUint32(nil, frame))
			c.Write(payload) // fails once the node hangs up
		})
	}
	wg.Wait()
	time.Sleep(300 * time.Millisecond)
	peak := procKiB(t, pid, "VmHWM")
	mu.Lock()
	for _, c := range open {
		c.Close()
	}
	mu.Unlock()
	var after int64
	returned := false
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if after = procKiB(t, pid, "VmRSS"); after < before+16<<10 {
			returned = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	<-clientDone

	t.Logf("RSS %d MiB before, peak %d MiB during 48 x 16 MiB frames, %d MiB after; client: %d writes served, %d failed, slowest %v",
		before>>10, peak>>10, after>>10, served.Load(), failed.Load(), time.Duration(worst.Load()).Round(time.Millisecond))
	assert.Less(t, peak, int64(100<<10), "peak resident size (VmHWM) under 100 MiB")
	assert.True(t, returned, "memory handed back after the connections closed: %d MiB, %d MiB before", after>>10, before>>10)
	assert.Greater(t, served.Load(), int64(10), "the client was served during the attack")
	assert.Zero(t, failed.Load(), "no client write failed")
	assert.Contains(t, logs.String(), "would pass the memory budget")
	require.NoError(t, put("after"))
}
