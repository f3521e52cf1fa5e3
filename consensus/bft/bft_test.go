package bft_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/dsimlab/dsim/consensus/bft"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type cluster struct {
	w     *sim.World
	nodes map[sim.NodeID]*bft.Node
	keys  map[sim.NodeID]ed25519.PrivateKey
	ids   []sim.NodeID
}

func newCluster(t *testing.T, n, f int, skipVerify bool) *cluster {
	t.Helper()
	c := &cluster{nodes: map[sim.NodeID]*bft.Node{}, keys: map[sim.NodeID]ed25519.PrivateKey{}}
	pub := map[sim.NodeID]ed25519.PublicKey{}
	for i := range n {
		id := sim.NodeID(fmt.Sprintf("n%d", i+1))
		c.ids = append(c.ids, id)
		c.keys[id] = bft.DeriveKey([]byte("test"), id)
		pub[id] = c.keys[id].Public().(ed25519.PublicKey)
	}
	c.w = sim.NewWorld(sim.Config{Seed: 1, Network: network.MustNew(network.Config{})})
	for _, id := range c.ids {
		cfg := bft.Config{Members: c.ids, F: f, Keys: pub, Key: c.keys[id], SkipVerify: skipVerify}
		require.NoError(t, cfg.Validate())
		c.w.AddNode(id, func() sim.Node { c.nodes[id] = bft.New(cfg); return c.nodes[id] })
	}
	return c
}

// Honest nodes: every broadcast is delivered by everyone, once.
func TestHonestBroadcastIsDeliveredEverywhere(t *testing.T) {
	c := newCluster(t, 4, 1, false)
	for i, id := range c.ids {
		c.w.At(time.Millisecond, func() {
			_ = c.w.Exec(id, func(n sim.Node, env sim.Env) { n.(*bft.Node).Broadcast(env, fmt.Sprintf("v%d", i+1)) })
		})
	}
	c.w.RunFor(100 * time.Millisecond)
	for _, id := range c.ids {
		assert.Len(t, c.nodes[id].Deliveries(), 4, "%s", id)
	}
}

// A certificate whose echoes were written by the origin, not signed by
// their signers: refused when signatures are checked, believed when not.
func TestForgedCertificate(t *testing.T) {
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("skip verify %v", skip), func(t *testing.T) {
			c := newCluster(t, 4, 1, skip)
			forged := bft.Final{Origin: "n1", Seq: 1, Value: "evil"}
			for _, id := range c.ids[:3] {
				sig := "00"
				if id == "n1" {
					sig = bft.Sign(c.keys["n1"], bft.EchoPayload("n1", 1, "evil"))
				}
				forged.Echoes = append(forged.Echoes, bft.Echo{From: id, Origin: "n1", Seq: 1, Value: "evil", Sig: sig})
			}
			c.w.At(time.Millisecond, func() {
				_ = c.w.Exec("n1", func(_ sim.Node, env sim.Env) { env.Send("n2", forged) })
			})
			c.w.RunFor(50 * time.Millisecond)
			got := c.nodes["n2"].Deliveries()
			if skip {
				assert.Equal(t, []bft.Delivery{{Origin: "n1", Seq: 1, Value: "evil"}}, got)
			} else {
				assert.Empty(t, got)
				bad, refused, _ := c.nodes["n2"].Stats()
				assert.Equal(t, 2, bad, "two forged signatures")
				assert.Equal(t, 1, refused)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	k := bft.DeriveKey([]byte("x"), "n1")
	assert.ErrorIs(t, bft.Config{Members: []sim.NodeID{"n1"}, F: 1, Key: k}.Validate(), bft.ErrConfig)
	assert.ErrorIs(t, bft.Config{Members: []sim.NodeID{"n1", "n2"}, F: 0, Key: k, Keys: map[sim.NodeID]ed25519.PublicKey{"n1": k.Public().(ed25519.PublicKey)}}.Validate(), bft.ErrConfig)
	assert.Equal(t, 3, bft.Config{Members: make([]sim.NodeID, 4), F: 1}.Quorum())
	assert.Equal(t, bft.DeriveKey([]byte("x"), "n1"), k, "derived, not random")
}
