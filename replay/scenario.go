package replay

import (
	"fmt"
	"slices"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

// Scenario turns one run of a recording into a scenario the TUI can step
// through (`dsim replay FILE --tui`): the recorded node, rebuilt on its
// recorded disk, in a world where its peers and clients are stand-ins
// that send it, at the recorded times, exactly what it received. Its
// timers fire when the recording says they fired, not by themselves; what
// it sends goes to the stand-ins, which keep quiet, so the screen shows
// the live node's side of the conversation. Virtual time 0 is the run's
// start.
func Scenario(name string, run Run, build Factory) (scenarios.Scenario, error) {
	s := run.Start
	if _, _, err := build(s.Protocol, tcp.NodeConfig{ID: s.Node, Cluster: *s.Cluster}); err != nil {
		return scenarios.Scenario{}, fmt.Errorf("%w: building %s's %s node: %v", ErrBadRecording, s.Node, s.Protocol, err)
	}
	last := run.Events[len(run.Events)-1].At.Sub(s.At)
	return scenarios.Scenario{
		Name:    name,
		Summary: fmt.Sprintf("%s's live %s run, replayed from its recording", s.Node, s.Protocol),
		Doc: fmt.Sprintf(`The run node %s of cluster %q recorded on %s: %d events over %v.
Its peers and clients are stand-ins sending it what it received, at the times it
received it; its timers fire when they fired live.`, s.Node, s.Cluster.Name, s.At.Format(time.RFC3339), len(run.Events), last.Round(time.Millisecond)),
		For:   last + time.Millisecond,
		Setup: func(o scenarios.Options) (*scenarios.Run, error) { return setupReplay(run, build, o) },
	}, nil
}

// quiet is a stand-in: it sends what the recording says and ignores what
// it gets.
type quiet struct{}

func (quiet) Start(sim.Env)                            {}
func (quiet) Receive(sim.Env, sim.NodeID, sim.Message) {}

// replayed is the recorded node in the world: time is the recording's
// (the world's virtual time plus the run's start), random numbers the
// recorded seed's, and timers fire only when the driver says.
type replayed struct {
	inner sim.Node
	fx    *effects
	start time.Time
}

// noTimers is the world's Env minus timers: the recording decides when a
// timer fires.
type noTimers struct {
	sim.Env
	next sim.TimerID
}

func (e *noTimers) SetTimer(time.Duration, sim.Message) sim.TimerID { e.next++; return e.next }
func (e *noTimers) CancelTimer(sim.TimerID)                         {}

func (r *replayed) env(env sim.Env) sim.Env {
	return r.fx.env(&noTimers{Env: env}, r.start.Add(env.Now().Sub(sim.Epoch)))
}

func (r *replayed) Start(env sim.Env) { r.inner.Start(r.env(env)) }

func (r *replayed) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case timerFire:
		if msg, ok := r.fx.timers[m.K]; ok {
			r.inner.Receive(r.env(env), from, msg)
		}
	case selfSend:
		if msg, ok := r.fx.selfs[m.K]; ok {
			r.inner.Receive(r.env(env), from, msg)
		}
	default:
		r.inner.Receive(r.env(env), from, msg)
	}
}

func (r *replayed) Inspect() map[string]string {
	if in, ok := r.inner.(sim.Inspector); ok {
		return in.Inspect()
	}
	return map[string]string{}
}

func setupReplay(run Run, build Factory, o scenarios.Options) (*scenarios.Run, error) {
	s := run.Start
	node, reg, err := build(s.Protocol, tcp.NodeConfig{ID: s.Node, Cluster: *s.Cluster})
	if err != nil {
		return nil, err
	}
	net, err := network.New(network.Config{Link: network.LinkConfig{Latency: network.Constant(0)}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	fx := &effects{reg: reg, emit: func(string) {}}
	fx.reset()
	fx.rng, fx.seed = newRand(s.Seed), s.Seed
	r := &replayed{inner: node, fx: fx, start: s.At}
	disk, err := recordedDisk(s)
	if err != nil {
		return nil, err
	}
	w.AddNode(s.Node, func() sim.Node { return r })
	if d := w.Disk(s.Node); d != nil {
		for _, k := range disk.Keys() {
			v, _ := disk.Get(k)
			d.Put(k, v)
		}
		d.Sync()
	}
	senders := slices.Clone(s.Peers)
	for _, ev := range run.Events {
		if ev.Kind == "msg" && !slices.Contains(senders, ev.From) && ev.From != s.Node {
			senders = append(senders, ev.From)
		}
	}
	for _, id := range senders {
		if slices.Contains(s.Peers, id) {
			w.AddNode(id, func() sim.Node { return quiet{} })
		} else {
			w.AddClient(id, func() sim.Node { return quiet{} })
		}
	}
	for _, ev := range run.Events[1:] {
		at := max(ev.At.Sub(s.At), 0)
		switch ev.Kind {
		case "msg":
			msg, err := reg.Decode(ev.Msg)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrBadRecording, ev.LineNo, err)
			}
			from := ev.From
			w.At(at, func() {
				_ = w.Exec(from, func(_ sim.Node, env sim.Env) { env.Send(s.Node, msg) })
			})
		case "timer":
			k := ev.Timer
			w.At(at, func() {
				_ = w.Exec(s.Node, func(n sim.Node, env sim.Env) {
					w.Logf("%s: timer %d fires (as it did live)", s.Node, k)
					n.Receive(env, s.Node, timerFire{K: k})
				})
			})
		}
		// Self-sends travel the world's network by themselves.
	}
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result {
		return scenarios.Result{Summary: []string{fmt.Sprintf("replayed %d recorded events of %s", len(run.Events), s.Node)}}
	}}, nil
}
