package replication

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Mode says when the leader acknowledges a write.
type Mode int

// The modes, from fastest to safest.
const (
	Async Mode = iota
	SemiSync
	Sync
)

func (m Mode) String() string {
	switch m {
	case Async:
		return "async"
	case SemiSync:
		return "semi-sync"
	case Sync:
		return "sync"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Config sets up one replica of a replication group.
type Config struct {
	Mode Mode
	// Leader makes this replica the leader of epoch 1 at its first boot.
	Leader bool
	// Group lists every replica of the group, this one included; a leader
	// ships to all the others.
	Group []sim.NodeID
	// ShipEvery is how often a leader sends new entries (default 10ms).
	ShipEvery time.Duration
	// ResendAfter is how long a leader waits for an acknowledgement before
	// shipping unacknowledged entries again (default 100ms).
	ResendAfter time.Duration
}

// ErrConfig is wrapped by Validate's errors.
var ErrConfig = errors.New("replication: bad config")

// Validate says which field is wrong.
func (c Config) Validate() error {
	if c.Mode < Async || c.Mode > Sync {
		return fmt.Errorf("%w: unknown mode %d", ErrConfig, int(c.Mode))
	}
	if len(c.Group) < 2 {
		return fmt.Errorf("%w: Group has %d replicas, want at least 2", ErrConfig, len(c.Group))
	}
	if c.ShipEvery < 0 || c.ResendAfter < 0 {
		return fmt.Errorf("%w: ShipEvery and ResendAfter must not be negative", ErrConfig)
	}
	return nil
}

// Entry is one write in the log. Index counts from 1.
type Entry struct {
	Index uint64
	ID    string // the client's write id
	Key   string
	Value string
	// WrittenAt is the leader's clock when it appended the entry, in
	// nanoseconds since the Unix epoch; followers measure lag against it.
	WrittenAt int64
}

// Write asks the leader to store Key=Value; ID names the write.
type Write struct {
	ID    string
	Key   string
	Value string
}

// WriteAck tells the client its write is stored, as durably as the mode
// promises.
type WriteAck struct {
	ID    string
	Index uint64
}

// NotLeader answers a write sent to a follower.
type NotLeader struct {
	ID     string
	Leader sim.NodeID // the leader this replica knows of, if any
}

// Append ships entries after Prev from the leader of Epoch.
type Append struct {
	Epoch   uint64
	Prev    uint64
	Entries []Entry
}

// String keeps traces short: the range of entries, not their contents.
func (a Append) String() string {
	if len(a.Entries) == 0 {
		return fmt.Sprintf("Append{Epoch:%d Prev:%d}", a.Epoch, a.Prev)
	}
	return fmt.Sprintf("Append{Epoch:%d Prev:%d Entries:%d..%d}", a.Epoch, a.Prev, a.Entries[0].Index, a.Entries[len(a.Entries)-1].Index)
}

// AppendAck tells the leader of Epoch that the follower's log reaches
// Match.
type AppendAck struct {
	Epoch uint64
	Match uint64
}

// Promote tells a follower to become the leader of a new epoch.
type Promote struct{}

type shipTick struct{}

// LagStats sums up how far behind a follower received entries.
type LagStats struct {
	Entries int
	Total   time.Duration
	Max     time.Duration
}

// Mean is the average lag per entry.
func (l LagStats) Mean() time.Duration {
	if l.Entries == 0 {
		return 0
	}
	return l.Total / time.Duration(l.Entries)
}

// pending is a write the leader has stored and not yet acknowledged.
type pending struct {
	index  uint64
	id     string
	client sim.NodeID
}

// Replica is one member of a replication group: a leader or a follower.
type Replica struct {
	cfg Config

	// Persistent: on Disk before anyone hears of it.
	epoch uint64
	log   []Entry // log[i].Index == i+1

	leader bool
	// Leader state, reset at promotion.
	match   map[sim.NodeID]uint64 // highest index each follower has acknowledged; match <= len(log)
	sent    map[sim.NodeID]uint64 // highest index shipped to each follower; match <= sent
	sentAt  map[sim.NodeID]time.Time
	waiting []pending // unacknowledged writes, by index

	// index finds a write's entry by its id, so a retried write is not
	// stored twice.
	index map[string]uint64

	leaderID sim.NodeID // who this follower follows
	lag      LagStats
}

// New returns a replica; use it in a node factory.
func New(cfg Config) *Replica {
	if cfg.ShipEvery == 0 {
		cfg.ShipEvery = 10 * time.Millisecond
	}
	if cfg.ResendAfter == 0 {
		cfg.ResendAfter = 100 * time.Millisecond
	}
	return &Replica{cfg: cfg}
}

// Start loads the log. A replica booting for the first time with
// Config.Leader leads epoch 1; any other boot, a leader's restart included,
// comes back as a follower and waits to hear from a leader: a restarted
// old leader must not take writes beside the one promoted in its place.
func (r *Replica) Start(env sim.Env) {
	r.log, r.index = nil, map[string]uint64{}
	d := env.Disk()
	for _, k := range d.Keys() {
		if !strings.HasPrefix(k, "log/") {
			continue
		}
		var e Entry
		b, _ := d.Get(k)
		if err := json.Unmarshal(b, &e); err != nil || e.Index != uint64(len(r.log))+1 {
			panic(fmt.Sprintf("replication: log record %s is damaged or out of order", k))
		}
		r.log = append(r.log, e)
	}
	if b, ok := d.Get("epoch"); ok {
		r.epoch, _ = strconv.ParseUint(string(b), 10, 64)
		env.Logf("restarted as a follower of epoch %d with %d entries", r.epoch, len(r.log))
		return
	}
	if r.cfg.Leader {
		r.becomeLeader(env, 1)
	}
}

// Receive dispatches on the message type.
func (r *Replica) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Write:
		r.onWrite(env, from, m)
	case Append:
		r.onAppend(env, from, m)
	case AppendAck:
		r.onAppendAck(env, from, m)
	case Promote:
		if !r.leader {
			r.becomeLeader(env, r.epoch+1)
		}
	case shipTick:
		r.ship(env)
		env.SetTimer(r.cfg.ShipEvery, shipTick{})
	}
}

// becomeLeader takes over epoch e: followers will accept entries from this
// replica only once they see e.
func (r *Replica) becomeLeader(env sim.Env, e uint64) {
	r.epoch = e
	env.Disk().Put("epoch", []byte(strconv.FormatUint(e, 10)))
	env.Disk().Sync()
	r.leader, r.leaderID = true, env.ID()
	r.match, r.sent, r.sentAt = map[sim.NodeID]uint64{}, map[sim.NodeID]uint64{}, map[sim.NodeID]time.Time{}
	r.waiting = nil
	if e > 1 {
		// Open the epoch with an entry of its own, as Raft's new leaders
		// do: a follower holding entries past this leader's log finds a
		// different entry at this index and drops its tail.
		r.appendLocal(env, Entry{Index: r.last() + 1, ID: fmt.Sprintf("epoch-%d", e), WrittenAt: env.Now().UnixNano()})
		env.Disk().Sync()
	}
	env.Logf("leader of epoch %d (%s), log at %d", e, r.cfg.Mode, len(r.log))
	r.ship(env)
	env.SetTimer(r.cfg.ShipEvery, shipTick{})
}

func (r *Replica) followers() []sim.NodeID {
	out := make([]sim.NodeID, 0, len(r.cfg.Group))
	for _, id := range r.cfg.Group {
		if id != r.leaderID {
			out = append(out, id)
		}
	}
	return out
}

func (r *Replica) onWrite(env sim.Env, from sim.NodeID, m Write) {
	if !r.leader {
		env.Send(from, NotLeader{ID: m.ID, Leader: r.leaderID})
		return
	}
	if i, dup := r.index[m.ID]; dup {
		// A retry: the write is stored already; answer when it is safe.
		r.waiting = append(r.waiting, pending{index: i, id: m.ID, client: from})
		slices.SortStableFunc(r.waiting, func(a, b pending) int { return cmp.Compare(a.index, b.index) })
		r.acknowledge(env)
		return
	}
	e := Entry{Index: r.last() + 1, ID: m.ID, Key: m.Key, Value: m.Value, WrittenAt: env.Now().UnixNano()}
	r.appendLocal(env, e)
	env.Disk().Sync()
	if r.cfg.Mode == Async {
		// Acknowledged while the entry exists on this machine alone.
		env.Send(from, WriteAck{ID: m.ID, Index: e.Index})
		return
	}
	r.waiting = append(r.waiting, pending{index: e.Index, id: m.ID, client: from})
}

// ship sends each follower the entries it has not been sent, and re-sends
// what has gone unacknowledged for ResendAfter.
func (r *Replica) ship(env sim.Env) {
	now := env.Now()
	for _, f := range r.followers() {
		from := r.sent[f]
		if r.match[f] < r.sent[f] && now.Sub(r.sentAt[f]) >= r.cfg.ResendAfter {
			from = r.match[f]
		}
		if from >= r.last() {
			continue
		}
		env.Send(f, Append{Epoch: r.epoch, Prev: from, Entries: slices.Clone(r.log[from:])})
		r.sent[f], r.sentAt[f] = r.last(), now
	}
}

func (r *Replica) onAppend(env sim.Env, from sim.NodeID, m Append) {
	if m.Epoch < r.epoch {
		env.Send(from, AppendAck{Epoch: r.epoch, Match: r.last()})
		return
	}
	if m.Epoch > r.epoch || r.leaderID != from {
		if r.leader {
			env.Logf("steps down: %s leads epoch %d", from, m.Epoch)
		}
		r.epoch, r.leader, r.leaderID = m.Epoch, false, from
		env.Disk().Put("epoch", []byte(strconv.FormatUint(m.Epoch, 10)))
	}
	if m.Prev > r.last() {
		env.Send(from, AppendAck{Epoch: r.epoch, Match: r.last()}) // a gap: ask for more
		return
	}
	now := env.Now().UnixNano()
	for _, e := range m.Entries {
		if e.Index <= r.last() {
			if r.log[e.Index-1].ID == e.ID {
				continue // have it
			}
			// The new leader never had our tail: its log is the truth.
			env.Logf("drops entries %d..%d the leader of epoch %d does not have", e.Index, r.last(), r.epoch)
			for i := e.Index; i <= r.last(); i++ {
				env.Disk().Delete(logKey(i))
				delete(r.index, r.log[i-1].ID)
			}
			r.log = r.log[:e.Index-1]
		}
		r.appendLocal(env, e)
		lag := time.Duration(now - e.WrittenAt)
		r.lag.Entries++
		r.lag.Total += lag
		r.lag.Max = max(r.lag.Max, lag)
	}
	env.Disk().Sync()
	env.Send(from, AppendAck{Epoch: r.epoch, Match: r.last()})
}

func (r *Replica) onAppendAck(env sim.Env, from sim.NodeID, m AppendAck) {
	if m.Epoch > r.epoch && r.leader {
		// A follower has seen a newer leader: this one was replaced.
		env.Logf("steps down: epoch %d has begun", m.Epoch)
		r.leader, r.waiting = false, nil
		return
	}
	if !r.leader || m.Epoch != r.epoch {
		return
	}
	// A lost Append shows as match lagging sent; ship re-sends it after
	// ResendAfter.
	r.match[from] = max(r.match[from], m.Match)
	r.acknowledge(env)
}

// acknowledge answers every waiting write the mode now allows: stored by
// one follower (semi-sync) or by all (sync).
func (r *Replica) acknowledge(env sim.Env) {
	safe := r.last() // async: stored here is enough
	for i, f := range r.followers() {
		if r.cfg.Mode == Async {
			break
		}
		switch {
		case i == 0:
			safe = r.match[f]
		case r.cfg.Mode == Sync:
			safe = min(safe, r.match[f])
		default:
			safe = max(safe, r.match[f])
		}
	}
	n := 0
	for _, p := range r.waiting {
		if p.index > safe {
			break
		}
		env.Send(p.client, WriteAck{ID: p.id, Index: p.index})
		n++
	}
	r.waiting = r.waiting[n:]
}

func (r *Replica) appendLocal(env sim.Env, e Entry) {
	if e.Index != r.last()+1 {
		panic(fmt.Sprintf("replication: appending entry %d after %d", e.Index, r.last()))
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	env.Disk().Put(logKey(e.Index), b)
	r.log = append(r.log, e)
	r.index[e.ID] = e.Index
}

func logKey(i uint64) string { return fmt.Sprintf("log/%012d", i) }

func (r *Replica) last() uint64 { return uint64(len(r.log)) }

// LastIndex is the index of the last entry in this replica's log.
func (r *Replica) LastIndex() uint64 { return r.last() }

// IsLeader reports whether this replica leads its epoch.
func (r *Replica) IsLeader() bool { return r.leader }

// Epoch is the newest epoch this replica knows.
func (r *Replica) Epoch() uint64 { return r.epoch }

// Entry returns the entry at index i, if the log reaches it.
func (r *Replica) Entry(i uint64) (Entry, bool) {
	if i == 0 || i > r.last() {
		return Entry{}, false
	}
	return r.log[i-1], true
}

// Log returns a copy of the log.
func (r *Replica) Log() []Entry { return slices.Clone(r.log) }

// Lag is how far behind the leader this replica received entries, since it
// last started.
func (r *Replica) Lag() LagStats { return r.lag }

// Inspect shows role, epoch and log length.
func (r *Replica) Inspect() map[string]string {
	role := "follower"
	if r.leader {
		role = "leader"
	}
	return map[string]string{"role": role, "epoch": strconv.FormatUint(r.epoch, 10), "log": strconv.FormatUint(r.last(), 10), "mode": r.cfg.Mode.String()}
}
