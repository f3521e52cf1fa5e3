package tui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	knobs    scenarios.Knobs // the --set values, as given
	// schedule holds the faults injected by key, in order of time. Each is
	// at a whole microsecond, strictly after the event it followed.
	schedule network.Schedule

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

	// faults counts the fault, crash and restart records so far, for
	// NextFault; lastFault is the latest.
	faults    int
	lastFault sim.Record

	// tap, if set, adds a tracer to every rebuilt run (tests hash the
	// session's trace with it).
	tap func() sim.Tracer
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
	return NewSessionKnobs(s, seed, nil)
}

// NewSessionKnobs is NewSession with knobs set, as `dsim tui --set` does.
func NewSessionKnobs(s scenarios.Scenario, seed uint64, knobs scenarios.Knobs) (*Session, error) {
	ss := &Session{scenario: s, seed: seed, knobs: knobs}
	if err := ss.rebuild(); err != nil {
		return nil, err
	}
	return ss, nil
}

// Scenario is the scenario being stepped.
func (s *Session) Scenario() scenarios.Scenario { return s.scenario }

// Seed is the run's seed.
func (s *Session) Seed() uint64 { return s.seed }

// Schedule is the faults injected so far, as `dsim run --schedule` reads them.
func (s *Session) Schedule() network.Schedule { return append(network.Schedule(nil), s.schedule...) }

// World is the world as it stands after Events() events. Look, don't touch:
// changing it behind the session's back breaks replay.
func (s *Session) World() *sim.World { return s.run.World }

// Net is the run's network model, or nil if the scenario has none.
func (s *Session) Net() *network.Model { return s.run.Net }

// End is the virtual time the run stops at.
func (s *Session) End() time.Duration { return s.end }

// Events is how many events have run.
func (s *Session) Events() uint64 { return s.run.World.Stats().Events }

// rebuild sets the run up afresh from the seed and the schedule, at event 0.
func (s *Session) rebuild() error {
	s.logNext, s.logCount = 0, 0
	s.faults, s.lastFault = 0, sim.Record{}
	s.timers = map[uint64]timerSet{}
	tracer := sim.Tracer(sim.TracerFunc(s.trace))
	if s.tap != nil {
		tracer = sim.Tee(tracer, s.tap())
	}
	run, err := scenarios.Start(s.scenario, scenarios.Options{Seed: s.seed, Schedule: s.schedule, Tracer: tracer, Knobs: s.knobs})
	if err != nil {
		return err
	}
	s.run, s.end = run, run.For
	return nil
}

// trace keeps what the view needs from each record.
func (s *Session) trace(r *sim.Record) {
	switch r.Kind {
	case sim.KindFault, sim.KindCrash, sim.KindRestart:
		s.faults++
		s.lastFault = *r
	}
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
	s.logNext = (s.logNext + 1) % logSize
	s.logCount = min(s.logCount+1, logSize)
}

// Log returns up to n of the latest log lines, oldest first, in the format
// of `dsim run`.
func (s *Session) Log(n int) []string {
	n = min(n, s.logCount)
	out := make([]string, 0, n)
	for i := n; i > 0; i-- {
		r := &s.log[(s.logNext-i+logSize)%logSize]
		out = append(out, r.String())
	}
	return out
}

// timerStart reports when live timer id was set.
func (s *Session) timerStart(id uint64) (time.Duration, bool) {
	t, ok := s.timers[id]
	return t.at, ok
}

// Done reports whether the run is over: nothing left to do before its end,
// or the scenario's own Done condition holds.
func (s *Session) Done() bool {
	if s.run.Done != nil && s.run.Done() {
		return true
	}
	next, ok := s.run.World.NextAt()
	return !ok || next > s.end
}

// Step runs one event, never past the run's end, exactly as
// scenarios.Run.Complete would. It reports false when the run is over.
func (s *Session) Step() bool {
	return s.stepWithin(s.end)
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

// GoTo re-executes the run to event k (or its end, if it has fewer).
// Going forward just steps on; going back rebuilds from the seed.
func (s *Session) GoTo(k uint64) error {
	if k < s.Events() {
		if err := s.rebuild(); err != nil {
			return err
		}
	}
	for s.Events() < k && s.Step() {
	}
	return nil
}

// RunTo runs to virtual time at (or the run's end): every event due by
// then has run. Going back re-executes from the seed.
func (s *Session) RunTo(at time.Duration) error {
	if at < s.run.World.Now() {
		if err := s.rebuild(); err != nil {
			return err
		}
	}
	for s.stepWithin(min(at, s.end)) {
	}
	return nil
}

// NextFault runs to the next fault, crash or restart (the scenario's own
// or an injected one) and returns its record; false if the run ended
// first.
func (s *Session) NextFault() (sim.Record, bool) {
	before := s.faults
	for s.faults == before {
		if !s.Step() {
			return sim.Record{}, false
		}
	}
	return s.lastFault, true
}

// ToEnd runs the rest of the run.
func (s *Session) ToEnd() {
	for s.Step() {
	}
}

// Back steps back one event, by re-execution. It reports false at event 0.
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
	now := s.run.World.Now()
	at := (now/time.Microsecond + 1) * time.Microsecond
	if at > s.end {
		return 0, fmt.Errorf("%w at %v: no fault can happen after it", ErrEnd, s.end)
	}
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
		return 0, err
	}
	for s.stepWithin(at) {
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
	b.WriteString(s.schedule.String())
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("saving the schedule: %w", err)
	}
	return path, nil
}
