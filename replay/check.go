package replay

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
)

// Run is one process's run in a recording: its start and what followed.
type Run struct {
	Start Line
	// Events are the inputs in order, each with the outputs it caused.
	// Events[0] is the node's Start (Kind "start").
	Events []Event
}

// Event is one input and the outputs the live node produced for it.
type Event struct {
	Line // the input (or the start)
	Outs []string
	// LineNo is the input's line in the file, from 1.
	LineNo int
}

// ErrBadRecording is wrapped by errors about a file that is not a
// recording: the replay did not run.
var ErrBadRecording = errors.New("not a readable recording")

// Read parses a recording.
func Read(rd io.Reader) ([]Run, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	var runs []Run
	for n := 1; sc.Scan(); n++ {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			// A line cut short (a full disk, a power cut) can only be the
			// last of a run: the file ends, or the next run starts.
			if len(runs) > 0 && (!sc.Scan() || bytes.HasPrefix(sc.Bytes(), []byte(`{"kind":"start"`))) {
				if len(sc.Bytes()) == 0 {
					break
				}
				n++
				if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
					return nil, fmt.Errorf("%w: line %d: %v", ErrBadRecording, n, err)
				}
			} else {
				return nil, fmt.Errorf("%w: line %d: %v", ErrBadRecording, n, err)
			}
		}
		switch l.Kind {
		case "start":
			if l.Cluster == nil || l.Node == "" || l.Protocol == "" {
				return nil, fmt.Errorf("%w: line %d: a start without node, protocol or cluster", ErrBadRecording, n)
			}
			runs = append(runs, Run{Start: l, Events: []Event{{Line: l, LineNo: n}}})
		case "msg", "timer", "self", "out":
			if len(runs) == 0 {
				return nil, fmt.Errorf("%w: line %d: %s before any start", ErrBadRecording, n, l.Kind)
			}
			r := &runs[len(runs)-1]
			if l.Kind == "out" {
				r.Events[len(r.Events)-1].Outs = append(r.Events[len(r.Events)-1].Outs, l.Out)
			} else {
				r.Events = append(r.Events, Event{Line: l, LineNo: n})
			}
		default:
			return nil, fmt.Errorf("%w: line %d: unknown kind %q", ErrBadRecording, n, l.Kind)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRecording, err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("%w: no run in it", ErrBadRecording)
	}
	return runs, nil
}

// Divergence is the first place a replay differed from the recording.
type Divergence struct {
	Run    int // from 1
	Event  Event
	Output int    // from 1
	Want   string // what the live node did ("" if nothing)
	Got    string // what the replayed node did ("" if nothing)
}

func (d *Divergence) Error() string {
	want, got := d.Want, d.Got
	if want == "" {
		want = "nothing more"
	}
	if got == "" {
		got = "nothing more"
	}
	return fmt.Sprintf("run %d, line %d (%s): output %d differs: the live node did %s; the replay did %s",
		d.Run, d.Event.LineNo, describe(d.Event.Line), d.Output, want, got)
}

func describe(l Line) string {
	at := l.At.Format("15:04:05.000000")
	switch l.Kind {
	case "start":
		return "start of " + string(l.Node) + " at " + at
	case "msg":
		var env struct{ Type string }
		json.Unmarshal(l.Msg, &env)
		return fmt.Sprintf("%s from %s at %s", env.Type, l.From, at)
	case "timer":
		return fmt.Sprintf("timer %d at %s", l.Timer, at)
	case "self":
		return fmt.Sprintf("self-send %d at %s", l.Self, at)
	}
	return l.Kind
}

// Factory builds a node from the recording's protocol and cluster, and
// the protocol's registry.
type Factory func(protocol string, c tcp.NodeConfig) (sim.Node, *tcp.Registry, error)

// Report is what Check found.
type Report struct {
	Runs, Events, Outputs int
}

// Check replays every run and returns the first divergence (a
// *Divergence), or an error wrapping ErrBadRecording.
func Check(runs []Run, build Factory) (Report, error) {
	var rep Report
	for i, run := range runs {
		n, err := checkRun(i+1, run, build, nil)
		rep.Runs++
		rep.Events += len(run.Events)
		rep.Outputs += n
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// Step is one replayed event, for a viewer: the node after it, and the
// outputs it produced.
type Step struct {
	Event Event
	Node  sim.Node
	Outs  []string
}

// checkRun replays one run; each step is passed to see (if set) after it
// ran. It returns how many outputs it compared.
func checkRun(runNo int, run Run, build Factory, see func(Step)) (int, error) {
	s := run.Start
	node, reg, err := build(s.Protocol, tcp.NodeConfig{ID: s.Node, Cluster: *s.Cluster})
	if err != nil {
		return 0, fmt.Errorf("%w: run %d: building %s's %s node: %v", ErrBadRecording, runNo, s.Node, s.Protocol, err)
	}
	disk, err := recordedDisk(s)
	if err != nil {
		return 0, fmt.Errorf("run %d: %w", runNo, err)
	}
	var outs []string
	fx := &effects{reg: reg, rng: newRand(s.Seed), seed: s.Seed, emit: func(o string) { outs = append(outs, o) }}
	fx.reset()
	base := &replayEnv{id: s.Node, peers: slices.Clone(s.Peers), disk: disk}
	compared := 0
	for _, ev := range run.Events {
		outs = outs[:0]
		env := fx.env(base, ev.At)
		switch ev.Kind {
		case "start":
			node.Start(env)
		case "msg":
			msg, err := reg.Decode(ev.Msg)
			if err != nil {
				return compared, fmt.Errorf("%w: run %d, line %d: %v", ErrBadRecording, runNo, ev.LineNo, err)
			}
			node.Receive(env, ev.From, msg)
		case "timer":
			msg, ok := fx.timers[ev.Timer]
			if !ok {
				return compared, &Divergence{Run: runNo, Event: ev, Output: 0, Want: fmt.Sprintf("a timer numbered %d, which fired", ev.Timer), Got: fmt.Sprintf("only %d timers", fx.nextTimer)}
			}
			node.Receive(env, s.Node, msg)
		case "self":
			msg, ok := fx.selfs[ev.Self]
			if !ok {
				return compared, &Divergence{Run: runNo, Event: ev, Output: 0, Want: fmt.Sprintf("a self-send numbered %d", ev.Self), Got: fmt.Sprintf("only %d self-sends", fx.nextSelf)}
			}
			node.Receive(env, s.Node, msg)
		}
		if see != nil {
			see(Step{Event: ev, Node: node, Outs: slices.Clone(outs)})
		}
		for i := range max(len(outs), len(ev.Outs)) {
			var want, got string
			if i < len(ev.Outs) {
				want = ev.Outs[i]
			}
			if i < len(outs) {
				got = outs[i]
			}
			if want != got {
				return compared, &Divergence{Run: runNo, Event: ev, Output: i + 1, Want: want, Got: got}
			}
			compared++
		}
	}
	return compared, nil
}

// replayEnv is the world of a replayed node: nothing it sends goes
// anywhere (the outputs are compared, not delivered), and its timers never
// fire by themselves: the recording says when they fired.
type replayEnv struct {
	id     sim.NodeID
	peers  []sim.NodeID
	disk   sim.Disk
	timers sim.TimerID
}

func (e *replayEnv) ID() sim.NodeID                  { return e.id }
func (e *replayEnv) Peers() []sim.NodeID             { return slices.Clone(e.peers) }
func (e *replayEnv) Now() time.Time                  { return time.Time{} } // fxEnv answers
func (e *replayEnv) Send(sim.NodeID, sim.Message)    {}
func (e *replayEnv) CancelTimer(sim.TimerID)         {}
func (e *replayEnv) Rand() *rand.Rand                { return nil } // fxEnv answers
func (e *replayEnv) Disk() sim.Disk                  { return e.disk }
func (e *replayEnv) Logf(format string, args ...any) {}
func (e *replayEnv) SetTimer(time.Duration, sim.Message) sim.TimerID {
	e.timers++
	return e.timers
}

// recordedDisk is the disk a run started on.
func recordedDisk(s Line) (*sim.MemDisk, error) {
	disk := sim.NewMemDisk()
	for k, v := range s.Disk {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("%w: disk key %q: %v", ErrBadRecording, k, err)
		}
		disk.Put(k, b)
	}
	disk.Sync()
	return disk, nil
}

// newRand is the recorder's random stream for a seed.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
