package service

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/resilience"
	"github.com/dsimlab/dsim/sim"
)

// Distribution is a distribution of durations. The latency distributions of
// package network (network.Constant, network.Exponential, network.Pareto,
// ...) are Distributions.
type Distribution interface {
	Sample(rng *rand.Rand) time.Duration
}

// DistributionFunc adapts a function to a Distribution.
type DistributionFunc func(rng *rand.Rand) time.Duration

// Sample calls f.
func (f DistributionFunc) Sample(rng *rand.Rand) time.Duration { return f(rng) }

// Dependency is a service a Server calls while it handles a request, after
// its own service time. Calls to all dependencies go out at once (fan-out);
// the request succeeds when every one of them did.
type Dependency struct {
	CallerConfig
	// Target is the node called, unless Route is set.
	Target sim.NodeID
	// Route picks the node for a request (a shard, a replica); "" means
	// this request does not need the dependency.
	Route func(req Request) sim.NodeID
}

// ServerConfig describes a Server.
type ServerConfig struct {
	// Workers is how many requests are handled at once (at least 1).
	Workers int
	// MaxQueue bounds the requests waiting for a worker; past it they are
	// Rejected. 0 means no bound: an overloaded server then queues forever.
	MaxQueue int
	// ServiceTime is the work one request takes on a worker.
	ServiceTime Distribution
	// ShedLimits, if set, sheds load by priority (resilience.NewShedder):
	// a request is admitted only while the load (busy workers plus queued
	// requests) is below its priority's limit.
	ShedLimits []int
	// Dependencies are called for every request, after its service time,
	// while it keeps its worker.
	Dependencies []Dependency
	// Value, if set, is the value a successful Response carries.
	Value func(req Request) string
}

// Validate reports the first field that is wrong.
func (c ServerConfig) Validate() error {
	switch {
	case c.Workers < 1:
		return fmt.Errorf("%w: Workers %d, want at least 1", ErrInvalidConfig, c.Workers)
	case c.MaxQueue < 0:
		return fmt.Errorf("%w: negative MaxQueue %d", ErrInvalidConfig, c.MaxQueue)
	case c.ServiceTime == nil:
		return fmt.Errorf("%w: no ServiceTime", ErrInvalidConfig)
	}
	if c.ShedLimits != nil {
		if _, err := resilience.NewShedder(c.ShedLimits...); err != nil {
			return err
		}
	}
	for i, d := range c.Dependencies {
		if err := d.CallerConfig.Validate(); err != nil {
			return fmt.Errorf("dependency %d: %w", i, err)
		}
		if d.Target == "" && d.Route == nil {
			return fmt.Errorf("%w: dependency %s has neither Target nor Route", ErrInvalidConfig, d.Name)
		}
	}
	return nil
}

// Server is a node that serves Requests with Workers workers and a queue.
// Its state is in the fields below; every handler keeps the invariants:
// busy <= Workers, and the queue is non-empty only while busy == Workers.
type Server struct {
	cfg     ServerConfig
	service Distribution // current service time; SetServiceTime changes it
	shedder *resilience.Shedder
	callers []*Caller

	busy  int       // workers holding a request
	queue []pending // requests waiting for a worker, oldest first
	jobs  map[uint64]*job
	next  uint64 // job numbers, for timers
	stats ServerStats
}

// ServerStats counts what a Server did.
type ServerStats struct {
	Received  uint64
	Served    uint64 // answered OK
	Failed    uint64 // a dependency failed
	Rejected  uint64 // queue full
	Shed      uint64 // dropped by priority
	MaxQueue  int    // the longest the queue has been
	MaxBusy   int    // the most workers busy at once
	QueueWait time.Duration
}

type pending struct {
	from    sim.NodeID
	req     Request
	arrived time.Time
}

type job struct {
	pending
	waiting int     // dependency calls outstanding
	outcome Outcome // the worst dependency outcome so far
}

// workDone is a Server's timer: job's service time is over.
type workDone struct{ Job uint64 }

// NewServer returns a Server, or an error naming the bad field. Use it
// in a node factory: w.AddNode("api", func() sim.Node { return service.MustServer(cfg) }).
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, service: cfg.ServiceTime, jobs: map[uint64]*job{}}
	if cfg.ShedLimits != nil {
		s.shedder, _ = resilience.NewShedder(cfg.ShedLimits...)
	}
	for _, d := range cfg.Dependencies {
		c, err := NewCaller(d.CallerConfig)
		if err != nil {
			return nil, err
		}
		s.callers = append(s.callers, c)
	}
	return s, nil
}

// MustServer is NewServer for configurations written in the program text.
func MustServer(cfg ServerConfig) *Server {
	s, err := NewServer(cfg)
	if err != nil {
		panic(err)
	}
	return s
}

// SetServiceTime changes the service time from now on: a dependency that
// slows down (a full disk, a lock, garbage collection).
func (s *Server) SetServiceTime(d Distribution) { s.service = d }

// Stats returns the counters.
func (s *Server) Stats() ServerStats { return s.stats }

// Busy is the number of busy workers; QueueLen the number of waiting requests.
func (s *Server) Busy() int     { return s.busy }
func (s *Server) QueueLen() int { return len(s.queue) }

// Callers are the callers of the server's dependencies, in config order.
func (s *Server) Callers() []*Caller { return s.callers }

// Inspect describes the server for tools.
func (s *Server) Inspect() map[string]string {
	return map[string]string{
		"busy":   strconv.Itoa(s.busy) + "/" + strconv.Itoa(s.cfg.Workers),
		"queue":  strconv.Itoa(len(s.queue)),
		"served": strconv.FormatUint(s.stats.Served, 10),
	}
}

// Start boots the server empty: a restarted server has forgotten its queue.
func (s *Server) Start(env sim.Env) {}

// Receive handles a Request, a finished piece of work, or a dependency's
// answer.
func (s *Server) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	for _, c := range s.callers {
		if c.Receive(env, from, msg) {
			return
		}
	}
	switch m := msg.(type) {
	case Request:
		s.onRequest(env, from, m)
	case workDone:
		s.onWorkDone(env, m)
	}
}

// onRequest admits a request to a worker or the queue, or turns it away.
func (s *Server) onRequest(env sim.Env, from sim.NodeID, req Request) {
	s.stats.Received++
	p := pending{from: from, req: req, arrived: env.Now()}
	if s.shedder != nil && !s.shedder.Admit(req.Priority, s.busy+len(s.queue)) {
		s.stats.Shed++
		s.reply(env, p, Shed, "")
		return
	}
	if s.busy < s.cfg.Workers {
		s.begin(env, p)
		return
	}
	if s.cfg.MaxQueue > 0 && len(s.queue) >= s.cfg.MaxQueue {
		s.stats.Rejected++
		s.reply(env, p, Rejected, "")
		return
	}
	s.queue = append(s.queue, p)
	s.stats.MaxQueue = max(s.stats.MaxQueue, len(s.queue))
}

// begin puts a request on a free worker for its service time.
func (s *Server) begin(env sim.Env, p pending) {
	s.busy++
	s.stats.MaxBusy = max(s.stats.MaxBusy, s.busy)
	s.stats.QueueWait += env.Now().Sub(p.arrived)
	s.next++
	s.jobs[s.next] = &job{pending: p}
	env.SetTimer(max(0, s.service.Sample(env.Rand())), workDone{Job: s.next})
}

// onWorkDone: the worker's own work is done; call the dependencies, if any,
// still holding the worker.
func (s *Server) onWorkDone(env sim.Env, m workDone) {
	j, ok := s.jobs[m.Job]
	if !ok {
		return
	}
	if len(s.callers) == 0 {
		s.complete(env, m.Job, j)
		return
	}
	targets := make([]sim.NodeID, len(s.callers))
	for i, d := range s.cfg.Dependencies {
		targets[i] = d.Target
		if d.Route != nil {
			targets[i] = d.Route(j.req)
		}
		if targets[i] != "" {
			j.waiting++
		}
	}
	if j.waiting == 0 {
		s.complete(env, m.Job, j)
		return
	}
	for i, c := range s.callers {
		to := targets[i]
		if to == "" {
			continue
		}
		id := m.Job
		c.Call(env, to, Request{ID: id, Key: j.req.Key, Priority: j.req.Priority}, func(env sim.Env, r Response) {
			j := s.jobs[id]
			if r.Outcome != OK && j.outcome == OK {
				j.outcome = Failed
			}
			j.waiting--
			if j.waiting == 0 {
				s.complete(env, id, j)
			}
		})
	}
}

// complete answers the request, frees the worker and gives it the oldest
// waiting request.
func (s *Server) complete(env sim.Env, id uint64, j *job) {
	delete(s.jobs, id)
	value := ""
	if j.outcome == OK {
		s.stats.Served++
		if s.cfg.Value != nil {
			value = s.cfg.Value(j.req)
		}
	} else {
		s.stats.Failed++
	}
	s.reply(env, j.pending, j.outcome, value)
	s.busy--
	if len(s.queue) > 0 {
		p := s.queue[0]
		s.queue = s.queue[1:]
		s.begin(env, p)
	}
}

func (s *Server) reply(env sim.Env, p pending, out Outcome, value string) {
	env.Send(p.from, Response{ID: p.req.ID, Caller: p.req.Caller, Attempt: p.req.Attempt, Key: p.req.Key, Value: value, Outcome: out})
}
