package network

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// LinkConfig is how one directed link behaves. The zero value is a reliable
// FIFO link with a constant 1ms delay.
type LinkConfig struct {
	// Latency is the one-way delay; nil means Constant(time.Millisecond).
	Latency Latency
	// Loss is the probability, in [0, 1], that a message is lost.
	Loss float64
	// Duplicate is the probability, in [0, 1], that a message arrives twice.
	Duplicate float64
	// Reorder lets messages overtake each other. A link without it is FIFO,
	// like a TCP connection: no message arrives before one sent earlier on
	// the same directed link, whatever latencies were drawn.
	Reorder bool
	// Bandwidth in bytes per second; 0 means unlimited. A message occupies
	// the link for size/Bandwidth before its latency starts, and waits for
	// the messages queued before it, so a burst spreads out in time.
	Bandwidth int64
}

// Config sets up a Model. The zero value works: every link reliable, FIFO,
// with a constant 1ms delay.
type Config struct {
	// Link is the behaviour of every link not overridden with Model.SetLoss
	// and friends. Model.Reset returns to it.
	Link LinkConfig
	// MessageSize is the size in bytes assumed, for bandwidth, of a message
	// without a Size() int method; 0 means 256.
	MessageSize int
}

// Link names a directed link, from From to To. The zero value, AllLinks,
// means every link.
type Link struct{ From, To sim.NodeID }

// AllLinks is the Link that stands for every link.
var AllLinks = Link{}

func (l Link) String() string {
	if l == AllLinks {
		return "all links"
	}
	return string(l.From) + "->" + string(l.To)
}

func (l Link) check() error {
	if (l.From == "") != (l.To == "") {
		return fmt.Errorf("link %q -> %q: name both ends, or neither for all links", l.From, l.To)
	}
	return nil
}

// Model is the simulated network: sim.LinkModel (the fate of each message),
// sim.ClockModel (each node's clock) and sim.Attacher (it writes every fault
// change into the world's trace). Hand one to sim.Config.Network; a Model
// serves a single World.
//
// Faults are changed with the methods below, from a test, a scenario, the
// TUI or a nemesis playing a Schedule. Like the World, a Model is not safe
// for concurrent use.
type Model struct {
	w    *sim.World
	base Config     // as configured, for Reset
	def  LinkConfig // current behaviour of links without overrides; Latency != nil
	size int        // message size when a message does not say

	// Nodes get a dense index on first sight, so per-link state is a slice.
	index map[sim.NodeID]int32
	ids   []sim.NodeID
	nodes []nodeState
	// links[from*stride+to] is the directed link from→to; stride >= len(nodes).
	// Past denseNodes nodes the table would take memory in the square of
	// the node count, so sparse holds the links instead, each made when
	// first used (a 10,000-node gossip world touches a few per node).
	links  []linkState
	stride int
	sparse map[int64]*linkState

	// blocked counts the reachability faults in force (partition, cuts,
	// isolations); while it is zero Route skips those checks.
	blocked     int
	partitioned bool
	// clocked counts nodes whose clock is not true time; while it is zero
	// LocalTime and TimerDelay are the identity.
	clocked int
	// dropAny is how many of the next messages, on any link, DropNext has
	// condemned; dropArmed counts those plus every link's dropNext, so
	// Route skips the check while it is zero.
	dropAny   int
	dropArmed int
	// fates are messages whose fate a schedule decided (fate.go).
	fates map[uint64]Fate
	// equivocating counts the nodes that equivocate (Equivocate); while it
	// is zero Route skips the check. equivocation rewrites their messages
	// (nil: DefaultEquivocation).
	equivocating int
	equivocation Equivocation
}

type nodeState struct {
	// group is the node's side of the partition: 0 for nodes not named in
	// it, i+1 for the i-th group named. Meaningful while partitioned.
	group    int32
	isolated bool
	slow     Latency // extra delay on every message to or from the node; nil: none
	// equivocate makes the node Byzantine: its messages are rewritten per
	// destination (Equivocate).
	equivocate bool

	// The clock reads t + offset + (t-since)·ppm/1e6 at true time t: the
	// offset it had at since, plus drift accumulated after. Changing the
	// drift folds the drift so far into offset, so the clock never jumps.
	offset time.Duration
	since  time.Duration
	ppm    int64
}

func (n *nodeState) hasClockFault() bool { return n.offset != 0 || n.ppm != 0 }

type field uint8

const (
	fLatency field = 1 << iota
	fLoss
	fDuplicate
	fReorder
	fBandwidth
)

type linkState struct {
	cut bool
	// set says which fields of over replace the default for this link.
	set  field
	over LinkConfig
	// last is the latest arrival scheduled on this link: a FIFO link never
	// delivers before it. Kept across every configuration change.
	last time.Duration
	// busy is when the link finishes transmitting what was queued (bandwidth).
	busy time.Duration
	// dropNext is how many of the next messages on this link DropNext has
	// condemned.
	dropNext int
}

// New returns a Model configured by cfg, or an error naming the bad field.
func New(cfg Config) (*Model, error) {
	if cfg.Link.Latency == nil {
		cfg.Link.Latency = Constant(time.Millisecond)
	}
	if err := cfg.Link.validate(); err != nil {
		return nil, fmt.Errorf("network: config: %w", err)
	}
	if cfg.MessageSize < 0 {
		return nil, fmt.Errorf("network: config: message size %d is negative", cfg.MessageSize)
	}
	if cfg.MessageSize == 0 {
		cfg.MessageSize = 256
	}
	cfg.Link.Latency = prepare(cfg.Link.Latency)
	return &Model{base: cfg, def: cfg.Link, size: cfg.MessageSize, index: map[sim.NodeID]int32{}}, nil
}

// MustNew is New for configurations written in the program text; it panics
// if cfg is invalid.
func MustNew(cfg Config) *Model {
	m, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return m
}

func (c LinkConfig) validate() error {
	if err := validateLatency(c.Latency); err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	if err := checkProbability("loss", c.Loss); err != nil {
		return err
	}
	if err := checkProbability("duplicate", c.Duplicate); err != nil {
		return err
	}
	if c.Bandwidth < 0 {
		return fmt.Errorf("bandwidth %d is negative", c.Bandwidth)
	}
	return nil
}

func checkProbability(what string, p float64) error {
	if !(p >= 0 && p <= 1) { // also rejects NaN
		return fmt.Errorf("%s probability %v: must lie in [0, 1]", what, p)
	}
	return nil
}

// Attach is called by sim.NewWorld. A Model keeps per-world state (the
// FIFO order of each link), so it refuses a second world.
func (m *Model) Attach(w *sim.World) {
	if m.w != nil && m.w != w {
		panic("network: a Model serves one World; build a new Model for each world")
	}
	m.w = w
}

// ErrNoWorld is wrapped by a fault on a model no world uses: the fault
// would change nothing anyone sees (build the world with the model as its
// Network first).
var ErrNoWorld = errors.New("the network model belongs to no world")

// ErrUnknownNode is wrapped by a fault naming a node the world does not
// have; the error lists the ones it has. It is sim.ErrUnknownNode.
var ErrUnknownNode = sim.ErrUnknownNode

// known checks that the model serves a world and that the world has every
// node in ids, so a typo in a fault is an error instead of a fault that
// silently cuts nobody off.
func (m *Model) known(op string, ids ...sim.NodeID) error {
	if m.w == nil {
		return fmt.Errorf("network: %s: %w", op, ErrNoWorld)
	}
	nodes := m.w.Nodes()
	for _, id := range ids {
		if id != "" && !slices.Contains(nodes, id) {
			return fmt.Errorf("network: %s: %w: %q; the nodes are %s", op, ErrUnknownNode, id, nodeNames(nodes))
		}
	}
	return nil
}

// now is the world's time, or zero before the model is attached.
func (m *Model) now() time.Duration {
	if m.w == nil {
		return 0
	}
	return m.w.Now()
}

// fault records a change in the trace.
func (m *Model) fault(format string, args ...any) {
	if m.w != nil {
		m.w.Fault(format, args...)
	}
}

// node returns the dense index of id, giving it one on first sight.
func (m *Model) node(id sim.NodeID) int32 {
	if i, ok := m.index[id]; ok {
		return i
	}
	i := int32(len(m.ids))
	m.index[id] = i
	m.ids = append(m.ids, id)
	m.nodes = append(m.nodes, nodeState{})
	if len(m.ids) > m.stride && m.sparse == nil {
		m.grow()
	}
	return i
}

// denseNodes is how many nodes the dense link table serves: at most
// denseNodes² link states (a few megabytes).
const denseNodes = 256

// grow doubles the link table's stride, keeping every link's state; past
// denseNodes it moves every link into the sparse map.
func (m *Model) grow() {
	if m.sparse != nil {
		return
	}
	stride := max(8, 2*m.stride)
	if stride > denseNodes {
		m.sparse = map[int64]*linkState{}
		for i := range m.links {
			if l := m.links[i]; l.used() {
				from, to := i/m.stride, i%m.stride
				m.sparse[int64(from)<<32|int64(to)] = &l
			}
		}
		m.links, m.stride = nil, 0
		return
	}
	links := make([]linkState, stride*stride)
	for f := range m.stride {
		copy(links[f*stride:f*stride+m.stride], m.links[f*m.stride:(f+1)*m.stride])
	}
	m.links, m.stride = links, stride
}

func (m *Model) link(from, to int32) *linkState {
	if m.sparse == nil {
		return &m.links[int(from)*m.stride+int(to)]
	}
	k := int64(from)<<32 | int64(to)
	l := m.sparse[k]
	if l == nil {
		l = &linkState{}
		m.sparse[k] = l
	}
	return l
}

// used reports whether the link has any state to keep.
func (l *linkState) used() bool {
	return l.cut || l.set != 0 || l.last != 0 || l.busy != 0 || l.dropNext != 0
}

// eachLink calls f on every link with state, in no particular order: only
// for changes that do not depend on the order, such as clearing a flag.
func (m *Model) eachLink(f func(l *linkState)) {
	for i := range m.links {
		f(&m.links[i])
	}
	for _, l := range m.sparse {
		f(l)
	}
}

// Route decides the fate of one message. It is the hot path: one call per
// message, no allocation, two small map lookups.
func (m *Model) Route(now time.Duration, from, to sim.NodeID, msg sim.Message, rng *rand.Rand) sim.Fate {
	fi, ti := m.node(from), m.node(to)
	l := m.link(fi, ti)
	if m.blocked > 0 {
		if reason := m.blockedBy(fi, ti, l); reason != "" {
			return sim.Fate{Drop: true, Reason: reason}
		}
	}
	if m.dropArmed > 0 && m.takeDrop(l) {
		return sim.Fate{Drop: true, Reason: "drop-next"}
	}
	c := &m.def
	if l.set != 0 {
		c = l.effective(c)
	}
	if c.Loss > 0 && rng.Float64() < c.Loss {
		return sim.Fate{Drop: true, Reason: "loss"}
	}
	start := now
	if c.Bandwidth > 0 {
		start = max(now, l.busy) + m.transmission(msg, c.Bandwidth)
		l.busy = start
	}
	fate := sim.Fate{Delay: m.arrive(l, c, start, fi, ti, rng) - now}
	if c.Duplicate > 0 && rng.Float64() < c.Duplicate {
		fate.Duplicate = true
		fate.DupDelay = m.arrive(l, c, start, fi, ti, rng) - now
	}
	if m.equivocating > 0 && m.nodes[fi].equivocate {
		fate.Msg = m.equivocate(from, to, msg, rng)
	}
	return fate
}

// takeDrop consumes one DropNext aimed at l, or else one aimed at any link,
// and reports whether there was one.
func (m *Model) takeDrop(l *linkState) bool {
	switch {
	case l.dropNext > 0:
		l.dropNext--
	case m.dropAny > 0:
		m.dropAny--
	default:
		return false
	}
	m.dropArmed--
	return true
}

// arrive draws when a message whose transmission ended at start arrives,
// keeping a FIFO link in order.
func (m *Model) arrive(l *linkState, c *LinkConfig, start time.Duration, fi, ti int32, rng *rand.Rand) time.Duration {
	at := start + c.Latency.Sample(rng)
	if s := m.nodes[fi].slow; s != nil {
		at += s.Sample(rng)
	}
	if s := m.nodes[ti].slow; s != nil && ti != fi {
		at += s.Sample(rng)
	}
	if !c.Reorder {
		// Equal arrival times keep send order: the world breaks ties by
		// insertion order.
		at = max(at, l.last)
		l.last = at
	}
	return at
}

// transmission is how long msg occupies a link of bw bytes per second.
func (m *Model) transmission(msg sim.Message, bw int64) time.Duration {
	size := m.size
	if s, ok := msg.(interface{ Size() int }); ok {
		size = max(s.Size(), 0)
	}
	return time.Duration(mulDiv(int64(size), int64(time.Second), bw))
}

func (m *Model) blockedBy(fi, ti int32, l *linkState) string {
	f, t := &m.nodes[fi], &m.nodes[ti]
	switch {
	case f.isolated || t.isolated:
		return "isolated"
	case m.partitioned && f.group != t.group:
		return "partition"
	case l.cut:
		return "cut"
	}
	return ""
}

// effective returns the configuration of a link with overrides: a copy of
// def with the overridden fields replaced, kept in the link's own over.
func (l *linkState) effective(def *LinkConfig) *LinkConfig {
	if l.set&fLatency == 0 {
		l.over.Latency = def.Latency
	}
	if l.set&fLoss == 0 {
		l.over.Loss = def.Loss
	}
	if l.set&fDuplicate == 0 {
		l.over.Duplicate = def.Duplicate
	}
	if l.set&fReorder == 0 {
		l.over.Reorder = def.Reorder
	}
	if l.set&fBandwidth == 0 {
		l.over.Bandwidth = def.Bandwidth
	}
	return &l.over
}

// Partition splits the network into groups that cannot reach each other.
// Nodes named in no group form one more group together, so
// Partition([]sim.NodeID{"n1", "n2"}) cuts n1 and n2 off from everyone else.
// A new partition replaces the previous one; cuts and isolations stay.
func (m *Model) Partition(groups ...[]sim.NodeID) error {
	var all []sim.NodeID
	for _, g := range groups {
		all = append(all, g...)
	}
	if err := m.known("partition", all...); err != nil {
		return err
	}
	seen := map[sim.NodeID]bool{}
	for _, g := range groups {
		if len(g) == 0 {
			return errors.New("network: partition: empty group")
		}
		for _, id := range g {
			if id == "" {
				return errors.New("network: partition: empty node name")
			}
			if seen[id] {
				return fmt.Errorf("network: partition: %s is in two groups", id)
			}
			seen[id] = true
		}
	}
	m.clearPartition()
	for i, g := range groups {
		for _, id := range g {
			m.nodes[m.node(id)].group = int32(i + 1)
		}
	}
	m.partitioned = true
	m.blocked++
	m.fault("partition %s", m.describeGroups())
	return nil
}

func (m *Model) clearPartition() {
	if !m.partitioned {
		return
	}
	for i := range m.nodes {
		m.nodes[i].group = 0
	}
	m.partitioned = false
	m.blocked--
}

// describeGroups renders the partition as {n1,n2} | {n3,n4,n5}, the
// unnamed nodes the model or the world knows last.
func (m *Model) describeGroups() string {
	groups := map[int32][]string{}
	for i, id := range m.ids {
		g := m.nodes[i].group
		groups[g] = append(groups[g], string(id))
	}
	if m.w != nil {
		for _, id := range m.w.Nodes() {
			if _, known := m.index[id]; !known {
				groups[0] = append(groups[0], string(id))
			}
		}
	}
	keys := make([]int32, 0, len(groups))
	for g := range groups {
		keys = append(keys, g)
	}
	slices.Sort(keys)
	if len(keys) > 0 && keys[0] == 0 {
		keys = append(keys[1:], 0)
	}
	parts := make([]string, 0, len(keys))
	for _, g := range keys {
		ids := groups[g]
		slices.Sort(ids)
		parts = append(parts, "{"+strings.Join(ids, ",")+"}")
	}
	return strings.Join(parts, " | ")
}

// Cut stops messages from one node to another, one way only: replies still
// flow, which is what makes asymmetric faults so confusing.
func (m *Model) Cut(from, to sim.NodeID) error {
	if from == "" || to == "" {
		return errors.New("network: cut: empty node name")
	}
	if err := m.known("cut", from, to); err != nil {
		return err
	}
	l := m.link(m.node(from), m.node(to))
	if !l.cut {
		l.cut = true
		m.blocked++
	}
	m.fault("cut %s -> %s", from, to)
	return nil
}

// Isolate cuts a node off from every other node, both ways.
func (m *Model) Isolate(id sim.NodeID) error {
	if id == "" {
		return errors.New("network: isolate: empty node name")
	}
	if err := m.known("isolate", id); err != nil {
		return err
	}
	n := &m.nodes[m.node(id)]
	if !n.isolated {
		n.isolated = true
		m.blocked++
	}
	m.fault("isolate %s", id)
	return nil
}

// Heal ends the partition, every cut and every isolation. Loss, latency and
// other link settings stay; Reset undoes those too.
func (m *Model) Heal() {
	m.clearPartition()
	m.eachLink(func(l *linkState) { l.cut = false })
	for i := range m.nodes {
		m.nodes[i].isolated = false
	}
	m.blocked = 0
	m.fault("heal")
}

// Reset heals the network and returns every link to the configured
// behaviour: loss, duplication, latency, ordering and bandwidth overrides
// are dropped, slow nodes are fast again and equivocating nodes honest
// again. Clocks are not touched: a skew
// is not a network fault, and turning it back would make clocks jump.
func (m *Model) Reset() {
	m.clearPartition()
	m.eachLink(func(l *linkState) {
		l.cut = false
		l.set = 0
		l.over = LinkConfig{}
	})
	for i := range m.nodes {
		m.nodes[i].isolated = false
		m.nodes[i].slow = nil
		m.nodes[i].equivocate = false
	}
	m.equivocating = 0
	m.blocked = 0
	m.def = m.base.Link
	m.disarmDrops()
	m.fault("reset")
}

// DropNext condemns the next message sent on link l (or on any link, for
// AllLinks): it is lost, with the reason "drop-next". A message that a
// partition, cut or isolation stops anyway does not count. Calls add up:
// two calls drop the next two messages. Reset cancels drops not yet taken;
// Heal does not.
//
// This is the fault a debugger wants: not a loss rate, but this one
// message, so you can watch what the protocol does without it.
func (m *Model) DropNext(l Link) error {
	if err := l.check(); err != nil {
		return fmt.Errorf("network: drop-next: %w", err)
	}
	if l == AllLinks {
		m.dropAny++
	} else {
		m.link(m.node(l.From), m.node(l.To)).dropNext++
	}
	m.dropArmed++
	m.fault("drop-next on %s", l)
	return nil
}

func (m *Model) disarmDrops() {
	m.eachLink(func(l *linkState) { l.dropNext = 0 })
	m.dropAny, m.dropArmed = 0, 0
}

// setField applies a link setting to one link, or to every link (dropping
// that field's per-link overrides).
func (m *Model) setField(l Link, f field, set func(c *LinkConfig)) error {
	if err := l.check(); err != nil {
		return err
	}
	if l == AllLinks {
		set(&m.def)
		m.eachLink(func(l *linkState) { l.set &^= f })
		return nil
	}
	ls := m.link(m.node(l.From), m.node(l.To))
	set(&ls.over)
	ls.set |= f
	return nil
}

// SetLoss makes link l (or AllLinks) lose each message with probability p.
func (m *Model) SetLoss(l Link, p float64) error {
	if err := checkProbability("loss", p); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if err := m.setField(l, fLoss, func(c *LinkConfig) { c.Loss = p }); err != nil {
		return fmt.Errorf("network: loss: %w", err)
	}
	m.fault("loss %s on %v", formatFloat(p), l)
	return nil
}

// SetDuplicate makes link l (or AllLinks) deliver each message twice with
// probability p.
func (m *Model) SetDuplicate(l Link, p float64) error {
	if err := checkProbability("duplicate", p); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if err := m.setField(l, fDuplicate, func(c *LinkConfig) { c.Duplicate = p }); err != nil {
		return fmt.Errorf("network: duplicate: %w", err)
	}
	m.fault("duplicate %s on %v", formatFloat(p), l)
	return nil
}

// SetLatency changes the delay distribution of link l (or AllLinks).
func (m *Model) SetLatency(l Link, lat Latency) error {
	if err := validateLatency(lat); err != nil {
		return fmt.Errorf("network: latency: %w", err)
	}
	lat = prepare(lat)
	if err := m.setField(l, fLatency, func(c *LinkConfig) { c.Latency = lat }); err != nil {
		return fmt.Errorf("network: latency: %w", err)
	}
	m.fault("latency %v on %v", lat, l)
	return nil
}

// SetReorder lets messages on link l (or AllLinks) overtake each other, or,
// with on false, makes the link FIFO again.
func (m *Model) SetReorder(l Link, on bool) error {
	if err := m.setField(l, fReorder, func(c *LinkConfig) { c.Reorder = on }); err != nil {
		return fmt.Errorf("network: reorder: %w", err)
	}
	if on {
		m.fault("reordering on %v", l)
	} else {
		m.fault("fifo on %v", l)
	}
	return nil
}

// SetBandwidth limits link l (or AllLinks) to bytesPerSecond; 0 removes the
// limit.
func (m *Model) SetBandwidth(l Link, bytesPerSecond int64) error {
	if bytesPerSecond < 0 {
		return fmt.Errorf("network: bandwidth %d is negative", bytesPerSecond)
	}
	if err := m.setField(l, fBandwidth, func(c *LinkConfig) { c.Bandwidth = bytesPerSecond }); err != nil {
		return fmt.Errorf("network: bandwidth: %w", err)
	}
	m.fault("bandwidth %d B/s on %v", bytesPerSecond, l)
	return nil
}

// Slow makes a node a gray failure: it still answers, but every message to
// or from it takes extra, drawn from the given distribution, on top of the
// link's latency. Slow(id, nil) or a zero Constant makes it normal again.
func (m *Model) Slow(id sim.NodeID, extra Latency) error {
	if id == "" {
		return errors.New("network: slow: empty node name")
	}
	if c, ok := extra.(Constant); ok && c == 0 {
		extra = nil
	}
	if extra != nil {
		if err := validateLatency(extra); err != nil {
			return fmt.Errorf("network: slow %s: %w", id, err)
		}
	}
	if extra != nil {
		extra = prepare(extra)
	}
	m.nodes[m.node(id)].slow = extra
	if extra == nil {
		m.fault("slow %s off", id)
	} else {
		m.fault("slow %s +%v", id, extra)
	}
	return nil
}

// Skew sets node id's clock to read true time plus offset, from now on (the
// clock steps, as when an operator or NTP sets it). Drift continues from
// here.
func (m *Model) Skew(id sim.NodeID, offset time.Duration) error {
	if id == "" {
		return errors.New("network: skew: empty node name")
	}
	n := &m.nodes[m.node(id)]
	had := n.hasClockFault()
	n.offset, n.since = offset, m.now()
	m.countClock(had, n)
	m.fault("skew %s %s", id, signedDuration(offset))
	return nil
}

// MaxDrift bounds clock drift: a clock faster or slower than true time by a
// million parts per million would stop or run at double speed.
const MaxDrift = 100_000

// Drift makes node id's clock run fast (ppm > 0) or slow (ppm < 0) by ppm
// parts per million from now on: with +200ppm it gains 0.2ms each second,
// and its timers fire early by the same proportion. |ppm| <= MaxDrift.
func (m *Model) Drift(id sim.NodeID, ppm int64) error {
	if id == "" {
		return errors.New("network: drift: empty node name")
	}
	if ppm < -MaxDrift || ppm > MaxDrift {
		return fmt.Errorf("network: drift %s %dppm: must lie in [-%d, %d]", id, ppm, MaxDrift, MaxDrift)
	}
	n := &m.nodes[m.node(id)]
	had := n.hasClockFault()
	now := m.now()
	n.offset = n.read(now) - now
	n.since, n.ppm = now, ppm
	m.countClock(had, n)
	m.fault("drift %s %+dppm", id, ppm)
	return nil
}

func (m *Model) countClock(had bool, n *nodeState) {
	switch has := n.hasClockFault(); {
	case has && !had:
		m.clocked++
	case had && !has:
		m.clocked--
	}
}

// LocalTime is what node id's clock reads at true time now.
func (m *Model) LocalTime(id sim.NodeID, now time.Duration) time.Duration {
	if m.clocked == 0 {
		return now
	}
	i, ok := m.index[id]
	if !ok {
		return now
	}
	return m.nodes[i].read(now)
}

// read is the node's clock at true time t.
func (n *nodeState) read(t time.Duration) time.Duration {
	return t + n.offset + time.Duration(mulDiv(int64(t-n.since), n.ppm, unit))
}

// TimerDelay converts d on node id's clock to true time, about
// d·1e6/(1e6+ppm): a fast clock reaches its deadline early. It is rounded
// up to the first nanosecond at which the node's clock has advanced by d, so
// a node that checks its clock when the timer fires never finds itself a
// nanosecond short of its deadline.
func (m *Model) TimerDelay(id sim.NodeID, d time.Duration) time.Duration {
	if m.clocked == 0 {
		return d
	}
	i, ok := m.index[id]
	if !ok || m.nodes[i].ppm == 0 {
		return d
	}
	n := &m.nodes[i]
	now := m.now()
	real := time.Duration(mulDiv(int64(d), unit, unit+n.ppm))
	for n.read(now+real)-n.read(now) < d { // at most a step or two of rounding
		real++
	}
	return real
}

// String describes the current configuration, one fault per line.
func (m *Model) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "links: %s\n", describeLink(&m.def, fLatency|fLoss|fDuplicate|fReorder|fBandwidth))
	order := slices.Clone(m.ids)
	slices.Sort(order)
	for _, from := range order {
		for _, to := range order {
			l := m.link(m.index[from], m.index[to])
			if l.set != 0 {
				fmt.Fprintf(&b, "link %s->%s: %s\n", from, to, describeLink(&l.over, l.set))
			}
		}
	}
	if m.partitioned {
		fmt.Fprintf(&b, "partition %s\n", m.describeGroups())
	}
	for _, from := range order {
		for _, to := range order {
			if m.link(m.index[from], m.index[to]).cut {
				fmt.Fprintf(&b, "cut %s -> %s\n", from, to)
			}
		}
	}
	if m.dropAny > 0 {
		fmt.Fprintf(&b, "drop-next on all links (%d)\n", m.dropAny)
	}
	for _, from := range order {
		for _, to := range order {
			if k := m.link(m.index[from], m.index[to]).dropNext; k > 0 {
				fmt.Fprintf(&b, "drop-next on %s->%s (%d)\n", from, to, k)
			}
		}
	}
	for _, id := range order {
		n := &m.nodes[m.index[id]]
		if n.isolated {
			fmt.Fprintf(&b, "isolated %s\n", id)
		}
		if n.slow != nil {
			fmt.Fprintf(&b, "slow %s +%v\n", id, n.slow)
		}
		if n.hasClockFault() {
			fmt.Fprintf(&b, "clock %s: offset %s at %v, drift %+dppm\n", id, signedDuration(n.offset), n.since, n.ppm)
		}
	}
	return b.String()
}

func describeLink(c *LinkConfig, fields field) string {
	var parts []string
	if fields&fLatency != 0 {
		parts = append(parts, "latency "+c.Latency.String())
	}
	if fields&fLoss != 0 {
		parts = append(parts, "loss "+formatFloat(c.Loss))
	}
	if fields&fDuplicate != 0 {
		parts = append(parts, "duplicate "+formatFloat(c.Duplicate))
	}
	if fields&fReorder != 0 {
		if c.Reorder {
			parts = append(parts, "reordering")
		} else {
			parts = append(parts, "fifo")
		}
	}
	if fields&fBandwidth != 0 {
		if c.Bandwidth == 0 {
			parts = append(parts, "bandwidth unlimited")
		} else {
			parts = append(parts, fmt.Sprintf("bandwidth %d B/s", c.Bandwidth))
		}
	}
	return strings.Join(parts, ", ")
}

func formatFloat(p float64) string { return strconv.FormatFloat(p, 'g', -1, 64) }

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// signedDuration prints a duration with its sign: +50ms, -1s, +0s.
func signedDuration(d time.Duration) string {
	if d < 0 {
		return d.String()
	}
	return "+" + d.String()
}
