package gossip_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/clock"
	"github.com/dsimlab/dsim/gossip"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

// run is five gossiping nodes on links that lose 30% of messages: n1 and
// n2 broadcast at the same instant (neither has heard of the other's
// value), n5 is down meanwhile, and n3 broadcasts after hearing both.
func run(t *testing.T, seed uint64) (*sim.World, []byte) {
	t.Helper()
	var trace bytes.Buffer
	tr := sim.NewJSONL(&trace)
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 10 * time.Millisecond}, Loss: 0.3}})
	w := sim.NewWorld(sim.Config{Seed: seed, Network: net, Tracer: tr})
	for i := 1; i <= 5; i++ {
		w.AddNode(sim.NodeID(fmt.Sprintf("n%d", i)), func() sim.Node { return gossip.New(gossip.Config{AntiEntropy: 50 * time.Millisecond}) })
	}
	broadcast := func(id sim.NodeID, v string) {
		require.NoError(t, w.Exec(id, func(n sim.Node, env sim.Env) { n.(*gossip.Node).Broadcast(env, v) }))
	}
	w.Crash("n5")
	w.RunFor(10 * time.Millisecond)
	broadcast("n1", "apple")
	broadcast("n2", "banana")
	w.RunFor(time.Second)
	broadcast("n3", "cherry")
	w.Restart("n5")
	w.RunFor(2 * time.Second)
	require.NoError(t, tr.Flush())
	return w, trace.Bytes()
}

func TestEveryNodeGetsEveryValueWithCausalStamps(t *testing.T) {
	w, _ := run(t, 1)
	var stamps map[string]gossip.Entry
	for i := 1; i <= 5; i++ {
		n := w.Node(sim.NodeID(fmt.Sprintf("n%d", i))).(*gossip.Node)
		es := n.Entries()
		require.Len(t, es, 3, "n%d has every value, n5 too after its restart", i)
		got := map[string]gossip.Entry{}
		for _, e := range es {
			got[e.Value] = e
		}
		if stamps == nil {
			stamps = got
		}
		assert.Equal(t, stamps, got, "every node holds the same stamps")
	}
	assert.Equal(t, clock.Concurrent, stamps["apple"].Vector.Compare(stamps["banana"].Vector), "broadcast at once: concurrent")
	assert.Equal(t, clock.Before, stamps["apple"].Vector.Compare(stamps["cherry"].Vector), "cherry's origin had heard of apple")
	assert.Less(t, stamps["banana"].Lamport, stamps["cherry"].Lamport, "Lamport order follows causality")
}

func TestSameSeedSameTrace(t *testing.T) {
	_, a := run(t, 7)
	_, b := run(t, 7)
	assert.Equal(t, a, b)
}
