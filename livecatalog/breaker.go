package livecatalog

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/resilience"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

// CallRequest asks a breaker-service frontend to serve Key (`dsim call`):
// it does its own work, then calls the dependency through its circuit
// breaker and bulkhead.
type CallRequest struct {
	ClientID string
	Seq      uint64
	Key      string
}

// CallReply answers it, with the breaker as it stands after the call.
type CallReply struct {
	ClientID string
	Seq      uint64
	Node     sim.NodeID
	Outcome  string // "ok", or "failed" when the dependency call failed
	Value    string
	// Breaker is the frontend's breaker state after the call; History its
	// latest transitions, oldest first ("closed->open", ...).
	Breaker string
	History []string
	// The frontend's dependency calls so far: succeeded, timed out, and
	// failed fast (refused by the open breaker or the full bulkhead,
	// without a request).
	DepOK, DepTimeouts, DepFastFail uint64
	BulkheadInFlight                int
	BulkheadLimit                   int
}

// breakerOptions are breaker-service's options in the cluster file.
type breakerOptions struct {
	Dependency      sim.NodeID `json:"dependency"` // default: the last member
	Timeout         duration   `json:"timeout"`
	Failures        int        `json:"failures"`
	OpenFor         duration   `json:"open_for"`
	MaxConcurrent   int        `json:"max_concurrent"`
	Workers         int        `json:"workers"`
	DependencyDelay duration   `json:"dependency_delay"`
}

func breakerConfig(c tcp.Cluster) (breakerOptions, error) {
	ids := c.IDs()
	o := breakerOptions{Dependency: ids[len(ids)-1], Timeout: duration(200 * time.Millisecond), Failures: 3, OpenFor: duration(2 * time.Second),
		MaxConcurrent: 4, Workers: 16, DependencyDelay: duration(10 * time.Millisecond)}
	if err := decodeOptions(c, &o); err != nil {
		return o, err
	}
	switch _, member := c.Member(o.Dependency); {
	case !member:
		return o, optionError("dependency", "%q is not a member (members: %v)", o.Dependency, ids)
	case len(ids) < 2:
		return o, optionError("dependency", "breaker-service needs a frontend besides the dependency")
	case o.Timeout <= 0:
		return o, optionError("timeout", "%v: want a positive duration such as \"200ms\"", o.Timeout)
	case o.Failures < 1:
		return o, optionError("failures", "%d: want at least 1 (consecutive failures that open the breaker)", o.Failures)
	case o.OpenFor <= 0:
		return o, optionError("open_for", "%v: want a positive duration", o.OpenFor)
	case o.MaxConcurrent < 1:
		return o, optionError("max_concurrent", "%d: want at least 1 call in flight", o.MaxConcurrent)
	case o.Workers < 1:
		return o, optionError("workers", "%d: want at least 1", o.Workers)
	case o.DependencyDelay < 0:
		return o, optionError("dependency_delay", "%v: want a duration, not negative", o.DependencyDelay)
	}
	return o, nil
}

// BreakerFrontends are the members that serve `dsim call`.
func BreakerFrontends(c tcp.Cluster) ([]sim.NodeID, error) {
	o, err := breakerConfig(c)
	if err != nil {
		return nil, err
	}
	var out []sim.NodeID
	for _, id := range c.IDs() {
		if id != o.Dependency {
			out = append(out, id)
		}
	}
	return out, nil
}

// frontendNode is a service.Server with one dependency behind a circuit
// breaker and a bulkhead, speaking to `dsim call`.
type frontendNode struct {
	*service.Server
	limit int
	// history holds the breaker's latest transitions, oldest first, at
	// most historyLen.
	history []string
	now     time.Time // of the latest event, for Inspect
}

const historyLen = 6

type frontendEnv struct {
	sim.Env
	n *frontendNode
}

func (e frontendEnv) Send(to sim.NodeID, msg sim.Message) {
	r, ok := msg.(service.Response)
	if !ok || r.Caller != "call" {
		e.Env.Send(to, msg)
		return
	}
	n := e.n
	c := n.Callers()[0]
	st := c.Stats()
	e.Env.Send(to, CallReply{ClientID: string(to), Seq: r.ID, Node: e.Env.ID(), Outcome: r.Outcome.String(), Value: r.Value,
		Breaker: c.Breaker().State(e.Env.Now()).String(), History: append([]string(nil), n.history...),
		DepOK: st.OK, DepTimeouts: st.Timeouts, DepFastFail: st.FastFail, BulkheadInFlight: c.Bulkhead().InFlight(), BulkheadLimit: n.limit})
}

func (n *frontendNode) Start(env sim.Env) {
	n.now = env.Now()
	n.Server.Start(frontendEnv{env, n})
}

func (n *frontendNode) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	n.now = env.Now()
	if m, ok := msg.(CallRequest); ok {
		msg = service.Request{ID: m.Seq, Caller: "call", Key: m.Key}
	}
	n.Server.Receive(frontendEnv{env, n}, from, msg)
}

func (n *frontendNode) Inspect() map[string]string {
	out := n.Server.Inspect()
	c := n.Callers()[0]
	st := c.Stats()
	out["role"] = "frontend"
	out["breaker"] = c.Breaker().State(n.now).String()
	out["breaker.history"] = strings.Join(n.history, ", ")
	out["bulkhead"] = strconv.Itoa(c.Bulkhead().InFlight()) + "/" + strconv.Itoa(n.limit)
	out["dep.ok"] = strconv.FormatUint(st.OK, 10)
	out["dep.timeouts"] = strconv.FormatUint(st.Timeouts, 10)
	out["dep.failed_fast"] = strconv.FormatUint(st.FastFail, 10)
	return out
}

// dependencyNode is the dependency: a service.Server taking
// dependency_delay per request.
type dependencyNode struct{ *service.Server }

func (d dependencyNode) Inspect() map[string]string {
	out := d.Server.Inspect()
	out["role"] = "dependency"
	return out
}

func newBreakerNode(c tcp.NodeConfig) (sim.Node, error) {
	o, err := breakerConfig(c.Cluster)
	if err != nil {
		return nil, err
	}
	if c.ID == o.Dependency {
		delay := time.Duration(o.DependencyDelay)
		s, err := service.NewServer(service.ServerConfig{Workers: 64, ServiceTime: service.DistributionFunc(func(*rand.Rand) time.Duration { return delay }),
			Value: func(r service.Request) string { return "dependency's answer for " + r.Key }})
		if err != nil {
			return nil, err
		}
		return dependencyNode{s}, nil
	}
	n := &frontendNode{limit: o.MaxConcurrent}
	bc := resilience.BreakerConfig{ConsecutiveFailures: o.Failures, OpenFor: time.Duration(o.OpenFor), HalfOpenProbes: 1,
		OnStateChange: func(t resilience.Transition) {
			n.history = append(n.history, t.From.String()+"->"+t.To.String())
			if len(n.history) > historyLen {
				n.history = n.history[1:]
			}
		}}
	s, err := service.NewServer(service.ServerConfig{Workers: o.Workers, ServiceTime: service.DistributionFunc(func(*rand.Rand) time.Duration { return time.Millisecond }),
		Value: func(r service.Request) string { return "served " + r.Key },
		Dependencies: []service.Dependency{{Target: o.Dependency, CallerConfig: service.CallerConfig{Name: "dep", Timeout: time.Duration(o.Timeout),
			Breaker: &bc, MaxConcurrent: o.MaxConcurrent}}}})
	if err != nil {
		return nil, err
	}
	n.Server = s
	return n, nil
}

func init() {
	Register(tcp.Protocol{
		Name:    "breaker-service",
		Summary: "frontends calling a dependency through a circuit breaker and a bulkhead (service.Server, resilience.Breaker); options dependency, timeout, failures, open_for, max_concurrent",
		Register: func(r *tcp.Registry) error {
			return registerAll(r, []named{
				{"service.Request", service.Request{}},
				{"service.Response", service.Response{}},
				{"breaker.CallRequest", CallRequest{}},
				{"breaker.CallReply", CallReply{}},
			})
		},
		New:            newBreakerNode,
		ClientMessages: []string{"breaker.CallRequest"},
		Try:            []string{"call", "fault drop 1   (every call to the dependency is lost: call again, see timeouts, then the breaker open; fault heal, wait, call)"},
	})
}
