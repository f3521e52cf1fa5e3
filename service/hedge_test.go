package service_test

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hedgeClient makes one call per 10ms to [first, second] and records
// latencies.
type hedgeClient struct {
	h       *service.Hedger
	targets []sim.NodeID
	n       int
	lat     []time.Duration
	out     []service.Outcome
}

type hcTick struct{}

func (c *hedgeClient) Start(env sim.Env) { env.SetTimer(0, hcTick{}) }
func (c *hedgeClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if c.h.Receive(env, from, msg) {
		return
	}
	if _, ok := msg.(hcTick); ok && c.n < 50 {
		c.n++
		start := env.Now()
		c.h.Call(env, c.targets, service.Request{ID: uint64(c.n)}, func(env sim.Env, r service.Response) {
			c.lat = append(c.lat, env.Now().Sub(start))
			c.out = append(c.out, r.Outcome)
		})
		env.SetTimer(10*time.Millisecond, hcTick{})
	}
}

func TestHedger(t *testing.T) {
	cases := []struct {
		name        string
		cfg         service.HedgeConfig
		first       time.Duration // service time of the first target
		wantMaxLat  time.Duration
		wantHedges  bool
		wantOutcome service.Outcome
	}{
		{"no hedging waits for the slow one", service.HedgeConfig{Name: "kv"}, 100 * time.Millisecond, 110 * time.Millisecond, false, service.OK},
		{"a hedge after 10ms wins", service.HedgeConfig{Name: "kv", After: 10 * time.Millisecond}, 100 * time.Millisecond, 20 * time.Millisecond, true, service.OK},
		{"a fast first copy needs no hedge", service.HedgeConfig{Name: "kv", After: 10 * time.Millisecond}, time.Millisecond, 5 * time.Millisecond, false, service.OK},
		{"the timeout ends the wait", service.HedgeConfig{Name: "kv", Timeout: 30 * time.Millisecond}, 100 * time.Millisecond, 30 * time.Millisecond, false, service.Timeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := sim.NewWorld(sim.Config{Seed: 1, Network: network.MustNew(network.Config{})})
			w.AddNode("slow", func() sim.Node {
				return service.MustServer(service.ServerConfig{Workers: 100, ServiceTime: network.Constant(tc.first)})
			})
			w.AddNode("fast", func() sim.Node {
				return service.MustServer(service.ServerConfig{Workers: 100, ServiceTime: network.Constant(time.Millisecond)})
			})
			c := &hedgeClient{h: service.MustHedger(tc.cfg), targets: []sim.NodeID{"slow", "fast"}}
			w.AddClient("client", func() sim.Node { return c })
			w.RunFor(2 * time.Second)
			require.Len(t, c.lat, 50)
			for i := range c.lat {
				assert.LessOrEqual(t, c.lat[i], tc.wantMaxLat)
				assert.Equal(t, tc.wantOutcome, c.out[i])
			}
			st := c.h.Stats()
			assert.Equal(t, tc.wantHedges, st.Hedges > 0, "hedges: %+v", st)
			if tc.wantHedges {
				assert.Equal(t, uint64(50), st.HedgeWon)
			}
			assert.Zero(t, c.h.InFlight())
		})
	}
	_, err := service.NewHedger(service.HedgeConfig{})
	assert.ErrorIs(t, err, service.ErrInvalidConfig)
}
