package cache_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCoalescerBeginFinish(t *testing.T) {
	c := cache.NewCoalescer[string, int]()
	assert.True(t, c.Begin("k", 1), "first: fetch")
	assert.False(t, c.Begin("k", 2), "joins the fetch in flight")
	assert.False(t, c.Begin("k", 3))
	assert.True(t, c.Begin("j", 4), "another key: its own fetch")
	assert.True(t, c.InFlight("k"))
	assert.Equal(t, 3, c.Waiting("k"))
	assert.Equal(t, 2, c.Len())

	assert.Equal(t, []int{1, 2, 3}, c.Finish("k"), "everyone, in arrival order")
	assert.False(t, c.InFlight("k"))
	assert.Nil(t, c.Finish("k"))
	assert.True(t, c.Begin("k", 5), "after Finish, a new fetch")
	assert.Equal(t, cache.CoalescerStats{Fetches: 3, Coalesced: 2}, c.Stats())
}

// Messages of the edge-cache scenario below.
type (
	GetReq    struct{ Key string }
	GetResp   struct{ Key, Value string }
	FetchReq  struct{ Key string }
	FetchResp struct{ Key, Value string }
)

// origin answers fetches and counts them.
type origin struct{ fetches int }

func (o *origin) Start(sim.Env) {}
func (o *origin) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if m, ok := msg.(FetchReq); ok {
		o.fetches++
		env.Send(from, FetchResp{Key: m.Key, Value: "value of " + m.Key})
	}
}

// edge is a CDN edge: an LRU in front of the origin, filled cache-aside,
// with misses coalesced (or not, to show the herd).
type edge struct {
	cache    *cache.LRU[string, string]
	inflight *cache.Coalescer[string, sim.NodeID]
	coalesce bool
}

func (e *edge) Start(sim.Env) {}
func (e *edge) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case GetReq:
		if v, ok := e.cache.Get(m.Key); ok {
			env.Send(from, GetResp{Key: m.Key, Value: v})
			return
		}
		if e.inflight.Begin(m.Key, from) || !e.coalesce {
			env.Send("origin", FetchReq{Key: m.Key})
		}
	case FetchResp:
		_ = e.cache.Put(m.Key, m.Value)
		for _, client := range e.inflight.Finish(m.Key) {
			env.Send(client, GetResp{Key: m.Key, Value: m.Value})
		}
	}
}

// client asks the edge for one key at start and remembers the answer.
type client struct{ got string }

func (c *client) Start(env sim.Env) { env.Send("edge", GetReq{Key: "hot"}) }
func (c *client) Receive(_ sim.Env, _ sim.NodeID, msg sim.Message) {
	if m, ok := msg.(GetResp); ok {
		c.got = m.Value
	}
}

// A popular key is missing from the edge (it expired, or the edge just
// restarted) and 50 clients ask for it at the same instant. With request
// coalescing the origin sees one fetch; without, a thundering herd of 50.
func TestCoalescerStopsThunderingHerd(t *testing.T) {
	for _, tt := range []struct {
		coalesce    bool
		wantFetches int
	}{{true, 1}, {false, 50}} {
		t.Run(fmt.Sprintf("coalesce=%v", tt.coalesce), func(t *testing.T) {
			w := sim.NewWorld(sim.Config{Seed: 1})
			o := &origin{}
			w.AddNode("origin", func() sim.Node { return o })
			w.AddNode("edge", func() sim.Node {
				c, err := cache.New(cache.Config[string, string]{MaxEntries: 10})
				require.NoError(t, err)
				return &edge{cache: c, inflight: cache.NewCoalescer[string, sim.NodeID](), coalesce: tt.coalesce}
			})
			clients := make([]*client, 50)
			for i := range clients {
				clients[i] = &client{}
				w.AddClient(sim.NodeID(fmt.Sprintf("c%02d", i)), func() sim.Node { return clients[i] })
			}
			w.RunFor(time.Second)

			assert.Equal(t, tt.wantFetches, o.fetches)
			for i, c := range clients {
				assert.Equal(t, "value of hot", c.got, "client %d answered", i)
			}
		})
	}
}
