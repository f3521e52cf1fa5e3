package explore

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Instance is one fresh copy of the system under exploration: a world set
// up at time zero (nothing run yet), and the checks to run on it.
type Instance struct {
	World *sim.World
	// Check reports the first safety violation so far, nil while every
	// invariant holds. It is called after every step; scenarios check their
	// invariants in World.AfterStep and return what they found.
	Check func() error
	// Progress reports whether the system made the progress a liveness
	// check waits for (a value chosen, a transaction decided). Optional.
	Progress func() bool
	// Abstract is a digest of the state with what only grows forever
	// (ballot numbers, times) left out, so that a livelock shows as a cycle:
	// the same abstract state again with no progress in between. Optional;
	// liveness is checked only when both Progress and Abstract are set.
	Abstract func() uint64
	// Observers are values that hold state the checks depend on (a safety
	// observer remembering every value ever accepted): they are part of the
	// state, so two runs that reach the same nodes by different histories
	// are kept apart when the history matters.
	Observers []any
}

// Model builds instances. Every call must build the same system, since
// a state is rebuilt by replaying its path on a fresh instance.
type Model struct {
	New func() (*Instance, error)
	// Crashable are the nodes the explorer may crash and restart (within
	// Bounds.Crashes).
	Crashable []sim.NodeID
}

// Bounds limit the search.
type Bounds struct {
	// Depth is the longest path explored, in steps.
	Depth int
	// MaxStates stops the search after this many distinct states.
	MaxStates int
	// Drops, Duplicates and Crashes bound how many messages the network may
	// lose or duplicate, and how many crashes (each followed, if the
	// path goes on, by at most one restart) one path may contain.
	Drops, Duplicates, Crashes int
	// Horizon: no timer or scripted action after this virtual time fires.
	// Zero means no limit.
	Horizon time.Duration
	// Deviations bounds how often one path departs from the default
	// schedule, which delivers the oldest message in flight first (FIFO)
	// and fires a timer only when no message is in flight. Delivering
	// another message first, firing a timer early, a drop, a duplicate, a
	// crash and a restart each count as one. Most bugs need only a few
	// such departures (the idea of delay-bounded scheduling), and the bound
	// keeps deep paths within reach. Zero means no bound: every order.
	Deviations int
}

// Strategy is the order of the search.
type Strategy int

const (
	// BFS explores by depth: its first counterexample is a shortest one.
	BFS Strategy = iota
	// DFS explores depth first with iterative deepening (depth 1, 2, 4, ...
	// up to Bounds.Depth): less memory, and it checks liveness.
	DFS
)

// Config is one search.
type Config struct {
	Model    Model
	Bounds   Bounds
	Strategy Strategy
	// Workers expand states in parallel (BFS); 0 means GOMAXPROCS. The
	// result does not depend on it.
	Workers int
	// Report, if set, is called now and then with the progress so far.
	Report func(Stats)
	// Cache bounds how many materialised states breadth-first search
	// keeps between one level and the next, so that a state is expanded
	// from the instance that found it instead of by replaying its path
	// on a fresh one; every other choice from the state still costs a
	// replay. 0 means DefaultCache; negative, none. It changes the speed
	// and the memory used, never the result.
	Cache int
}

// DefaultCache is Config.Cache's default: a few tens of thousands of small
// worlds, some hundreds of megabytes at most for the scenarios explored.
const DefaultCache = 1 << 14

// Stats is how far a search got.
type Stats struct {
	States   int           // distinct states seen
	Edges    int           // transitions taken
	Depth    int           // deepest level reached
	Frontier int           // states waiting to be expanded
	Elapsed  time.Duration // wall time (the explorer's own, not the model's)
}

// Kind is a kind of step.
type Kind uint8

// The steps the explorer chooses among.
const (
	Advance   Kind = iota + 1 // the next timer or scripted action fires
	Deliver                   // a held message arrives
	Drop                      // a held message is lost
	Duplicate                 // a copy of a held message arrives; the message stays held
	Crash                     // a node crashes
	Restart                   // a crashed node restarts
)

func (k Kind) String() string {
	return [...]string{"?", "advance", "deliver", "drop", "duplicate", "crash", "restart"}[k]
}

// Choice is one step of a path.
type Choice struct {
	Kind Kind
	Msg  uint64     // Deliver, Drop, Duplicate
	Node sim.NodeID // Crash, Restart
}

// Step is a choice as it happened, for printing a counterexample.
type Step struct {
	Choice
	At       time.Duration // when it happened
	From, To sim.NodeID    // the message's link
	What     string        // the message, or the event that fired
}

func (s Step) String() string {
	switch s.Kind {
	case Deliver, Drop, Duplicate:
		return fmt.Sprintf("%-12s %-9s #%d %s -> %s %s", sim.FormatTime(s.At), s.Kind, s.Msg, s.From, s.To, s.What)
	case Crash, Restart:
		return fmt.Sprintf("%-12s %-9s %s", sim.FormatTime(s.At), s.Kind, s.Node)
	}
	return fmt.Sprintf("%-12s %-9s %s", sim.FormatTime(s.At), s.Kind, s.What)
}

// Result is what a search found.
type Result struct {
	Stats
	// Violation is the first safety violation found (nil if none), or
	// ErrLivelock for a cycle without progress.
	Violation error
	// Path is the steps from the initial state to the violation.
	Path []Step
	// Cycle, for a livelock, is where in Path the repeated part starts.
	Cycle int
	// Complete says the search saw every state within the bounds (it did
	// not stop at MaxStates).
	Complete bool
	// Fates and Faults describe Path for a replay through the ordinary
	// simulator: what happened to each message, and the crashes and
	// restarts, at their times (see Schedule in package scenarios' explore
	// support, or network.Fate).
	Fates  []MessageFate
	Faults []Fault
}

// ErrLivelock is the Violation of a run that can cycle forever without
// progress.
var ErrLivelock = errors.New("livelock: the same situation comes back with no progress in between")

// MessageFate is what the path did with one message.
type MessageFate struct {
	Msg    uint64
	Drop   bool
	Arrive time.Duration // when it arrived (or, if it never did, after the path's end)
	Copy   time.Duration // when a duplicate arrived; 0: none
}

// Fault is a crash or restart at a time.
type Fault struct {
	At   time.Duration
	Kind Kind // Crash or Restart
	Node sim.NodeID
}

// tick is how far apart the explorer places the steps it chooses: one
// nanosecond, so no two events ever share a time and a replay orders them
// exactly as the explorer did.
const tick = time.Nanosecond

// node is one state in the search: how to get there, and what it cost.
type node struct {
	parent *node
	choice Choice
	depth  int
	// budget spent on the path so far
	drops, dups, crashes, devs int
	// inst, if not nil, is the state already materialised, kept from the
	// step that found the node so that expanding it needs no replay of its
	// path (see Config.Cache). Whoever expands the node takes it.
	inst *state
}

func (n *node) path() []Choice {
	var out []Choice
	for ; n != nil && n.parent != nil; n = n.parent {
		out = append(out, n.choice)
	}
	slices.Reverse(out)
	return out
}

// Explore searches the model's states within the bounds and returns the
// first violation it finds, or none.
func Explore(cfg Config) (Result, error) {
	if cfg.Model.New == nil {
		return Result{}, errors.New("explore: the model has no New")
	}
	if cfg.Bounds.Depth <= 0 {
		cfg.Bounds.Depth = 20
	}
	if cfg.Bounds.MaxStates <= 0 {
		cfg.Bounds.MaxStates = 1_000_000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Cache == 0 {
		cfg.Cache = DefaultCache
	}
	e := &explorer{cfg: cfg, start: time.Now()}
	var r Result
	var err error
	if cfg.Strategy == DFS {
		r, err = e.dfs()
	} else {
		r, err = e.bfs()
	}
	r.Elapsed = time.Since(e.start)
	return r, err
}

type explorer struct {
	cfg   Config
	start time.Time
}

// state is a materialised node: a world reached by replaying the path.
type state struct {
	in  *Instance
	err error // the violation found on the way, if any
}

// materialize builds a fresh instance and plays path on it. It stops at
// the first violation and reports it in state.err.
func (e *explorer) materialize(path []Choice) (*state, error) {
	in, err := e.cfg.Model.New()
	if err != nil {
		return nil, err
	}
	in.World.Hold(true)
	s := &state{in: in}
	s.settle()
	for _, c := range path {
		if s.err != nil {
			break
		}
		if err := s.apply(c); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// settle runs every event due now (starts, restarts) and checks.
func (s *state) settle() {
	w := s.in.World
	for {
		at, ok := w.NextLive()
		if !ok || at > w.Now() {
			break
		}
		w.Step()
	}
	s.check()
}

func (s *state) check() {
	if s.err == nil && s.in.Check != nil {
		s.err = s.in.Check()
	}
}

// apply takes one step.
func (s *state) apply(c Choice) error {
	w := s.in.World
	next := w.Now() + tick
	switch c.Kind {
	case Advance:
		if !w.Step() {
			return errors.New("explore: advance with nothing to do")
		}
	case Deliver:
		if err := w.Release(c.Msg, next); err != nil {
			return err
		}
		w.Step()
	case Duplicate:
		if err := w.ReleaseCopy(c.Msg, next); err != nil {
			return err
		}
		w.Step()
	case Drop:
		if err := w.Discard(c.Msg, "explorer"); err != nil {
			return err
		}
	case Crash:
		id := c.Node
		w.At(next, func() { w.Crash(id) })
		w.Step()
	case Restart:
		id := c.Node
		w.At(next, func() { w.Restart(id) })
		w.Step()
	}
	s.settle()
	return nil
}

// choices lists what may happen next from s, in a fixed order, the
// default schedule's choice first (see Bounds.Deviations): the oldest
// message in flight, or, with none, the next timer.
func (e *explorer) choices(s *state, n *node) []Choice {
	w := s.in.World
	b := e.cfg.Bounds
	var out []Choice
	at, queued := w.NextLive()
	// A step at now+tick is possible only if nothing queued is due by then:
	// time never runs past a pending timer.
	free := !queued || at > w.Now()+tick
	var held []sim.Held
	if free {
		held = w.Held()
	}
	advance := queued && (b.Horizon == 0 || at <= b.Horizon)
	if len(held) > 0 {
		out = append(out, Choice{Kind: Deliver, Msg: held[0].ID})
	} else if advance {
		out = append(out, Choice{Kind: Advance})
		advance = false
	}
	if b.Deviations > 0 && n.devs >= b.Deviations {
		return out
	}
	if advance {
		out = append(out, Choice{Kind: Advance})
	}
	if !free {
		return out
	}
	for _, h := range held[min(1, len(held)):] {
		out = append(out, Choice{Kind: Deliver, Msg: h.ID})
	}
	if n.drops < b.Drops {
		for _, h := range held {
			out = append(out, Choice{Kind: Drop, Msg: h.ID})
		}
	}
	if n.dups < b.Duplicates {
		for _, h := range held {
			out = append(out, Choice{Kind: Duplicate, Msg: h.ID})
		}
	}
	for _, id := range e.cfg.Model.Crashable {
		if w.Up(id) && n.crashes < b.Crashes {
			out = append(out, Choice{Kind: Crash, Node: id})
		}
		if !w.Up(id) {
			out = append(out, Choice{Kind: Restart, Node: id})
		}
	}
	return out
}

// child is the node one choice below n; the first of n's choices is the
// default schedule's, every other one a deviation.
func child(n *node, c Choice, deviation bool) *node {
	m := &node{parent: n, choice: c, depth: n.depth + 1, drops: n.drops, dups: n.dups, crashes: n.crashes, devs: n.devs}
	if deviation {
		m.devs++
	}
	switch c.Kind {
	case Drop:
		m.drops++
	case Duplicate:
		m.dups++
	case Crash:
		m.crashes++
	}
	return m
}

// fingerprint digests the whole state: every node (up or down, its value,
// the position of its random stream, its disk), the held messages, the queued timers relative to now, the
// time, and the observers.
func fingerprint(s *state) uint64 {
	w := s.in.World
	h := newHasher()
	h.u64(uint64(w.Now()))
	var entries []uint64
	var buf []byte
	for _, id := range w.Nodes() {
		h.str(string(id))
		if !w.Up(id) {
			h.u64(0)
		} else {
			nh := newHasher()
			if f, ok := w.Node(id).(Fingerprinter); ok {
				nh.u64(f.Fingerprint())
			} else {
				nh.value(reflectValue(w.Node(id)))
			}
			h.u64(nh.sum)
			buf = w.AppendRandState(buf[:0], id)
			h.bytes(buf)
		}
		// The disk's entries, each digested on its own and the sums
		// sorted: no sorting of keys, and the same sum in any order.
		entries = entries[:0]
		w.Disk(id).Each(func(k string, v []byte) {
			eh := newHasher()
			eh.str(k)
			eh.bytes(v)
			entries = append(entries, eh.sum)
		})
		slices.Sort(entries)
		h.u64(uint64(len(entries)))
		for _, x := range entries {
			h.u64(x)
		}
	}
	held := w.Held()
	sums := make([]uint64, 0, len(held))
	for _, m := range held {
		mh := newHasher()
		mh.str(string(m.From))
		mh.str(string(m.To))
		mh.value(reflectValue(m.Msg))
		sums = append(sums, mh.sum)
	}
	slices.Sort(sums)
	for _, x := range sums {
		h.u64(x)
	}
	for _, p := range w.Pending() {
		h.u64(uint64(p.Kind))
		h.u64(uint64(p.At - w.Now()))
		h.str(string(p.To))
		ph := newHasher()
		ph.value(reflectValue(p.Msg))
		h.u64(ph.sum)
	}
	for _, o := range s.in.Observers {
		oh := newHasher()
		oh.value(reflectValue(o))
		h.u64(oh.sum)
	}
	return h.sum
}

// visited is the set of fingerprints seen, each with the fewest
// deviations it was reached with: reached again with fewer, a state is
// worth expanding again, since more of the budget is left below it.
type visited struct {
	mu  sync.Mutex
	set map[uint64]int
}

func (v *visited) add(fp uint64, devs int) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if d, ok := v.set[fp]; ok && d <= devs {
		return false
	}
	v.set[fp] = devs
	return true
}

func (v *visited) len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.set)
}

// expansion is what one worker found below one state.
type expansion struct {
	children []*node
	fps      []uint64
	bad      *node // a child whose step broke an invariant
	badErr   error
	edges    int
	err      error
}

// expand materialises n once per choice (the first time from the instance
// kept when n was found, if there is one) and fingerprints each child. Each
// child keeps the instance that reached it, for its own expansion.
func (e *explorer) expand(n *node) expansion {
	var x expansion
	var path []Choice
	s, err := n.inst, error(nil)
	n.inst = nil
	if s == nil {
		path = n.path()
		if s, err = e.materialize(path); err != nil {
			x.err = err
			return x
		}
	}
	cs := e.choices(s, n)
	for i, c := range cs {
		if i > 0 {
			if path == nil {
				path = n.path()
			}
			if s, err = e.materialize(path); err != nil {
				x.err = err
				return x
			}
		}
		if err := s.apply(c); err != nil {
			x.err = err
			return x
		}
		x.edges++
		m := child(n, c, i > 0)
		if s.err != nil {
			x.bad, x.badErr = m, s.err
			return x
		}
		x.children = append(x.children, m)
		x.fps = append(x.fps, fingerprint(s))
		if e.cfg.Cache > 0 {
			m.inst = s
		}
	}
	return x
}

func (e *explorer) bfs() (Result, error) {
	var r Result
	root := &node{}
	s0, err := e.materialize(nil)
	if err != nil {
		return r, err
	}
	seen := &visited{set: map[uint64]int{fingerprint(s0): 0}}
	if s0.err != nil {
		return e.counterexample(root, s0.err, 0)
	}
	level := []*node{root}
	lastReport := time.Now()
	for depth := 0; len(level) > 0 && depth < e.cfg.Bounds.Depth; depth++ {
		r.Depth = depth
		results := make([]expansion, len(level))
		var wg sync.WaitGroup
		next := make(chan int)
		for range e.cfg.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					results[i] = e.expand(level[i])
				}
			}()
		}
		for i := range level {
			next <- i
			if e.cfg.Report != nil && time.Since(lastReport) > time.Second {
				lastReport = time.Now()
				e.cfg.Report(Stats{States: seen.len(), Edges: r.Edges, Depth: depth, Frontier: len(level) - i, Elapsed: time.Since(e.start)})
			}
		}
		close(next)
		wg.Wait()
		var nextLevel []*node
		for _, x := range results { // in the level's order: the result does not depend on the workers
			if x.err != nil {
				return r, x.err
			}
			r.Edges += x.edges
			if x.bad != nil {
				r.States = seen.len()
				res, err := e.counterexample(x.bad, x.badErr, 0)
				res.Stats = r.Stats
				res.Depth = x.bad.depth
				return res, err
			}
			for i, c := range x.children {
				if seen.add(x.fps[i], c.devs) {
					if len(nextLevel) >= e.cfg.Cache {
						c.inst = nil // over the bound: replay it when its turn comes
					}
					nextLevel = append(nextLevel, c)
				} else {
					c.inst = nil
				}
			}
			if seen.len() >= e.cfg.Bounds.MaxStates {
				r.States = seen.len()
				return r, nil
			}
		}
		level = nextLevel
	}
	r.States = seen.len()
	r.Complete = true
	r.Frontier = len(level)
	return r, nil
}

// dfs is depth-first search with iterative deepening. It also looks for
// livelocks when the instance can tell progress and abstract state.
func (e *explorer) dfs() (Result, error) {
	var r Result
	limits := []int{}
	for d := 1; d < e.cfg.Bounds.Depth; d *= 2 {
		limits = append(limits, d)
	}
	limits = append(limits, e.cfg.Bounds.Depth)
	lastReport := time.Now()
	for _, limit := range limits {
		// best remaining depth with which a fingerprint was explored
		seen := map[uint64]int{}
		type frame struct {
			n  *node
			ab uint64
		}
		var found *Result
		var walk func(n *node, s *state, stack []frame) error
		walk = func(n *node, s *state, stack []frame) error {
			if found != nil || len(seen) >= e.cfg.Bounds.MaxStates {
				return nil
			}
			fp := fingerprint(s) ^ uint64(n.devs)*0x9e3779b97f4a7c15
			if left, ok := seen[fp]; ok && left >= limit-n.depth {
				return nil
			}
			seen[fp] = limit - n.depth
			r.States = max(r.States, len(seen))
			r.Depth = max(r.Depth, n.depth)
			if e.cfg.Report != nil && time.Since(lastReport) > time.Second {
				lastReport = time.Now()
				e.cfg.Report(Stats{States: len(seen), Edges: r.Edges, Depth: limit, Elapsed: time.Since(e.start)})
			}
			in := s.in
			if in.Progress != nil && in.Abstract != nil && !in.Progress() {
				ab := in.Abstract()
				for i, f := range stack {
					if f.ab == ab && n.depth > f.n.depth {
						res, err := e.counterexample(n, ErrLivelock, f.n.depth)
						if err != nil {
							return err
						}
						found = &res
						_ = i
						return nil
					}
				}
				stack = append(stack, frame{n, ab})
			} else {
				stack = nil // progress: a cycle must start after it
			}
			if n.depth >= limit {
				return nil
			}
			path := n.path()
			for i, c := range e.choices(s, n) {
				cs := s
				if i > 0 {
					var err error
					if cs, err = e.materialize(path); err != nil {
						return err
					}
				}
				if err := cs.apply(c); err != nil {
					return err
				}
				r.Edges++
				m := child(n, c, i > 0)
				if cs.err != nil {
					res, err := e.counterexample(m, cs.err, 0)
					if err != nil {
						return err
					}
					found = &res
					return nil
				}
				if err := walk(m, cs, stack); err != nil || found != nil {
					return err
				}
			}
			return nil
		}
		s0, err := e.materialize(nil)
		if err != nil {
			return r, err
		}
		if err := walk(&node{}, s0, nil); err != nil {
			return r, err
		}
		if found != nil {
			found.States, found.Edges = r.States, r.Edges
			return *found, nil
		}
		if len(seen) >= e.cfg.Bounds.MaxStates {
			return r, nil
		}
	}
	r.Complete = true
	return r, nil
}

// counterexample replays the path to n once more, recording each step as
// it happens and what became of every message, for printing and replay.
func (e *explorer) counterexample(n *node, violation error, cycle int) (Result, error) {
	path := n.path()
	r := Result{Violation: violation, Cycle: cycle}
	in, err := e.cfg.Model.New()
	if err != nil {
		return r, err
	}
	w := in.World
	w.Hold(true)
	s := &state{in: in}
	s.settle()
	held := map[uint64]sim.Held{}
	note := func() {
		for _, h := range w.Held() {
			held[h.ID] = h
		}
	}
	note()
	fates := map[uint64]*MessageFate{}
	fate := func(id uint64) *MessageFate {
		if f, ok := fates[id]; ok {
			return f
		}
		f := &MessageFate{Msg: id}
		fates[id] = f
		return f
	}
	for _, c := range path {
		st := Step{Choice: c, At: w.Now() + tick}
		switch c.Kind {
		case Deliver, Drop, Duplicate:
			h := held[c.Msg]
			st.From, st.To, st.What = h.From, h.To, describe(h.Msg)
			f := fate(c.Msg)
			switch c.Kind {
			case Deliver:
				if f.Arrive != 0 { // a copy arrived first: it was the original
					f.Copy, f.Arrive = f.Arrive, st.At
				} else {
					f.Arrive = st.At
				}
			case Drop:
				if f.Arrive != 0 { // only the copy arrived: the original was lost
					f.Drop = false
				} else {
					f.Drop = true
				}
			case Duplicate:
				if f.Arrive == 0 {
					f.Arrive = st.At
				} else {
					f.Copy = st.At
				}
			}
		case Crash, Restart:
			r.Faults = append(r.Faults, Fault{At: st.At, Kind: c.Kind, Node: c.Node})
		case Advance:
			at, _ := w.NextLive()
			st.At = at
			st.What = e.nextEvent(w)
		}
		if err := s.apply(c); err != nil {
			return r, err
		}
		note()
		r.Path = append(r.Path, st)
	}
	// Messages still in flight at the end arrive after it, in order.
	end := w.Now() + time.Hour
	for _, h := range w.Held() {
		f := fate(h.ID)
		if f.Arrive == 0 && !f.Drop {
			end += tick
			f.Arrive = end
		}
	}
	ids := make([]uint64, 0, len(fates))
	for id := range fates {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		r.Fates = append(r.Fates, *fates[id])
	}
	r.Depth = len(path)
	return r, nil
}

// nextEvent describes the queued event Advance is about to run.
func (e *explorer) nextEvent(w *sim.World) string {
	at, _ := w.NextLive()
	for _, p := range w.Pending() {
		if p.At == at {
			if p.Kind == sim.KindTimer {
				return fmt.Sprintf("timer at %s %s", p.To, describe(p.Msg))
			}
			return fmt.Sprintf("%s -> %s %s", p.From, p.To, describe(p.Msg))
		}
	}
	return "scripted action"
}

func describe(m sim.Message) string {
	s := fmt.Sprintf("%T%+v", m, m)
	if str, ok := m.(fmt.Stringer); ok {
		// A message that prints itself usually names its type already:
		// raft.RequestVote{Term:4 ...}, not raft.RequestVoteRequestVote{...}.
		typ := fmt.Sprintf("%T", m)
		bare := typ[strings.LastIndexByte(typ, '.')+1:]
		if text := str.String(); strings.HasPrefix(text, bare) {
			s = typ[:len(typ)-len(bare)] + text
		}
	}
	if i := strings.LastIndexByte(s[:strings.IndexByte(s+"{", '{')], '.'); i >= 0 {
		// keep the package name: paxos.Prepare{...}
		if j := strings.LastIndexAny(s[:i], "/*"); j >= 0 {
			s = s[j+1:]
		}
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
