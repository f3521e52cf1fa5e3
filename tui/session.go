package tui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

// logSize is how many trace lines the session keeps for the scrolling log.
const logSize = 256

// Session is one scenario being stepped through: a seed, the faults
// injected so far, and how many events have run. It knows nothing about
// terminals; Model draws it.
//
// Its state is always the result of one recipe: set the scenario up with
// Options{Seed, Schedule} exactly as `dsim run NAME --seed N --schedule
// FILE` does, then take Events() steps. Stepping back re-executes that
// recipe with one step fewer, and injecting a fault adds it to Schedule and
// re-executes. So what you see in the TUI is, event for event, the run that
// the saved schedule replays.
type Session struct {
	scenario scenarios.Scenario
	seed     uint64
	// schedule holds the faults injected by key, in order of time. Each is
	// at a whole microsecond, strictly after the event it followed.
	schedule network.Schedule
	// broken and knobs are the run's --broken variant and --set values,
	// kept by Save so the schedule replays the same run.
	broken string
	knobs  scenarios.Knobs

	run *scenarios.Run
	end time.Duration // the run's virtual length

	// log keeps the latest readable trace records (as `dsim run` prints
	// them, without sends and timer bookkeeping): log[(logNext-1)%logSize]
	// is the newest, logCount how many there are.
	log      [logSize]sim.Record
	logNext  int
	logCount int
	// timers maps each live timer to when it was set, for the countdown
	// bars; Pending says when it fires.
	timers map[uint64]timerSet

	// tap, if set, adds a tracer to every rebuilt run (tests hash the
	// session's trace with it).
	tap func() sim.Tracer

	// Checkpoints for stepping back (see frame.go). frames are the kept
	// frames of consecutive events, oldest first, at most framesKept; when
	// there are any, the newest is the live world's current event. cursor
	// is the frame shown after stepping back (nil: the live world is
	// shown), always one of frames.
	frames []*frame
	cursor *frame
	// live caches the live world's frame for drawing.
	live *frame
	// rendered caches log[i].String(), "" until asked for.
	rendered [logSize]string
}

type timerSet struct {
	node sim.NodeID
	at   time.Duration
}

// ErrNoNetwork is returned when a fault is injected into a scenario that
// has no simulated network to play a schedule on.
var ErrNoNetwork = errors.New("this scenario has no simulated network: faults cannot be injected")

// ErrEnd is returned when a fault would land after the run's end.
var ErrEnd = errors.New("the run is over")

// NewSession sets scenario up with seed and no injected faults, at event 0.
func NewSession(s scenarios.Scenario, seed uint64) (*Session, error) {
	return NewSessionWith(s, scenarios.Options{Seed: seed})
}

// NewSessionWith sets scenario up with o's seed, schedule (a file given
// with --schedule, a counterexample from dsim explore say), broken variant
// and knobs, at event 0. Faults injected by key go on top of o.Schedule.
func NewSessionWith(s scenarios.Scenario, o scenarios.Options) (*Session, error) {
	ss := &Session{scenario: s, seed: o.Seed, schedule: o.Schedule, broken: o.Broken, knobs: o.Knobs}
	if err := ss.rebuild(); err != nil {
		return nil, err
	}
	return ss, nil
}

// NewSessionKnobs is NewSession with knobs set, as `dsim tui --set` does.
func NewSessionKnobs(s scenarios.Scenario, seed uint64, knobs scenarios.Knobs) (*Session, error) {
	return NewSessionWith(s, scenarios.Options{Seed: seed, Knobs: knobs})
}

// Scenario is the scenario being stepped.
func (s *Session) Scenario() scenarios.Scenario { return s.scenario }

// Seed is the run's seed.
func (s *Session) Seed() uint64 { return s.seed }

// Schedule is the faults injected so far, as `dsim run --schedule` reads them.
func (s *Session) Schedule() network.Schedule { return append(network.Schedule(nil), s.schedule...) }

// World is the world as it stands after Events() events. Look, don't touch:
// changing it behind the session's back breaks replay. After a step back
// the screen shows a kept frame; asking for the world then re-executes the
// run to that event (the screen itself never needs to).
func (s *Session) World() *sim.World {
	if err := s.materialize(); err != nil {
		// The run was set up with these very options before: a rebuild
		// that fails now is a broken invariant, not bad input.
		panic(fmt.Sprintf("tui: re-executing %s seed %d: %v", s.scenario.Name, s.seed, err))
	}
	return s.run.World
}

// Net is the run's network model, or nil if the scenario has none.
func (s *Session) Net() *network.Model {
	s.World() // bring the live world to the event shown
	return s.run.Net
}

// End is the virtual time the run stops at.
func (s *Session) End() time.Duration { return s.end }

// Events is how many events have run, up to the event shown.
func (s *Session) Events() uint64 {
	if s.cursor != nil {
		return s.cursor.events
	}
	return s.run.World.Stats().Events
}

// rebuild sets the run up afresh from the seed and the schedule, at event 0.
func (s *Session) rebuild() error {
	s.frames, s.cursor, s.live = nil, nil, nil
	s.logNext, s.logCount = 0, 0
	s.timers = map[uint64]timerSet{}
	tracer := sim.Tracer(sim.TracerFunc(s.trace))
	if s.tap != nil {
		tracer = sim.Tee(tracer, s.tap())
	}
	run, err := scenarios.Start(s.scenario, scenarios.Options{Seed: s.seed, Schedule: s.schedule, Broken: s.broken, Knobs: s.knobs, Tracer: tracer})
	if err != nil {
		return err
	}
	s.run, s.end = run, run.For
	return nil
}

// trace keeps what the view needs from each record.
func (s *Session) trace(r *sim.Record) {
	switch r.Kind {
	case sim.KindTimerSet:
		s.timers[r.ID] = timerSet{node: r.Node, at: r.At}
	case sim.KindTimer, sim.KindTimerCancel:
		delete(s.timers, r.ID)
	case sim.KindCrash:
		for id, t := range s.timers {
			if t.node == r.Node {
				delete(s.timers, id) // a crash voids the node's timers silently
			}
		}
	}
	switch r.Kind {
	case sim.KindSend, sim.KindTimerSet, sim.KindTimerCancel:
		return // as `dsim run` without --verbose: deliveries and firings tell the story
	}
	s.log[s.logNext] = *r
	s.rendered[s.logNext] = ""
	s.logNext = (s.logNext + 1) % logSize
	s.logCount = min(s.logCount+1, logSize)
}

// Log returns up to n of the latest log lines at the event shown, oldest
// first, in the format of `dsim run`.
func (s *Session) Log(n int) []string {
	if s.cursor != nil {
		l := s.cursor.log
		return l[len(l)-min(n, len(l)):]
	}
	return s.liveLog(n)
}

// liveLog is Log for the live world.
func (s *Session) liveLog(n int) []string {
	n = min(n, s.logCount)
	out := make([]string, 0, n)
	for i := n; i > 0; i-- {
		j := (s.logNext - i + logSize) % logSize
		if s.rendered[j] == "" {
			s.rendered[j] = s.log[j].String()
		}
		out = append(out, s.rendered[j])
	}
	return out
}

// timerStart reports when live timer id was set.
func (s *Session) timerStart(id uint64) (time.Duration, bool) {
	t, ok := s.timers[id]
	return t.at, ok
}

// Done reports whether the run is over at the event shown: nothing left
// to do before its end, or the scenario's own Done condition holds.
func (s *Session) Done() bool {
	if s.cursor != nil {
		return s.cursor.done
	}
	return s.liveDone()
}

func (s *Session) liveDone() bool {
	if s.run.Done != nil && s.run.Done() {
		return true
	}
	next, ok := s.run.World.NextAt()
	return !ok || next > s.end
}

// Step runs one event, never past the run's end, exactly as
// scenarios.Run.Complete would. It reports false when the run is over.
// After a step back it shows the next kept frame instead, until the live
// world's event is reached again.
func (s *Session) Step() bool {
	if s.cursor != nil {
		if next, ok := s.frameAt(s.cursor.events + 1); ok {
			s.cursor = next
			if next == s.frames[len(s.frames)-1] {
				s.cursor = nil // back at the live world
			}
			return true
		}
		if err := s.materialize(); err != nil { // frames always reach the live world; this is a fallback
			return false
		}
	}
	return s.stepLive(s.end, true)
}

// stepLive steps the live world once, within end, and keeps the new
// event's frame if record is set and the kept frames reach the event
// before (so they stay consecutive).
func (s *Session) stepLive(end time.Duration, record bool) bool {
	before := s.run.World.Stats().Events
	attached := len(s.frames) > 0 && s.frames[len(s.frames)-1].events == before
	if !s.stepWithin(end) {
		return false
	}
	if record && attached {
		s.keep(s.capture())
	}
	return true
}

// keep appends f to the kept frames, forgetting the oldest past framesKept.
func (s *Session) keep(f *frame) {
	if len(s.frames) == framesKept {
		copy(s.frames, s.frames[1:])
		s.frames = s.frames[:framesKept-1]
	}
	s.frames = append(s.frames, f)
	s.live = f
}

// advance steps the live world until k events have run (or the run is
// over), keeping the frames of the last framesKept events up to k.
func (s *Session) advance(k uint64) {
	w := s.run.World
	from := uint64(0) // the first event whose frame is kept
	if k >= framesKept {
		from = k - framesKept + 1
	}
	for {
		n := w.Stats().Events
		attached := len(s.frames) > 0 && s.frames[len(s.frames)-1].events == n
		switch {
		case n < from && len(s.frames) > 0:
			s.frames, s.cursor = nil, nil // too far behind to be kept: no need to capture
		case n >= from && !attached:
			s.frames = []*frame{s.capture()} // start keeping frames here
			s.live = s.frames[0]
		}
		if n >= k || !s.stepLive(s.end, n >= from) {
			return
		}
	}
}

// stepWithin runs the next event due at or before end.
func (s *Session) stepWithin(end time.Duration) bool {
	w := s.run.World
	if s.run.Done != nil && s.run.Done() {
		return false
	}
	if w.Now() > end {
		return false
	}
	before := w.Stats().Events
	return w.RunUntil(func() bool {
		return w.Stats().Events > before || (s.run.Done != nil && s.run.Done())
	}, end-w.Now()) && w.Stats().Events > before
}

// GoTo shows event k (or the run's end, if it has fewer events): a kept
// frame if there is one, else the live world stepped on to k, or, to go
// back further than the frames reach, re-executed from the seed to k.
func (s *Session) GoTo(k uint64) error {
	live := s.run.World.Stats().Events
	if f, ok := s.frameAt(k); ok && k <= live {
		s.cursor = f
		if k == live {
			s.cursor = nil
		}
		return nil
	}
	if k < live {
		if err := s.rebuild(); err != nil {
			return err
		}
	}
	s.cursor = nil
	s.advance(k)
	return nil
}

// materialize brings the live world to the event shown, by re-execution if
// a kept frame is shown.
func (s *Session) materialize() error {
	if s.cursor == nil {
		return nil
	}
	k := s.cursor.events
	if err := s.rebuild(); err != nil {
		return err
	}
	s.advance(k)
	return nil
}

// Back steps back one event. Within the kept frames it costs nothing;
// further back it re-executes the run once, which keeps the frames of the
// framesKept events before the new position. It reports false at event 0.
func (s *Session) Back() (bool, error) {
	k := s.Events()
	if k == 0 {
		return false, nil
	}
	return true, s.GoTo(k - 1)
}

// Inject adds action to the session's schedule right after the current
// event, and re-executes the run up to and including the instant it
// happens at.
//
// The fault is timed at the next whole microsecond after now. A schedule
// is played from the start of a run (network.Play), so a fault at exactly
// the time of the event just shown would run before it on replay, and
// rewrite what you have already seen; a moment later, it runs after every
// event so far, both here and in `dsim run --schedule`. Any faults injected
// earlier but timed after now (you had stepped back) are dropped: a new
// fault starts a new future, as in an editor's undo history.
func (s *Session) Inject(a network.Action) (time.Duration, error) {
	if s.run.Net == nil {
		return 0, ErrNoNetwork
	}
	if err := s.materialize(); err != nil {
		return 0, err
	}
	now := s.run.World.Now()
	at := (now/time.Microsecond + 1) * time.Microsecond
	if at > s.end {
		return 0, fmt.Errorf("%w at %v: no fault can happen after it", ErrEnd, s.end)
	}
	shown := s.Events()
	keep := 0
	for keep < len(s.schedule) && s.schedule[keep].At <= now {
		keep++
	}
	old := s.schedule
	s.schedule = append(s.schedule[:keep:keep], network.Event{At: at, Action: a})
	if err := s.rebuild(); err != nil {
		s.schedule = old
		if rerr := s.rebuild(); rerr != nil {
			return 0, errors.Join(err, rerr)
		}
		s.advance(shown)
		return 0, err
	}
	// Up to the event shown the new run is the old one (the fault comes
	// after it); keep its last frames on the way, then run to the fault.
	s.advance(shown)
	for s.stepLive(at, true) {
	}
	return at, nil
}

// Reseed starts over with another seed and no injected faults.
func (s *Session) Reseed(seed uint64) error {
	s.seed, s.schedule = seed, nil
	return s.rebuild()
}

// ScheduleFile is the file name Save writes to in dir.
func (s *Session) ScheduleFile(dir string) string {
	return filepath.Join(dir, fmt.Sprintf("%s-seed%d.schedule", s.scenario.Name, s.seed))
}

// ReplayCommand is the command line that replays the saved session.
func (s *Session) ReplayCommand(file string) string {
	return fmt.Sprintf("dsim run %s --seed %d --schedule %s%s", s.scenario.Name, s.seed, file, s.knobs.Flags())
}

// Save writes the session's schedule to ScheduleFile(dir) and returns the
// file's path.
func (s *Session) Save(dir string) (string, error) {
	path := s.ScheduleFile(dir)
	var b strings.Builder
	fmt.Fprintf(&b, "# dsim tui session: %s, seed %d, %s injected by key\n", s.scenario.Name, s.seed, faults(len(s.schedule)))
	fmt.Fprintf(&b, "# replay: %s\n", s.ReplayCommand(path))
	if s.broken != "" {
		fmt.Fprintf(&b, "broken %s\n", s.broken)
	}
	keys := make([]string, 0, len(s.knobs))
	for k := range s.knobs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "set %s=%s\n", k, s.knobs[k])
	}
	b.WriteString(s.schedule.String())
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("saving the schedule: %w", err)
	}
	return path, nil
}
