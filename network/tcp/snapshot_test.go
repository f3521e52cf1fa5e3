package tcp

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// A follower that was down while the others compacted their logs catches
// up on a snapshot several times larger than the largest frame the nodes
// accept: it travels in chunks. (The frame limit is lowered to 64 KiB so
// the test moves a few hundred kilobytes, not the 16 MiB of the default.)
func TestRestartedFollowerCatchesUpOnASnapshotLargerThanAFrame(t *testing.T) {
	const maxFrame = 64 << 10
	rcfg := liveRaftConfig()
	rcfg.SnapshotThreshold = 20
	rcfg.SnapshotTrailingEntries = 5
	rcfg.SnapshotChunkSize = 16 << 10
	rcfg.MaxBytesPerAppend = 16 << 10
	value := strings.Repeat("v", 2000)
	r := catchUpOnSnapshot(t, rcfg, maxFrame, 100, value, 0)
	assert.Greater(t, r.installed, maxFrame, "the snapshot installed fits in a frame: the test proves nothing")
	assert.Equal(t, value, r.sample)
	assert.NotContains(t, r.logs, "too large")
}

// BenchmarkLiveSnapshotCatchUp100MB is the same story at full size, with
// the live configuration (16 MiB frames, 1 MiB chunks), but for the byte
// trigger of snapshots raised to 100 MiB so that one snapshot covers the
// whole state, and 10 entries kept behind it: 420 values of 256 KiB and 100 small writes, then a follower
// that missed them all comes back. It reports the size of the snapshot it
// installed and how long it took. It needs about 3 GB of memory; run it
// alone:
//
//	go test ./network/tcp -run XXX -bench LiveSnapshotCatchUp -benchtime 1x
func BenchmarkLiveSnapshotCatchUp100MB(b *testing.B) {
	for range b.N {
		rcfg := liveRaftConfig()
		rcfg.SnapshotThresholdBytes = 100 << 20
		rcfg.SnapshotTrailingEntries = 10 // or the follower gets the 400 values as entries
		r := catchUpOnSnapshot(b, rcfg, 0, 420, strings.Repeat("x", 256<<10), 100)
		b.ReportMetric(float64(r.installed)/1e6, "MB-snapshot")
		b.ReportMetric(r.toInstall.Seconds(), "s-to-install")
		b.ReportMetric(r.catchUp.Seconds(), "s-catch-up")
	}
}

type catchUpResult struct {
	installed int           // bytes of the snapshot the follower installed
	toInstall time.Duration // from its restart to having installed it
	catchUp   time.Duration // from its restart to having applied everything
	sample    string        // a big value, read on the follower
	logs      string
}

// catchUpOnSnapshot runs three raft-kv nodes with rcfg on FileDisks, takes
// a follower away (the others drop what they send it, or their send queues
// would hand it every entry when it comes back), writes big values of
// value and small ones, brings the follower back and waits until it has
// applied everything.
func catchUpOnSnapshot(t testing.TB, rcfg raft.Config, maxFrame, big int, value string, small int) catchUpResult {
	newNode := func() sim.Node {
		return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return raft.New(rcfg, app) }, kv.New())
	}
	dir := t.TempDir()
	var mu sync.Mutex
	disks := map[sim.NodeID]*FileDisk{}
	openDisk := func(id sim.NodeID) sim.Disk {
		d, err := OpenFileDisk(dir + "/" + string(id))
		require.NoError(t, err)
		mu.Lock()
		disks[id] = d
		mu.Unlock()
		t.Cleanup(func() { d.Close() })
		return d
	}
	tweak := func(c *Config) { c.MaxFrame, c.Node = maxFrame, newNode() }
	lc := startLiveCluster(t, 3, nil, openDisk, tweak)
	leader := lc.waitLeader(t)
	var lagging sim.NodeID
	for _, id := range lc.cluster.IDs() {
		if id != leader {
			lagging = id
			break
		}
	}
	for _, id := range lc.cluster.IDs() {
		if id != lagging {
			require.NoError(t, lc.rts[id].Faults().Apply(FaultRequest{Action: "block", A: id, B: lagging}))
		}
	}
	require.NoError(t, lc.rts[lagging].Close())
	require.NoError(t, disks[lagging].Close())
	c := NewClient(lc.cluster, lc.reg, nil)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for i := range big {
		_, err := c.Do(ctx, kv.Put(fmt.Sprintf("k%03d", i), value).Encode())
		require.NoError(t, err)
	}
	for i := range small {
		_, err := c.Do(ctx, kv.Put(fmt.Sprintf("s%d", i), "v").Encode())
		require.NoError(t, err)
	}
	require.Positive(t, lc.status(leader).SnapshotIndex, "the leader never compacted")
	for _, id := range lc.cluster.IDs() {
		if id != lagging {
			require.NoError(t, lc.rts[id].Faults().Apply(FaultRequest{Action: "heal"}))
		}
	}

	member, _ := lc.cluster.Member(lagging)
	ln, err := net.Listen("tcp", member.Addr)
	require.NoError(t, err)
	cfg := Config{Cluster: lc.cluster, ID: lagging, Registry: lc.reg, ClientMessages: []string{"rsm.ClientRequest"},
		Disk: openDisk(lagging), Listener: ln, Logger: lc.rts[leader].cfg.Logger, Seed: 99}
	tweak(&cfg)
	start := time.Now()
	rt, err := Start(cfg)
	require.NoError(t, err)
	lc.rts[lagging] = rt
	target := lc.status(leader).CommitIndex
	var r catchUpResult
	waitFor(t, 5*time.Minute, string(lagging)+" catching up", func() bool {
		st := lc.status(lagging)
		if r.toInstall == 0 && st.SnapshotIndex > 0 {
			r.toInstall = time.Since(start)
		}
		return st.LastApplied >= target
	})
	r.catchUp, r.logs = time.Since(start), lc.logs.String()

	require.Contains(t, r.logs, "installed snapshot", "the follower caught up without a snapshot: the test proves nothing")
	for _, line := range strings.Split(r.logs, "\n") {
		if _, after, ok := strings.Cut(line, "installed snapshot"); ok {
			var index, term uint64
			var from string
			_, err := fmt.Sscanf(after, " %d/%d from %s (%d bytes)", &index, &term, &from, &r.installed)
			require.NoError(t, err, line)
			t.Log(line)
		}
	}
	rt.Do(func(n sim.Node) { r.sample, _ = n.(*rsm.Server).Machine().(*kv.Store).Get("k042") })
	return r
}
