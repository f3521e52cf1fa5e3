package cdn_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/cdn"
)

// An edge of two entries in front of an origin: a first request misses
// and is fetched, a second hits; a third key evicts the least recently
// used; a restarted edge is cold.
func TestEdgeCachesEvictsAndForgetsAtACrash(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	w.AddNode("origin", func() sim.Node {
		return service.MustServer(service.ServerConfig{Workers: 4, ServiceTime: network.Constant(10 * time.Millisecond), Value: cdn.OriginValue})
	})
	var edge *cdn.Edge
	w.AddNode("edge", func() sim.Node {
		var err error
		edge, err = cdn.NewEdge(cdn.EdgeConfig{Capacity: 2, TTL: time.Minute, Origin: "origin", OriginTimeout: time.Second})
		require.NoError(t, err)
		return edge
	})
	var answers []service.Response
	w.AddClient("user", func() sim.Node {
		return sim.NodeFunc(func(_ sim.Env, _ sim.NodeID, m sim.Message) {
			if r, ok := m.(service.Response); ok {
				answers = append(answers, r)
			}
		})
	})
	w.RunFor(time.Millisecond) // every node started
	get := func(key string) {
		t.Helper()
		n := len(answers)
		require.NoError(t, w.Exec("user", func(_ sim.Node, env sim.Env) { env.Send("edge", service.Request{ID: uint64(n + 1), Key: key}) }))
		w.RunFor(100 * time.Millisecond)
		require.Len(t, answers, n+1)
		assert.Equal(t, "v:"+key, answers[n].Value)
	}
	get("a")
	get("a")
	assert.Equal(t, cdn.Stats{Hits: 1, Misses: 1, Cold: 1, Fetches: 1}, edge.Stats())
	get("b")
	get("a") // a is now the most recently used
	get("c") // evicts b
	now := sim.Epoch.Add(w.Now())
	assert.True(t, edge.Fresh("a", now), "a survived")
	assert.False(t, edge.Fresh("b", now), "b was evicted")
	assert.Equal(t, 2, edge.Len())
	before := edge.Stats().Fetches
	get("b")
	assert.Equal(t, before+1, edge.Stats().Fetches, "b was evicted: fetched again")

	w.Crash("edge")
	w.Restart("edge")
	w.RunFor(time.Millisecond)
	get("a")
	assert.Equal(t, cdn.Stats{Misses: 1, Cold: 1, Fetches: 1}, edge.Stats(), "a restarted edge starts cold")
}
