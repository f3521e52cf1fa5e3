package tcp

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// The data-loss run, made a test: three processes take acknowledged
// writes and stop; a byte flips in the middle of disk.wal on both
// followers. Before, both came back having silently dropped every record
// after the damage, elected one of themselves and overwrote the intact
// node. Now the damaged nodes refuse to start, naming the file and the
// byte; the intact node keeps every acknowledged write; and salvaged with
// --salvage they neither vote nor campaign, so nothing is overwritten.
func TestDamagedLogsOnTwoFollowersLoseNoAcknowledgedWrite(t *testing.T) {
	exe := buildDsim(t)
	lc, err := StartLocal(LocalOptions{N: 3, Protocol: mustTestProtocol(t, "raft-kv"), Dir: t.TempDir(), Exe: exe})
	require.NoError(t, err)
	t.Cleanup(lc.Stop)
	ids := lc.Cluster.IDs()
	defer func() {
		if t.Failed() {
			for _, id := range ids {
				b, _ := os.ReadFile(filepath.Join(lc.Dir, string(id)+".log"))
				t.Logf("%s.log:\n%s", id, b)
			}
		}
	}()
	secret, err := LoadSecret(lc.Cluster, "", false)
	require.NoError(t, err, "dsim cluster local made a secret")
	proto, err := testProtocol("raft-kv")
	require.NoError(t, err)
	reg, err := proto.NewRegistry()
	require.NoError(t, err)

	acked := map[string]string{}
	c := NewClient(lc.Cluster, reg, secret)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for i := range 50 {
		key, val := fmt.Sprintf("key-%03d", i), fmt.Sprintf("value-%03d-%x", i, i*7919)
		_, err := c.Do(ctx, kv.Put(key, val).Encode())
		require.NoError(t, err, "put %s", key)
		acked[key] = val
	}
	c.Close()
	var leader sim.NodeID
	var before map[string]string
	for _, id := range ids {
		st, err := QueryStatus(ctx, lc.Cluster, id, secret)
		require.NoError(t, err)
		if st.Inspect["role"] == "leader" {
			leader, before = id, st.Inspect
		}
	}
	require.NotEmpty(t, leader)
	lc.Stop()

	// A flipped byte in the middle of each follower's log.
	var damaged []sim.NodeID
	for _, id := range ids {
		if id == leader {
			continue
		}
		damaged = append(damaged, id)
		path := filepath.Join(lc.Dir, string(id), walName)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Greater(t, len(b), 1000, "%s's log holds the writes", id)
		b[len(b)/2] ^= 0x20
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}

	for _, id := range ids {
		require.NoError(t, lc.Start(id))
	}
	for _, id := range damaged {
		waitFor(t, 5*time.Second, string(id)+" to refuse to start", func() bool { _, exited := lc.ExitCode(id); return exited })
		code, _ := lc.ExitCode(id)
		assert.Equal(t, 1, code, "%s exits 1", id)
		logText, _ := os.ReadFile(filepath.Join(lc.Dir, string(id)+".log"))
		wal := regexp.QuoteMeta(filepath.Join(lc.Dir, string(id), walName))
		assert.Regexp(t, wal+` is damaged at byte [0-9]+: .*yet whole records follow at byte [0-9]+`, string(logText))
		assert.Contains(t, string(logText), "--salvage")
	}
	// The intact node is up with its log as it was.
	var after map[string]string
	waitFor(t, 5*time.Second, string(leader)+" answering", func() bool {
		st, err := QueryStatus(ctx, lc.Cluster, leader, secret)
		after = st.Inspect
		return err == nil
	})
	assert.Equal(t, before["log"], after["log"], "the intact node's log ends where it did")

	// Salvaged, the damaged nodes start but do not vote: with the only
	// complete log on a node that needs one of their votes, nobody leads,
	// and nothing is overwritten.
	for _, id := range damaged {
		require.NoError(t, lc.StartWith(id, "--salvage"))
	}
	for _, id := range damaged {
		var st StatusReply
		waitFor(t, 5*time.Second, string(id)+" salvaged and answering", func() bool {
			st, err = QueryStatus(ctx, lc.Cluster, id, secret)
			return err == nil
		})
		assert.Equal(t, "waiting for a leader", st.Inspect["lostWrites"])
		matches, _ := filepath.Glob(filepath.Join(lc.Dir, string(id), walName+".damaged-*"))
		assert.Len(t, matches, 1, "a copy of %s's damaged log is kept", id)
	}
	time.Sleep(1200 * time.Millisecond) // two to four election timeouts
	for _, id := range ids {
		st, err := QueryStatus(ctx, lc.Cluster, id, secret)
		require.NoError(t, err)
		assert.NotEqual(t, "leader", st.Inspect["role"], "%s leads", id)
		if id == leader {
			assert.Equal(t, before["log"], st.Inspect["log"], "the intact node's log is not overwritten")
		}
	}
	lc.Stop()

	// Every acknowledged write is on the intact node's disk.
	d, err := OpenFileDisk(filepath.Join(lc.Dir, string(leader)))
	require.NoError(t, err)
	defer d.Close()
	var values [][]byte
	for _, k := range d.Keys() {
		v, _ := d.Get(k)
		values = append(values, v)
	}
	lost := 0
	for key, val := range acked {
		found := false
		for _, v := range values {
			if bytes.Contains(v, []byte(key)) && bytes.Contains(v, []byte(val)) {
				found = true
				break
			}
		}
		if !found {
			lost++
		}
	}
	assert.Zero(t, lost, "acknowledged writes missing from the intact node's disk, of %d", len(acked))
}
