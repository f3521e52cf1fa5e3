package tui

import (
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Stepping back, instantly.
//
// A World cannot be copied (nodes are any Go values; scenarios keep state
// in closures), and a run only goes forward, so the session used to step
// back by re-executing the whole run from the seed with one event fewer:
// at event 20,000 of raft-kv that took tens of milliseconds a key press.
//
// Instead the session keeps checkpoints of what the screen shows, frames,
// for a window of recent events. Stepping back inside the window shows
// the frame; stepping forward again shows the next one, until the live
// world (which stands at the newest frame) is reached. Stepping back past
// the window re-executes the run once, to the event wanted, and records
// the frames of the framesKept events before it on the way: one replay
// buys framesKept instant steps.
//
// Everything the screen reads goes through the frame of the event shown
// (Session.frame). Anything that needs the world itself at a past event
// (World, a fault injected there) brings the live world back to that
// event first, by re-execution, as before.

// framesKept is how many events back a step needs no re-execution.
const framesKept = 512

// frame is everything the screen shows of one event.
type frame struct {
	events   uint64
	now      time.Duration
	done     bool
	nodes    []sim.NodeID
	cards    []card
	inFlight []sim.Pending // messages in flight, earliest first
	// faults are the network's fault lines (nil: no simulated network).
	faults []string
	hasNet bool
	stats  sim.Stats
	log    []string // the newest log lines, up to logSize, oldest first
}

// capture takes the frame of the live world as it stands.
func (s *Session) capture() *frame {
	w := s.run.World
	f := &frame{
		events: w.Stats().Events,
		now:    w.Now(),
		done:   s.liveDone(),
		nodes:  w.Nodes(),
		cards:  cardsOf(s),
		stats:  w.Stats(),
		log:    s.liveLog(logSize),
	}
	for _, p := range w.Pending() {
		if p.Kind == sim.KindDeliver {
			f.inFlight = append(f.inFlight, p)
		}
	}
	if net := s.run.Net; net != nil {
		f.hasNet = true
		lines := strings.Split(strings.TrimSpace(net.String()), "\n")
		f.faults = lines[1:] // the first line is the links' configuration
	}
	return f
}

// frame is what the screen shows now: the frame of the event stepped back
// to, or of the live world's current event.
func (s *Session) frame() *frame {
	if s.cursor != nil {
		return s.cursor
	}
	if s.live == nil || s.live.events != s.run.World.Stats().Events {
		s.live = s.capture()
	}
	return s.live
}

// frameAt finds the kept frame of event k.
func (s *Session) frameAt(k uint64) (*frame, bool) {
	if len(s.frames) == 0 {
		return nil, false
	}
	first := s.frames[0].events
	if k < first || k >= first+uint64(len(s.frames)) {
		return nil, false
	}
	return s.frames[k-first], true
}

// Now is the virtual time of the event shown.
func (s *Session) Now() time.Duration { return s.frame().now }

// Crashed reports whether node id is down at the event shown.
func (s *Session) Crashed(id sim.NodeID) bool {
	for _, c := range s.frame().cards {
		if c.id == id {
			return c.role == "crashed"
		}
	}
	return false
}

// Nodes lists the nodes at the event shown, in the order they were added.
func (s *Session) Nodes() []sim.NodeID { return s.frame().nodes }
