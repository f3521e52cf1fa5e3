package service

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/resilience"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ms = time.Millisecond

// burst is a client that sends n requests at once and records the answers.
type burst struct {
	to      sim.NodeID
	n       int
	answers map[uint64]Response
	at      map[uint64]time.Duration
}

func (b *burst) Start(env sim.Env) {
	b.answers, b.at = map[uint64]Response{}, map[uint64]time.Duration{}
	for i := 1; i <= b.n; i++ {
		env.Send(b.to, Request{ID: uint64(i), Key: "k"})
	}
}

func (b *burst) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if r, ok := msg.(Response); ok {
		b.answers[r.ID] = r
		b.at[r.ID] = env.Now().Sub(sim.Epoch)
	}
}

// One worker, 10ms of work each, three requests at once: the second waits
// for the first and the third for both. Queueing, in its simplest form.
func TestServerQueuesWhenEveryWorkerIsBusy(t *testing.T) {
	tests := []struct {
		name     string
		workers  int
		maxQueue int
		want     map[uint64]time.Duration // answer times; absent = rejected
	}{
		{"one worker queues", 1, 0, map[uint64]time.Duration{1: 12 * ms, 2: 22 * ms, 3: 32 * ms}},
		{"three workers in parallel", 3, 0, map[uint64]time.Duration{1: 12 * ms, 2: 12 * ms, 3: 12 * ms}},
		{"a queue of one rejects the third", 1, 1, map[uint64]time.Duration{1: 12 * ms, 2: 22 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := sim.NewWorld(sim.Config{Seed: 1})
			w.AddNode("srv", func() sim.Node {
				return MustServer(ServerConfig{Workers: tt.workers, MaxQueue: tt.maxQueue, ServiceTime: network.Constant(10 * ms)})
			})
			c := &burst{to: "srv", n: 3}
			w.AddClient("c", func() sim.Node { return c })
			w.RunFor(time.Second)
			for id := uint64(1); id <= 3; id++ {
				want, served := tt.want[id]
				if !served {
					assert.Equal(t, Rejected, c.answers[id].Outcome, "request %d", id)
					assert.Equal(t, 2*ms, c.at[id], "a rejection is immediate")
					continue
				}
				assert.Equal(t, OK, c.answers[id].Outcome, "request %d", id)
				assert.Equal(t, want, c.at[id], "request %d: 1ms there, queueing, 10ms work, 1ms back", id)
			}
		})
	}
}

func TestShedderDropsLowPriorityFirst(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	w.AddNode("srv", func() sim.Node {
		return MustServer(ServerConfig{Workers: 1, ServiceTime: network.Constant(10 * ms), ShedLimits: []int{10, 10, 2}})
	})
	var got []Response
	w.AddClient("c", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
			if r, ok := msg.(Response); ok {
				got = append(got, r)
			}
		})
	})
	w.RunFor(0)
	require.NoError(t, w.Exec("c", func(_ sim.Node, env sim.Env) {
		for i := 1; i <= 4; i++ {
			env.Send("srv", Request{ID: uint64(i), Priority: resilience.Sheddable})
		}
		env.Send("srv", Request{ID: 5, Priority: resilience.Critical})
	}))
	w.RunFor(time.Second)
	outcome := map[uint64]Outcome{}
	for _, r := range got {
		outcome[r.ID] = r.Outcome
	}
	assert.Equal(t, map[uint64]Outcome{1: OK, 2: OK, 3: Shed, 4: Shed, 5: OK}, outcome,
		"sheddable requests are admitted only below load 2; the critical one still gets in")
}

// client drives a Caller from a test.
type client struct {
	caller *Caller
	got    []Response
	at     []time.Duration
}

func (c *client) Start(sim.Env) {}
func (c *client) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	c.caller.Receive(env, from, msg)
}
func (c *client) call(w *sim.World, to sim.NodeID, n int) {
	_ = w.Exec("c", func(_ sim.Node, env sim.Env) {
		for i := 1; i <= n; i++ {
			c.caller.Call(env, to, Request{ID: uint64(i)}, func(env sim.Env, r Response) {
				c.got = append(c.got, r)
				c.at = append(c.at, env.Now().Sub(sim.Epoch))
			})
		}
	})
}

func newCallerWorld(t *testing.T, cfg CallerConfig, service time.Duration) (*sim.World, *client, *Server) {
	t.Helper()
	w := sim.NewWorld(sim.Config{Seed: 1})
	srv := MustServer(ServerConfig{Workers: 1, ServiceTime: network.Constant(service)})
	w.AddNode("srv", func() sim.Node { return srv })
	c := &client{caller: MustCaller(cfg)}
	w.AddClient("c", func() sim.Node { return c })
	w.RunFor(0)
	return w, c, srv
}

func TestCallerTimesOutAndRetries(t *testing.T) {
	backoff := resilience.Backoff{Base: 5 * ms, Cap: 5 * ms, Multiplier: 2, MaxAttempts: 3, Jitter: resilience.NoJitter}
	w, c, srv := newCallerWorld(t, CallerConfig{Name: "dep", Timeout: 20 * ms, Retry: &backoff}, 100*ms)
	c.call(w, "srv", 1)
	w.RunFor(time.Second)
	require.Len(t, c.got, 1)
	assert.Equal(t, Timeout, c.got[0].Outcome)
	assert.Equal(t, 3*20*ms+2*5*ms, c.at[0], "three tries of 20ms, two waits of 5ms")
	assert.Equal(t, uint64(3), srv.Stats().Received, "each try reached the server")
	assert.Equal(t, CallerStats{Calls: 1, Tries: 3, Retries: 2, Timeouts: 3}, c.caller.Stats())
}

func TestBreakerFailsFastOnceTripped(t *testing.T) {
	bc := resilience.BreakerConfig{ConsecutiveFailures: 2, OpenFor: time.Second, HalfOpenProbes: 1}
	w, c, srv := newCallerWorld(t, CallerConfig{Name: "dep", Timeout: 20 * ms, Breaker: &bc}, 100*ms)
	c.call(w, "srv", 2)
	w.RunFor(50 * ms) // two timeouts trip it
	c.call(w, "srv", 3)
	w.RunFor(50 * ms)
	require.Len(t, c.got, 5)
	for _, r := range c.got[2:] {
		assert.Equal(t, BreakerOpen, r.Outcome)
	}
	assert.Equal(t, c.at[2], 50*ms, "failing fast takes no time")
	assert.Equal(t, uint64(2), srv.Stats().Received, "the open breaker spared the server")
}

func TestBulkheadBoundsCallsInFlight(t *testing.T) {
	w, c, srv := newCallerWorld(t, CallerConfig{Name: "dep", MaxConcurrent: 2, MaxQueue: 1}, 10*ms)
	c.call(w, "srv", 5)
	w.RunFor(time.Second)
	count := map[Outcome]int{}
	for _, r := range c.got {
		count[r.Outcome]++
	}
	assert.Equal(t, map[Outcome]int{OK: 3, BulkheadFull: 2}, count)
	assert.Equal(t, 2, c.caller.Bulkhead().Stats().MaxInFlight)
	assert.Equal(t, uint64(3), srv.Stats().Received)
}

func TestFanOutWaitsForEveryDependency(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	for _, id := range []sim.NodeID{"a", "b"} {
		d := 10 * ms
		if id == "b" {
			d = 30 * ms
		}
		w.AddNode(id, func() sim.Node { return MustServer(ServerConfig{Workers: 1, ServiceTime: network.Constant(d)}) })
	}
	w.AddNode("front", func() sim.Node {
		return MustServer(ServerConfig{Workers: 1, ServiceTime: network.Constant(5 * ms), Dependencies: []Dependency{
			{CallerConfig: CallerConfig{Name: "a"}, Target: "a"},
			{CallerConfig: CallerConfig{Name: "b", Timeout: 100 * ms}, Target: "b"},
		}})
	})
	c := &burst{to: "front", n: 2}
	w.AddClient("c", func() sim.Node { return c })
	w.RunFor(time.Second)
	// 1 there + 5 work + (1 + 30 + 1) for the slower dependency + 1 back,
	// and the second request waits for the whole first one.
	assert.Equal(t, 39*ms, c.at[1])
	assert.Equal(t, 39*ms+37*ms, c.at[2])
	assert.Equal(t, OK, c.answers[2].Outcome)
}

func TestLoadGenOpenLoopKeepsItsRate(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 3})
	w.AddNode("srv", func() sim.Node { return MustServer(ServerConfig{Workers: 4, ServiceTime: network.Constant(ms)}) })
	g := MustLoadGen(LoadConfig{Target: "srv", Interarrival: network.Exponential{Mean: 10 * ms}, Stop: 10 * time.Second})
	w.AddClient("load", func() sim.Node { return g })
	w.RunFor(11 * time.Second)
	s := Summarize(g.Records())
	assert.InDelta(t, 1000, s.Requests, 100, "Poisson arrivals at 100/s for 10s")
	assert.Equal(t, s.Requests, s.OK())
	assert.Equal(t, 3*ms, s.P50, "an idle server answers in one service time plus the round trip")
}

func TestLoadGenClosedLoopWaitsForAnswers(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 3})
	w.AddNode("srv", func() sim.Node { return MustServer(ServerConfig{Workers: 1, ServiceTime: network.Constant(8 * ms)}) })
	g := MustLoadGen(LoadConfig{Target: "srv", Users: 2, Stop: time.Second})
	w.AddClient("load", func() sim.Node { return g })
	w.RunFor(2 * time.Second)
	s := Summarize(g.Records())
	// Two users share one worker busy 8ms per request: 125 requests per
	// second, whatever the users would like.
	assert.InDelta(t, 125, s.Requests, 2)
	assert.Equal(t, 16*ms, s.P50, "a user's turn comes round every two services: the other's and its own")
}

func TestPercentileNearestRank(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	tests := []struct {
		p    int
		want time.Duration
	}{{1, 1}, {10, 1}, {11, 2}, {50, 5}, {90, 9}, {99, 10}, {100, 10}}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Percentile(ds, tt.p), "p%d", tt.p)
	}
	assert.Equal(t, time.Duration(5), ds[0], "the input is not sorted in place")
	assert.Zero(t, Percentile(nil, 99))
}

func TestZipfFollowsItsLaw(t *testing.T) {
	z, err := NewZipf(1000)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, 1001)
	const draws = 200000
	for range draws {
		counts[z.Rank(rng)]++
	}
	// H(1000) ≈ 7.485: rank 1 takes 13.4%, rank 2 half that, rank 10 a tenth.
	assert.InDelta(t, 0.1336, float64(counts[1])/draws, 0.005)
	assert.InDelta(t, 2.0, float64(counts[1])/float64(counts[2]), 0.1)
	assert.InDelta(t, 10.0, float64(counts[1])/float64(counts[10]), 1.0)
	top100 := 0
	for k := 1; k <= 100; k++ {
		top100 += counts[k]
	}
	assert.InDelta(t, float64(z.Share(100))/1e6, float64(top100)/draws, 0.01, "the top 10%% of objects draw about 69%% of requests")
	assert.Equal(t, 1_000_000, z.Share(1000))

	a, b := rand.New(rand.NewPCG(9, 9)), rand.New(rand.NewPCG(9, 9))
	for range 100 {
		require.Equal(t, z.Rank(a), z.Rank(b), "same seed, same ranks")
	}
	_, err = NewZipf(0)
	assert.ErrorIs(t, err, ErrInvalidConfig)
}

func TestConfigErrorsNameTheField(t *testing.T) {
	_, err := NewServer(ServerConfig{Workers: 0, ServiceTime: network.Constant(ms)})
	assert.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, "Workers")
	_, err = NewServer(ServerConfig{Workers: 1})
	assert.ErrorContains(t, err, "ServiceTime")
	_, err = NewCaller(CallerConfig{})
	assert.ErrorContains(t, err, "Name")
	_, err = NewLoadGen(LoadConfig{Target: "x"})
	assert.ErrorContains(t, err, "exactly one of Interarrival")
	bad := resilience.Backoff{}
	_, err = NewCaller(CallerConfig{Name: "x", Retry: &bad})
	assert.Error(t, err)
}

func TestLoadGenSendsBatches(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 3})
	srv := MustServer(ServerConfig{Workers: 10, ServiceTime: network.Constant(ms)})
	w.AddNode("srv", func() sim.Node { return srv })
	g := MustLoadGen(LoadConfig{Target: "srv", Interarrival: network.Constant(100 * ms), Batch: 5, Requests: 12})
	w.AddClient("load", func() sim.Node { return g })
	w.RunFor(time.Second)
	assert.Equal(t, 12, g.Sent(), "bursts of 5, 5 and 2: Requests caps the total")
	assert.Equal(t, 5, srv.Stats().MaxBusy, "a burst arrives all at once")
	assert.Equal(t, 5, g.SentBetween(sim.Epoch, sim.Epoch.Add(ms)))
}
