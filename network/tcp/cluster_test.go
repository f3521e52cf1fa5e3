package tcp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

func TestParseClusterAcceptsAGoodFile(t *testing.T) {
	c, err := ParseCluster([]byte(`{"cluster":"lab","members":[
  {"id":"n2","addr":"10.0.0.12:7001"},
  {"id":"n1","addr":"10.0.0.11:7001"}]}`))
	require.NoError(t, err)
	assert.Equal(t, "lab", c.Name)
	assert.Equal(t, []string{"n1", "n2"}, []string{string(c.IDs()[0]), string(c.IDs()[1])}, "IDs are sorted")
	m, ok := c.Member("n2")
	require.True(t, ok)
	assert.Equal(t, "10.0.0.12:7001", m.Addr)
}

// A person who mistyped the cluster file is told where: the line and column
// of a syntax error, the field of a bad value.
func TestParseClusterPointsAtTheMistake(t *testing.T) {
	cases := []struct {
		name, file, want string
	}{
		{"missing comma", "{\"cluster\":\"lab\",\n \"members\":[\n  {\"id\":\"n1\" \"addr\":\"a:1\"}]}", "3:14: bad cluster file: invalid character '\"' after object key:value pair"},
		{"wrong type", "{\"cluster\":\"lab\",\n \"members\":[{\"id\":\"n1\",\"addr\":7001}]}", `2:31: bad cluster file: field "members.addr" holds a JSON number, want string`},
		{"unknown field", "{\"cluster\":\"lab\",\n \"memebers\":[]}", `bad cluster file: json: unknown field "memebers"`},
		{"empty", "", "1:1: bad cluster file: empty file"},
		{"trailing", `{"cluster":"lab","members":[{"id":"n1","addr":"a:1"}]} {}`, "1:57: bad cluster file: more after the closing brace"},
		{"no name", `{"members":[{"id":"n1","addr":"a:1"}]}`, `field "cluster" (the cluster's name) is missing`},
		{"no members", `{"cluster":"lab","members":[]}`, `field "members" is missing or empty`},
		{"bad addr", `{"cluster":"lab","members":[{"id":"n1","addr":"a:1"},{"id":"n2","addr":"nowhere"}]}`, `members[1].addr "nowhere": want host:port`},
		{"no id", `{"cluster":"lab","members":[{"addr":"a:1"}]}`, `members[0].id is missing`},
		{"bad id", `{"cluster":"lab","members":[{"id":"n 1","addr":"a:1"}]}`, `members[0].id "n 1": use letters`},
		{"dup id", `{"cluster":"lab","members":[{"id":"n1","addr":"a:1"},{"id":"n1","addr":"a:2"}]}`, `members[1].id "n1" repeats members[0].id`},
		{"dup addr", `{"cluster":"lab","members":[{"id":"n1","addr":"a:1"},{"id":"n2","addr":"a:1"}]}`, `members[1].addr "a:1" repeats members[0].addr`},
		{"port too big", `{"cluster":"lab","members":[{"id":"n1","addr":"10.0.0.1:99999"}]}`, `members[0].addr "10.0.0.1:99999": port 99999 is out of range: want 1 to 65535`},
		{"port zero", `{"cluster":"lab","members":[{"id":"n1","addr":"10.0.0.1:0"},{"id":"n2","addr":"10.0.0.2:7001"}]}`, `members[0].addr "10.0.0.1:0": port 0 (any free port): the other members could never find it`},
		{"port name", `{"cluster":"lab","members":[{"id":"n1","addr":"10.0.0.1:raft"}]}`, `members[0].addr "10.0.0.1:raft": port "raft" is not a number`},
		{"no host", `{"cluster":"lab","members":[{"id":"n1","addr":":7001"}]}`, `members[0].addr ":7001": no host`},
		{"long id", `{"cluster":"lab","members":[{"id":"` + strings.Repeat("n", 65) + `","addr":"a:1"}]}`, `members[0].id "nnnn`},
		{"long name", `{"cluster":"` + strings.Repeat("x", 5000) + `","members":[{"id":"n1","addr":"a:1"}]}`, `field "cluster" is 5000 bytes long: at most 128 (it travels in every handshake)`},
		{"bad name", `{"cluster":"lab 2","members":[{"id":"n1","addr":"a:1"}]}`, `field "cluster" "lab 2": use letters`},
	}
	for _, c := range cases {
		_, err := ParseCluster([]byte(c.file))
		require.Error(t, err, c.name)
		assert.ErrorIs(t, err, ErrClusterFile, c.name)
		assert.Contains(t, err.Error(), c.want, c.name)
	}
}

func TestLoadClusterNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cluster.json")
	require.NoError(t, os.WriteFile(path, []byte("{\n  \"cluster\": lab\n}"), 0o644))
	_, err := LoadCluster(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+":2:14: bad cluster file")

	good := Cluster{Name: "lab", Members: []Member{{ID: "n1", Addr: "127.0.0.1:7001"}}}
	require.NoError(t, good.WriteFile(path))
	back, err := LoadCluster(path)
	require.NoError(t, err)
	assert.Equal(t, good, back)
}

// The longest names a cluster file allows still fit in a handshake frame:
// no valid cluster can be one whose nodes never manage to say hello.
func TestHandshakeFitsTheLimit(t *testing.T) {
	reg := NewRegistry()
	h := Hello{Cluster: strings.Repeat("c", maxClusterName), From: sim.NodeID(strings.Repeat("f", 64)), To: sim.NodeID(strings.Repeat("t", 64)),
		Version: ProtocolVersion, Kind: KindClient, Nonce: newNonce()}
	c := Cluster{Name: h.Cluster, Members: []Member{{ID: h.To, Addr: "a:1"}}}
	require.NoError(t, c.Validate(), "the longest valid names")
	for _, msg := range []sim.Message{h, Challenge{Nonce: newNonce(), MAC: make([]byte, 32)}, Proof{MAC: make([]byte, 32)},
		Refused{Reason: "hello for \"" + string(h.To) + "\" reached \"" + string(h.From) + "\": check the cluster file's addresses"}} {
		b, err := reg.Encode(msg)
		require.NoError(t, err)
		assert.Less(t, len(b)-headerSize, handshakeFrameLimit, "%T", msg)
	}
}

// A directory's name becomes a valid cluster name for dsim cluster local.
func TestNameFromADirectory(t *testing.T) {
	for in, want := range map[string]string{"lab": "lab", "my lab": "my-lab", "実験": "------", "": "local"} {
		assert.Equal(t, want, nameFrom(in))
		assert.NoError(t, Cluster{Name: nameFrom(in), Members: []Member{{ID: "n1", Addr: "a:1"}}}.Validate())
	}
}
