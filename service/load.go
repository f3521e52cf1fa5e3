package service

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/resilience"
	"github.com/dsimlab/dsim/sim"
)

// LoadConfig describes a load generator.
//
// Open loop (Interarrival set): requests arrive on their own schedule, however
// slowly the server answers, as users of a public web site do. Draw the gaps
// from network.Exponential{Mean: time.Second / rate} for Poisson arrivals.
// Closed loop (Users set): a fixed number of users, each sending its next
// request Think after the last one was answered; the load falls as the server
// slows down, which hides overload (coordinated omission).
type LoadConfig struct {
	// Target is the node requests go to, unless Pick is set.
	Target sim.NodeID
	// Pick chooses the node for each request.
	Pick func(env sim.Env) sim.NodeID
	// Interarrival is the gap between arrivals, open loop.
	Interarrival Distribution
	// Users is the number of users, closed loop; Think their pause.
	Users int
	Think Distribution
	// Start delays the first request; Requests, if positive, stops after that
	// many; Stop, if positive, stops sending at that time after Start.
	Start    time.Duration
	Requests int
	Stop     time.Duration
	// Batch is how many requests each arrival sends at once (default 1):
	// a burst, as when a page loads its forty images or a cron job fires.
	Batch int
	// Key and Priority describe each request (defaults: key "", Default).
	Key      func(rng *rand.Rand) string
	Priority func(rng *rand.Rand) resilience.Priority
	// Caller says how requests are sent: timeout, retries, breaker. Its
	// Name defaults to "load".
	Caller CallerConfig
}

// Validate reports the first field that is wrong.
func (c LoadConfig) Validate() error {
	switch {
	case c.Target == "" && c.Pick == nil:
		return fmt.Errorf("%w: load has neither Target nor Pick", ErrInvalidConfig)
	case (c.Interarrival == nil) == (c.Users == 0):
		return fmt.Errorf("%w: load needs exactly one of Interarrival (open loop) and Users (closed loop)", ErrInvalidConfig)
	case c.Users < 0 || c.Requests < 0 || c.Start < 0 || c.Stop < 0 || c.Batch < 0:
		return fmt.Errorf("%w: negative Users, Requests, Start, Stop or Batch", ErrInvalidConfig)
	}
	cc := c.Caller
	if cc.Name == "" {
		cc.Name = "load"
	}
	return cc.Validate()
}

// Record is one request as the load generator saw it.
type Record struct {
	ID       uint64
	Key      string
	Priority resilience.Priority
	Sent     time.Time     // when the request was first sent
	Latency  time.Duration // until its outcome, retries included
	Outcome  Outcome
	Value    string
}

// LoadGen is a client node that sends requests and records their outcomes.
type LoadGen struct {
	cfg     LoadConfig
	caller  *Caller
	began   time.Time
	sent    int
	sentAt  []time.Time // when each request was first sent, in order
	records []Record
}

// loadTick is the open-loop arrival timer and the closed-loop think timer.
type loadTick struct{}

// NewLoadGen returns a load generator, or an error naming the bad field.
func NewLoadGen(cfg LoadConfig) (*LoadGen, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Caller.Name == "" {
		cfg.Caller.Name = "load"
	}
	c, err := NewCaller(cfg.Caller)
	if err != nil {
		return nil, err
	}
	return &LoadGen{cfg: cfg, caller: c}, nil
}

// MustLoadGen is NewLoadGen for configurations written in the program text.
func MustLoadGen(cfg LoadConfig) *LoadGen {
	g, err := NewLoadGen(cfg)
	if err != nil {
		panic(err)
	}
	return g
}

// Records are the finished requests, in the order they finished.
func (g *LoadGen) Records() []Record { return g.records }

// Sent is how many requests were sent (finished or not).
func (g *LoadGen) Sent() int { return g.sent }

// SentBetween is how many requests were first sent in [from, to),
// answered or not: the load offered in that span.
func (g *LoadGen) SentBetween(from, to time.Time) int {
	lo := sort.Search(len(g.sentAt), func(i int) bool { return !g.sentAt[i].Before(from) })
	hi := sort.Search(len(g.sentAt), func(i int) bool { return !g.sentAt[i].Before(to) })
	return max(0, hi-lo)
}

// Caller is the generator's caller (its breaker, budget and counters).
func (g *LoadGen) Caller() *Caller { return g.caller }

// Inspect describes the generator for tools.
func (g *LoadGen) Inspect() map[string]string {
	return map[string]string{"sent": strconv.Itoa(g.sent), "done": strconv.Itoa(len(g.records))}
}

// Start schedules the first arrivals.
func (g *LoadGen) Start(env sim.Env) {
	g.began = env.Now().Add(g.cfg.Start)
	if g.cfg.Users > 0 {
		for range g.cfg.Users {
			env.SetTimer(g.cfg.Start, loadTick{})
		}
		return
	}
	env.SetTimer(g.cfg.Start, loadTick{})
}

// Receive sends on each tick and records each answer.
func (g *LoadGen) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if g.caller.Receive(env, from, msg) {
		return
	}
	if _, ok := msg.(loadTick); !ok {
		return
	}
	for range max(1, g.cfg.Batch) {
		if !g.more(env) {
			return
		}
		g.send(env)
	}
	if g.cfg.Interarrival != nil {
		env.SetTimer(max(0, g.cfg.Interarrival.Sample(env.Rand())), loadTick{})
	}
}

// more reports whether another request may be sent.
func (g *LoadGen) more(env sim.Env) bool {
	if g.cfg.Requests > 0 && g.sent >= g.cfg.Requests {
		return false
	}
	return g.cfg.Stop == 0 || env.Now().Before(g.began.Add(g.cfg.Stop))
}

func (g *LoadGen) send(env sim.Env) {
	rng := env.Rand()
	g.sent++
	req := Request{ID: uint64(g.sent), Priority: resilience.Default}
	if g.cfg.Key != nil {
		req.Key = g.cfg.Key(rng)
	}
	if g.cfg.Priority != nil {
		req.Priority = g.cfg.Priority(rng)
	}
	to := g.cfg.Target
	if g.cfg.Pick != nil {
		to = g.cfg.Pick(env)
	}
	sent := env.Now()
	g.sentAt = append(g.sentAt, sent)
	g.caller.Call(env, to, req, func(env sim.Env, r Response) {
		g.records = append(g.records, Record{
			ID: req.ID, Key: req.Key, Priority: req.Priority, Sent: sent,
			Latency: env.Now().Sub(sent), Outcome: r.Outcome, Value: r.Value,
		})
		if g.cfg.Users > 0 {
			think := time.Duration(0)
			if g.cfg.Think != nil {
				think = max(0, g.cfg.Think.Sample(env.Rand()))
			}
			env.SetTimer(think, loadTick{})
		}
	})
}
