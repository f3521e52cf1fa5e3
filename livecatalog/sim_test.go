package livecatalog

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
	"github.com/dsimlab/dsim/storage/quorum"
	"github.com/dsimlab/dsim/storage/twopc"
)

// A client request each family's client command sends, to whom, and the
// type of the answer it waits for.
var simRequests = map[string]struct {
	to    sim.NodeID
	req   sim.Message
	reply string
}{
	"raft-kv":         {"n1", rsm.ClientRequest{ClientID: "c1", Seq: 1, Op: kv.Put("x", "1").Encode()}, "rsm.ClientReply"},
	"multipaxos-kv":   {"n1", rsm.ClientRequest{ClientID: "c1", Seq: 1, Op: kv.Put("x", "1").Encode()}, "rsm.ClientReply"},
	"quorum-kv":       {"n1", quorum.PutRequest{ReqID: 1, Key: "x", Value: "1", Writer: "c1"}, "quorum.PutReply"},
	"paxos":           {"n1", ProposeRequest{ClientID: "c1", Seq: 1, Value: "apple"}, "paxos.ProposeReply"},
	"2pc":             {"n1", twopc.Begin{Txn: "t1", Writes: []twopc.Write{{Participant: "n2", Key: "a", Value: "1"}, {Participant: "n3", Key: "b", Value: "2"}}}, "twopc.Outcome"},
	"cdn":             {"n2", FetchRequest{ClientID: "c1", Seq: 1, Path: "/a"}, "cdn.FetchReply"},
	"breaker-service": {"n1", CallRequest{ClientID: "c1", Seq: 1, Key: "/"}, "breaker.CallReply"},
	"broadcast":       {"n1", BroadcastRequest{ClientID: "c1", Seq: 1, Value: "hello"}, "gossip.BroadcastReply"},
}

// runInSim runs a family's three live nodes in the simulator, with one
// client request at 1s, and returns the trace and what the client got.
func runInSim(t *testing.T, name string, seed uint64) ([]byte, []sim.Message) {
	p, err := Lookup(name)
	require.NoError(t, err)
	cluster := tcp.Cluster{Name: "sim", Protocol: name, Members: []tcp.Member{{ID: "n1", Addr: "a:1"}, {ID: "n2", Addr: "a:2"}, {ID: "n3", Addr: "a:3"}}}
	var trace bytes.Buffer
	tr := sim.NewJSONL(&trace)
	w := sim.NewWorld(sim.Config{Seed: seed, Tracer: tr})
	for _, m := range cluster.Members {
		w.AddNode(m.ID, func() sim.Node {
			n, err := p.New(tcp.NodeConfig{ID: m.ID, Cluster: cluster})
			require.NoError(t, err)
			return n
		})
	}
	var got []sim.Message
	w.AddClient("c1", func() sim.Node {
		return sim.NodeFunc(func(_ sim.Env, _ sim.NodeID, m sim.Message) { got = append(got, m) })
	})
	r := simRequests[name]
	w.At(time.Second, func() { w.Exec("c1", func(_ sim.Node, env sim.Env) { env.Send(r.to, r.req) }) })
	w.RunFor(2 * time.Second)
	require.NoError(t, tr.Flush())
	return trace.Bytes(), got
}

// Every live family is a plain sim.Node: it runs in the simulator, answers
// its client there as over TCP, and the same seed gives the same trace.
func TestEveryFamilyRunsInTheSimulatorDeterministically(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			r, ok := simRequests[name]
			require.True(t, ok, "a client request for %s", name)
			p, _ := Lookup(name)
			reg, err := p.NewRegistry()
			require.NoError(t, err)
			a, got := runInSim(t, name, 7)
			b, _ := runInSim(t, name, 7)
			require.NotEmpty(t, a)
			assert.Equal(t, a, b, "same seed, same trace")
			var names []string
			for _, m := range got {
				n, _ := reg.NameOf(m)
				names = append(names, n)
			}
			assert.Contains(t, names, r.reply, "the client got its answer: %s", fmt.Sprint(got))
		})
	}
}
