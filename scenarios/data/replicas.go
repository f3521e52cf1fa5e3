package data

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "read-replicas",
		Summary: "seed 001's master/slave: writes to the leader, reads over followers; read throughput grows with followers, lag gives stale reads and read-your-writes violations, fixed by session tokens or reading the leader",
		Chapter: "storage",
		Doc: `Seed 001's master/slave design: every write goes to one leader, which
ships its log to the followers every "lag" (asynchronous replication),
and reads are spread over the followers. A replica serves one read at a
time, 10ms each (100 reads/s), with a queue of 20; a full queue refuses.

Part one, scaling: four groups with 1, 2, 4 and 8 followers, each
offered 1000 requests/s: 950 reads round robin over its followers, 50
writes to its leader.

Part two, consistency: one group with "followers" followers. Three
clients each write their own key and at once read it back:

  any follower    reads from the next follower;
  session token   sends the log position its write got (its session
                  token); a follower that has not applied that far
                  says so, and the client reads the leader instead;
  leader after    reads from the leader for one second after its own
  write           write, from followers otherwise (here every read
                  follows a write, so it always reads the leader).

A fourth client reads the others' keys from followers; a read is stale
if the leader had a newer version before the read was sent.`,
		LookFor: `The scaling table and its curve (dsim plot read-replicas): about 100
reads/s per follower, so 1, 2, 4, 8 followers serve about 100, 200, 400,
800 reads/s — reads scale out, writes do not (every write still goes to
the one leader and to every follower). The consistency table: "any
follower" misses its own write in most reads (a read comes a few ms after
the write, the log ships every 50ms); "session token" and "leader after
write" never do, at the price of reads sent to the leader. The reader of
others' keys sees stale values about as often as the lag is long against
the time between writes. Try --set lag=5ms or --set followers=1.`,
		Knobs: []scenarios.Knob{
			{Name: "lag", Kind: scenarios.KnobDuration, Default: "50ms", Min: float64(time.Millisecond), Max: float64(time.Second), Doc: "how often the leader ships its log to the followers (the replication lag)"},
			{Name: "followers", Kind: scenarios.KnobInt, Default: "3", Min: 1, Max: 8, Doc: "followers of the consistency group (part two)"},
		},
		For:   2 * time.Second,
		Setup: setupReadReplicas,
	})
}

const (
	rrService     = 10 * time.Millisecond
	rrQueue       = 20
	rrOffered     = 1000 // reads/s per scaling group
	rrMeasureFrom = 500 * time.Millisecond
	rrMeasureTo   = 1500 * time.Millisecond
	rrLeaderFor   = time.Second
)

// Messages of the read-replicas scenario.
type (
	RWrite struct {
		Seq        int
		Key, Value string
	}
	// RWriteAck gives the write's log position: the client's session token.
	RWriteAck struct {
		Seq int
		LSN int64
	}
	RRead struct {
		Seq    int
		Key    string
		MinLSN int64 // with a session token: answer only if applied this far
	}
	RReadReply struct {
		Seq     int
		Key     string
		Version int64 // the LSN of the value read (0: none)
		Behind  bool  // the replica had not applied MinLSN
		Refused bool  // the replica's queue was full
		Applied int64 // the replica's applied LSN
	}
	// Ship carries the leader's log entries to a follower.
	Ship      struct{ Entries []rrEntry }
	shipTick  struct{}
	serveNext struct{}
)

type rrEntry struct {
	LSN        int64
	Key, Value string
	At         time.Time
}

// rrReplica is a leader or a follower: a key/value store fed by the
// leader's log, serving reads one at a time from a bounded queue.
type rrReplica struct {
	leader    bool
	followers []sim.NodeID // the leader ships to these
	shipEvery time.Duration
	log       []rrEntry        // the leader's log; a follower keeps what it applied
	data      map[string]int64 // key -> LSN of its value
	shipped   int              // entries of log already shipped (leader)
	queue     []rrPending
	busy      bool
	served    int
	refused   int
	servedAt  []time.Duration // when each read was answered, for throughput
}

type rrPending struct {
	from sim.NodeID
	r    RRead
}

func (n *rrReplica) Start(env sim.Env) {
	n.data = map[string]int64{}
	if n.leader {
		env.SetTimer(n.shipEvery, shipTick{})
	}
}

func (n *rrReplica) applied() int64 { return int64(len(n.log)) }

func (n *rrReplica) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case RWrite:
		e := rrEntry{LSN: n.applied() + 1, Key: m.Key, Value: m.Value, At: env.Now()}
		n.log = append(n.log, e)
		n.data[m.Key] = e.LSN
		env.Send(from, RWriteAck{Seq: m.Seq, LSN: e.LSN})
	case shipTick:
		if n.shipped < len(n.log) {
			for _, f := range n.followers {
				env.Send(f, Ship{Entries: slices.Clone(n.log[n.shipped:])})
			}
			n.shipped = len(n.log)
		}
		env.SetTimer(n.shipEvery, shipTick{})
	case Ship:
		for _, e := range m.Entries {
			if e.LSN == n.applied()+1 {
				n.log = append(n.log, e)
				n.data[e.Key] = e.LSN
			}
		}
	case RRead:
		if len(n.queue) >= rrQueue {
			n.refused++
			env.Send(from, RReadReply{Seq: m.Seq, Key: m.Key, Refused: true})
			return
		}
		n.queue = append(n.queue, rrPending{from, m})
		if !n.busy {
			n.busy = true
			env.SetTimer(rrService, serveNext{})
		}
	case serveNext:
		p := n.queue[0]
		n.queue = n.queue[1:]
		reply := RReadReply{Seq: p.r.Seq, Key: p.r.Key, Applied: n.applied()}
		if p.r.MinLSN > n.applied() {
			reply.Behind = true
		} else {
			reply.Version = n.data[p.r.Key]
		}
		n.served++
		n.servedAt = append(n.servedAt, env.Now().Sub(sim.Epoch))
		env.Send(p.from, reply)
		n.busy = len(n.queue) > 0
		if n.busy {
			env.SetTimer(rrService, serveNext{})
		}
	}
}

// Inspect shows the replica's position and queue.
func (n *rrReplica) Inspect() map[string]string {
	role := "follower"
	if n.leader {
		role = "leader"
	}
	return map[string]string{"role": role, "applied LSN": strconv.FormatInt(n.applied(), 10), "read queue": strconv.Itoa(len(n.queue)),
		"reads served": strconv.Itoa(n.served), "refused": strconv.Itoa(n.refused)}
}

// rrLoad offers reads round robin over the followers at a fixed rate,
// and writes to the leader.
type rrLoad struct {
	leader    sim.NodeID
	followers []sim.NodeID
	every     time.Duration
	seq, next int
}

type loadTick struct{}

func (l *rrLoad) Start(env sim.Env) { env.SetTimer(l.every, loadTick{}) }

func (l *rrLoad) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	if _, ok := msg.(loadTick); !ok {
		return
	}
	l.seq++
	key := "k" + strconv.Itoa(env.Rand().IntN(100))
	if l.seq%20 == 0 {
		env.Send(l.leader, RWrite{Seq: l.seq, Key: key, Value: strconv.Itoa(l.seq)})
	} else {
		l.next = (l.next + 1) % len(l.followers)
		env.Send(l.followers[l.next], RRead{Seq: l.seq, Key: key})
	}
	env.SetTimer(l.every, loadTick{})
}

// rywStrategy is how a client reads back its own writes.
type rywStrategy int

const (
	rywAnyFollower rywStrategy = iota
	rywSessionToken
	rywLeaderAfterWrite
)

func (s rywStrategy) String() string {
	return [...]string{"any follower", "session token", "leader after write"}[s]
}

func (s rywStrategy) key() string { return [...]string{"any", "token", "leader"}[s] }

// rywClient writes its key, then reads it back, 30 times.
type rywClient struct {
	strategy                         rywStrategy
	leader                           sim.NodeID
	followers                        []sim.NodeID
	key                              string
	rounds                           int
	seq                              int
	lastLSN                          int64
	wroteAt                          time.Time
	next                             int
	reads, missing, toLeader, behind int
}

type rywNext struct{}

func (c *rywClient) Start(env sim.Env) {
	env.SetTimer(time.Duration(10+env.Rand().IntN(20))*time.Millisecond, rywNext{})
}

func (c *rywClient) read(env sim.Env, toLeader bool) {
	r := RRead{Seq: c.seq, Key: c.key}
	if c.strategy == rywSessionToken {
		r.MinLSN = c.lastLSN
	}
	to := c.leader
	if !toLeader {
		c.next = (c.next + 1) % len(c.followers)
		to = c.followers[c.next]
	} else {
		c.toLeader++
	}
	env.Send(to, r)
}

func (c *rywClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case rywNext:
		if c.seq >= c.rounds {
			return
		}
		c.seq++
		env.Send(c.leader, RWrite{Seq: c.seq, Key: c.key, Value: strconv.Itoa(c.seq)})
	case RWriteAck:
		c.lastLSN, c.wroteAt = m.LSN, env.Now()
		// Every read here follows the client's own write within
		// rrLeaderFor, so "leader after write" always reads the leader.
		c.read(env, c.strategy == rywLeaderAfterWrite && env.Now().Sub(c.wroteAt) < rrLeaderFor)
	case RReadReply:
		if m.Seq != c.seq {
			return
		}
		if m.Behind {
			c.behind++
			c.read(env, true) // the token says this follower is behind: ask the leader
			return
		}
		c.reads++
		if m.Version < c.lastLSN {
			c.missing++
			env.Logf("read %s from %s: version %d, but I wrote version %d", c.key, from, m.Version, c.lastLSN)
		}
		env.SetTimer(time.Duration(20+env.Rand().IntN(20))*time.Millisecond, rywNext{})
	}
}

// staleReader reads the ryw clients' keys from followers, recording each
// read for the staleness count.
type staleReader struct {
	followers []sim.NodeID
	keys      []string
	seq, next int
	sent      map[int]rrRead
	done      []rrRead
}

type rrRead struct {
	key     string
	sentAt  time.Time
	version int64
}

func (s *staleReader) Start(env sim.Env) {
	s.sent = map[int]rrRead{}
	env.SetTimer(7*time.Millisecond, loadTick{})
}

func (s *staleReader) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case loadTick:
		s.seq++
		s.next = (s.next + 1) % len(s.followers)
		k := s.keys[s.seq%len(s.keys)]
		s.sent[s.seq] = rrRead{key: k, sentAt: env.Now()}
		env.Send(s.followers[s.next], RRead{Seq: s.seq, Key: k})
		env.SetTimer(7*time.Millisecond, loadTick{})
	case RReadReply:
		if r, ok := s.sent[m.Seq]; ok && !m.Refused {
			r.version = m.Version
			s.done = append(s.done, r)
			delete(s.sent, m.Seq)
		}
	}
}

func setupReadReplicas(o scenarios.Options) (*scenarios.Run, error) {
	lag, nf := o.Knobs.Duration("lag"), o.Knobs.Int("followers")
	w, net, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	group := func(prefix string, followers int) (sim.NodeID, []sim.NodeID) {
		leader := sim.NodeID(prefix + "-leader")
		var fs []sim.NodeID
		for i := 1; i <= followers; i++ {
			fs = append(fs, sim.NodeID(fmt.Sprintf("%s-f%d", prefix, i)))
		}
		w.AddNode(leader, func() sim.Node { return &rrReplica{leader: true, followers: fs, shipEvery: lag} })
		for _, f := range fs {
			w.AddNode(f, func() sim.Node { return &rrReplica{} })
		}
		return leader, fs
	}
	scaling := []int{1, 2, 4, 8}
	scaleGroups := map[int][]sim.NodeID{}
	for _, n := range scaling {
		prefix := fmt.Sprintf("s%d", n)
		leader, fs := group(prefix, n)
		scaleGroups[n] = fs
		w.AddClient(sim.NodeID(prefix+"-load"), func() sim.Node {
			return &rrLoad{leader: leader, followers: fs, every: time.Second / rrOffered}
		})
	}
	leader, fs := group("c", nf)
	var clients []sim.NodeID
	var keys []string
	for _, s := range []rywStrategy{rywAnyFollower, rywSessionToken, rywLeaderAfterWrite} {
		id := sim.NodeID("client-" + s.key())
		key := "user-" + s.key()
		clients, keys = append(clients, id), append(keys, key)
		w.AddClient(id, func() sim.Node {
			return &rywClient{strategy: s, leader: leader, followers: fs, key: key, rounds: 30}
		})
	}
	w.AddClient("reader", func() sim.Node { return &staleReader{followers: fs, keys: keys} })

	finish := func() scenarios.Result {
		var r scenarios.Result
		var f firstErr
		var rows [][]string
		var prev float64
		for _, n := range scaling {
			served, refused := 0, 0
			for _, id := range scaleGroups[n] {
				rep := w.Node(id).(*rrReplica)
				for _, t := range rep.servedAt {
					if t >= rrMeasureFrom && t < rrMeasureTo {
						served++
					}
				}
				refused += rep.refused
			}
			tput := float64(served) / (rrMeasureTo - rrMeasureFrom).Seconds()
			rows = append(rows, []string{itoa(n), fmt.Sprintf("%.0f", tput), fmt.Sprintf("%.0f", tput/float64(n)), itoa(refused)})
			r.Metrics = append(r.Metrics, scenarios.Metric{Name: fmt.Sprintf("followers%d_read_throughput", n), Value: tput, Unit: "reads/s"})
			if tput <= prev*1.5 {
				f.failf("read throughput did not grow with followers: %.0f reads/s with %d", tput, n)
			}
			prev = tput
		}
		r.Summary = table([]string{"followers", "reads/s", "per follower", "refused (queue full)"}, rows)
		rows = nil
		for i, id := range clients {
			s := rywStrategy(i)
			c := w.Node(id).(*rywClient)
			rows = append(rows, []string{s.String(), itoa(c.reads), itoa(c.missing), itoa(c.toLeader), itoa(c.behind)})
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: s.key() + "_ryw_violations", Value: float64(c.missing), Unit: "reads"},
				scenarios.Metric{Name: s.key() + "_leader_reads", Value: float64(c.toLeader), Unit: "reads"})
			if c.reads < c.rounds {
				f.failf("%s finished %d of %d rounds", s, c.reads, c.rounds)
			}
			switch {
			case s == rywAnyFollower && c.missing == 0 && lag >= 10*time.Millisecond:
				// (Shipping faster than a read follows its write hides it.)
				f.failf("reading any follower never missed its own write: the lesson did not show (lag %s)", lag)
			case s != rywAnyFollower && c.missing > 0:
				f.failf("%s missed its own write %d times", s, c.missing)
			}
		}
		r.Summary = append(r.Summary, "")
		r.Summary = append(r.Summary, table([]string{"read your write", "reads", "own write missing", "reads sent to the leader", "follower behind the token"}, rows)...)
		// Stale reads: a newer version was committed at the leader before
		// the read was sent.
		lead := w.Node(leader).(*rrReplica)
		rd := w.Node("reader").(*staleReader)
		stale := 0
		for _, rr := range rd.done {
			for _, e := range lead.log {
				if e.Key == rr.key && e.LSN > rr.version && e.At.Before(rr.sentAt) {
					stale++
					break
				}
			}
		}
		r.Summary = append(r.Summary, fmt.Sprintf("reader of others' keys: %d of %d follower reads stale (the leader had a newer version when the read was sent); the log ships every %s",
			stale, len(rd.done), lag))
		r.Metrics = append(r.Metrics, scenarios.Metric{Name: "stale_reads", Value: float64(stale), Unit: "reads"},
			scenarios.Metric{Name: "reader_reads", Value: float64(len(rd.done)), Unit: "reads"})
		r.Err = f.err
		return r
	}
	return &scenarios.Run{World: w, Net: net, Finish: finish}, nil
}
