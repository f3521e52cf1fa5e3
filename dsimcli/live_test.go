package dsimcli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cluster file that can never work is a usage error (exit 2) naming the
// field, whichever command reads it, before anything starts.
func TestLiveCommandsRefuseABadClusterFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"cluster":"lab","members":[{"id":"n1","addr":"127.0.0.1:99999"}]}`), 0o644))
	want := `members[0].addr "127.0.0.1:99999": port 99999 is out of range: want 1 to 65535`
	for _, args := range [][]string{
		{"node", "--cluster", path, "--id", "n1", "--data", filepath.Join(dir, "n1"), "--insecure"},
		{"kv", "--cluster", path, "get", "x"},
		{"status", "--cluster", path},
		{"fault", "--cluster", path, "heal"},
	} {
		status, _, stderr := dsim(args...)
		assert.Equal(t, exitUsage, status, "%v: %s", args, stderr)
		assert.Contains(t, stderr, want, "%v", args)
	}
	_, err := os.Stat(filepath.Join(dir, "n1"))
	assert.ErrorIs(t, err, os.ErrNotExist, "dsim node opened nothing")
}

// A fault written wrong says how to write it, before the cluster file is
// even read.
func TestFaultSaysHowToWriteIt(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"block", "n1"}, `cannot read "block n1": write block A B (two members)`},
		{[]string{"delay", "n1", "n2", "soon"}, `delay "soon": time: invalid duration "soon" (write units: 200ms, 1s)`},
		{[]string{"drop", "2"}, `drop "2": want a share between 0 and 1`},
		{[]string{"heal", "n1"}, `write heal, alone`},
		{[]string{"explode"}, `unknown fault "explode"`},
	} {
		status, _, stderr := dsim(append([]string{"fault", "--cluster", "/nonexistent/cluster.json"}, c.args...)...)
		assert.Equal(t, exitUsage, status, "%v", c.args)
		assert.Contains(t, stderr, c.want, "%v", c.args)
		assert.Contains(t, stderr, "usage: dsim fault --cluster FILE", "%v", c.args)
	}
}

// An --id the cluster file does not list is a usage error, before the
// data directory is touched.
func TestNodeRefusesAStranger(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"cluster":"lab","members":[{"id":"n1","addr":"127.0.0.1:7001"},{"id":"n2","addr":"127.0.0.1:7002"}]}`), 0o644))
	status, _, stderr := dsim("node", "--cluster", path, "--id", "n9", "--data", filepath.Join(dir, "n9"), "--insecure")
	assert.Equal(t, exitUsage, status, stderr)
	assert.Contains(t, stderr, `--id n9 is not a member of cluster "lab"; its members are [n1 n2]`)
	_, err := os.Stat(filepath.Join(dir, "n9"))
	assert.ErrorIs(t, err, os.ErrNotExist, "dsim node opened nothing")
}

func TestClusterLocalRefusesBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--base-port", "80000"}, "--base-port 80000: want a port from 1 to 65533 (3 nodes)"},
		{[]string{"--n", "0"}, "--n 0: want 1 to 99 nodes"},
	} {
		status, _, stderr := dsim(append([]string{"cluster", "local", "--dir", t.TempDir()}, c.args...)...)
		assert.Equal(t, exitUsage, status, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
}

// dsim status's table keeps its columns when a member is down (the
// unreachable one is listed below it), names Multi-Paxos's columns as
// ballots and decided slots, shows AUTH for every family, and --all lists
// every key whatever the family.
func TestStatusTables(t *testing.T) {
	members := []tcp.Member{{ID: "n1", Addr: "127.0.0.1:7001"}, {ID: "n2", Addr: "127.0.0.1:7002"}, {ID: "n3", Addr: "127.0.0.1:7003"}}
	reply := func(id sim.NodeID, in map[string]string) tcp.StatusReply {
		in["tcp.sent"], in["tcp.received"], in["tcp.insecure"] = "10", "12", "false"
		return tcp.StatusReply{ID: id, Inspect: in, Faults: "none"}
	}
	down := map[sim.NodeID]error{"n1": errors.New("dial tcp 127.0.0.1:7001: connect: connection refused")}
	cases := []struct {
		protocol string
		replies  map[sim.NodeID]tcp.StatusReply
		header   string
		column   string // a column of the header
		value    string // what n2's and n3's rows show in it
		all      string // a key only --all prints
	}{
		{"raft-kv", map[sim.NodeID]tcp.StatusReply{
			"n2": reply("n2", map[string]string{"role": "follower", "term": "2", "leader": "n3", "commit": "7", "rsm.applied": "7", "votedFor": "n3"}),
			"n3": reply("n3", map[string]string{"role": "leader", "term": "2", "leader": "n3", "commit": "7", "rsm.applied": "7", "votedFor": "n3"}),
		}, "TERM", "AUTH", "secret", "votedFor"},
		{"multipaxos-kv", map[sim.NodeID]tcp.StatusReply{
			"n2": reply("n2", map[string]string{"role": "leader", "promised": "1.n2", "leader": "n2", "decided": "3", "rsm.applied": "3", "slots": "3"}),
			"n3": reply("n3", map[string]string{"role": "follower", "promised": "1.n2", "leader": "n2", "decided": "3", "rsm.applied": "3", "slots": "3"}),
		}, "BALLOT", "DECIDED", "3", "slots"},
		{"broadcast", map[sim.NodeID]tcp.StatusReply{
			"n2": reply("n2", map[string]string{"role": "gossiper", "values": "1"}),
			"n3": reply("n3", map[string]string{"role": "gossiper", "values": "1"}),
		}, "STATE", "AUTH", "secret", "tcp.sent"},
	}
	for _, c := range cases {
		t.Run(c.protocol, func(t *testing.T) {
			cluster := tcp.Cluster{Name: "lab", Protocol: c.protocol, Members: members}
			var out bytes.Buffer
			ctx := &cli{stdout: &out, stderr: &out}
			if c.protocol == "broadcast" {
				printFamilyStatus(ctx, cluster, c.replies, down, false)
			} else {
				printStatus(ctx, cluster, c.replies, down, false)
			}
			text := out.String()
			assert.Contains(t, text, c.header)
			assert.Contains(t, text, "n1 unreachable: dial tcp 127.0.0.1:7001")
			lines := strings.Split(strings.TrimSpace(text), "\n")
			require.Len(t, lines, 4, text)
			assert.True(t, strings.HasPrefix(lines[3], "n1 unreachable"), "the unreachable member comes after the table:\n%s", text)
			col := strings.Index(lines[0], c.column)
			require.GreaterOrEqual(t, col, 0)
			for _, line := range lines[1:3] {
				require.Greater(t, len(line), col, "%q", line)
				assert.True(t, strings.HasPrefix(line[col:], c.value+" "), "%s column of %q:\n%s", c.column, line, text)
			}
			var outAll bytes.Buffer
			ctx.stdout = &outAll
			if c.protocol == "broadcast" {
				printFamilyStatus(ctx, cluster, c.replies, down, true)
			} else {
				printStatus(ctx, cluster, c.replies, down, true)
			}
			assert.NotContains(t, text, "\nn2:\n")
			assert.Contains(t, outAll.String(), "\nn2:\n")
			assert.Contains(t, outAll.String(), "  "+c.all)
		})
	}
}
