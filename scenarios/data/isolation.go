package data

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/mvcc"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "isolation-levels",
		Summary: "one store at four isolation levels, five classic anomalies played by concurrent clients: which each level lets through, and the Adya checker's verdict on every history",
		Chapter: "transactions",
		Doc: `The seed's list of SQL isolation levels, run. Four copies of one
transactional store (storage/mvcc), one per level: read uncommitted,
read committed, repeatable read (snapshot isolation, first updater wins)
and serializable (strict two-phase locking with predicate locks and
deadlock detection — 2PL, not SSI). Every level holds write locks to
commit, so none allows a dirty write.

Two clients per store, A and B, play five short schedules, one every
100ms, each a pair of concurrent transactions whose steps interleave:

  dirty read           A writes x=999, B reads x, A aborts;
  non-repeatable read  A reads x, B writes x and commits, A reads x;
  phantom              A counts the rows p/*, B inserts p/3 and
                       commits, A counts again;
  lost update          A and B both read a counter (100) and write
                       back what they read + 10;
  write skew           Alice and Bob are on call; A and B each read
                       both, see two on call, and take one off call.

A step that must wait for a lock waits; a transaction the store aborts
(a serialization failure, a deadlock) stops there. Afterwards the
Adya-style checker (check.CheckTxns) builds each store's dependency graph
from what the clients were answered and names the anomalies it finds.`,
		LookFor: `The table: each cell says whether the anomaly happened at that level
in this run, and how a level prevented it. Read uncommitted lets all five
through; read committed stops the dirty read; snapshot isolation also
stops the non-repeatable read, the phantom (its snapshot does not move)
and the lost update (B's write is refused: first updater wins), but not
write skew — both doctors go off call. Serializable (2PL) stops all five,
by making B wait or by aborting it in a deadlock. The checker's column
names what it found in each history — G1a for the dirty read, G-single
for the non-repeatable read, phantom and lost update, G2 for write skew —
and finds nothing in any history the serializable store produced.`,
		For:   700 * time.Millisecond,
		Setup: setupIsolation,
	})
}

// Messages between a client and a store.
type (
	TxBegin struct{ Step int }
	TxOp    struct {
		Step  int
		Txn   string
		Kind  string // "read", "scan", "write", "commit", "abort"
		Key   string // the key, or the prefix of a scan
		Value string
	}
	TxReply struct {
		Step    int
		Txn     string
		Value   string
		Found   bool
		Rows    int    // a scan's row count
		Err     string // non-empty: the transaction was aborted by the store
		Blocked bool   // informational: the step had to wait
	}
)

// txServer is a store at one isolation level, answering clients' steps
// and parking the ones that wait for a lock.
type txServer struct {
	level   mvcc.Level
	store   *mvcc.Store
	parked  []parkedOp
	blocked map[string]int // txn -> times it waited
	current string         // key prefix of the schedule now playing (for Inspect)
}

type parkedOp struct {
	from sim.NodeID
	op   TxOp
}

func newTxServer(level mvcc.Level) *txServer {
	s := &txServer{level: level, store: mvcc.New(), blocked: map[string]int{}}
	for _, c := range isolationCases {
		for k, v := range c.initial {
			s.store.Load(c.prefix+k, v)
		}
	}
	return s
}

func (s *txServer) Start(sim.Env) {}

func (s *txServer) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case TxBegin:
		env.Send(from, TxReply{Step: m.Step, Txn: s.store.Begin(s.level)})
	case TxOp:
		if !s.try(env, from, m, false) {
			s.parked = append(s.parked, parkedOp{from, m})
			return
		}
		if m.Kind == "commit" || m.Kind == "abort" || len(s.parked) > 0 {
			s.retryParked(env)
		}
	}
}

// try runs one step; false means it must wait.
func (s *txServer) try(env sim.Env, from sim.NodeID, m TxOp, retry bool) bool {
	r := TxReply{Step: m.Step, Txn: m.Txn, Blocked: retry}
	var err error
	switch m.Kind {
	case "read":
		s.current, _, _ = strings.Cut(m.Key, "/")
		r.Value, r.Found, err = s.store.Read(m.Txn, m.Key)
	case "scan":
		var rows map[string]string
		rows, err = s.store.Scan(m.Txn, m.Key)
		r.Rows = len(rows)
	case "write":
		err = s.store.Write(m.Txn, m.Key, m.Value)
	case "commit":
		err = s.store.Commit(m.Txn)
	case "abort":
		s.store.Abort(m.Txn)
	}
	var b *mvcc.Blocked
	if errors.As(err, &b) {
		if !retry {
			s.blocked[m.Txn]++
			env.Logf("%s %s %s waits for %s", m.Txn, m.Kind, m.Key, b.By)
		}
		return false
	}
	if err != nil {
		r.Err = err.Error()
		env.Logf("%s aborted: %v", m.Txn, err)
	}
	env.Send(from, r)
	return true
}

// retryParked tries every waiting step again, in arrival order, until
// none makes progress.
func (s *txServer) retryParked(env sim.Env) {
	for progress := true; progress; {
		progress = false
		for i := 0; i < len(s.parked); i++ {
			p := s.parked[i]
			if s.try(env, p.from, p.op, true) {
				s.parked = slices.Delete(s.parked, i, i+1)
				progress = true
				break
			}
		}
	}
}

// Inspect shows the locks and the versions of the schedule playing now.
func (s *txServer) Inspect() map[string]string {
	out := map[string]string{"level": s.level.String(), "locks": strings.Join(s.store.Locks(), "; "), "waiting steps": strconv.Itoa(len(s.parked))}
	for _, k := range s.store.Keys() {
		if s.current != "" && strings.HasPrefix(k, s.current+"/") {
			out["versions "+k] = s.store.Versions(k)
		}
	}
	return out
}

// An isolation case is one schedule: two transactions' steps, at offsets
// from the case's start.
type isoCase struct {
	name    string
	prefix  string // every key of the case starts with it
	initial map[string]string
	a, b    []isoStep
	// observed reads the clients' results: did the anomaly happen?
	observed func(a, b *isoRun, final func(key string) string) bool
	expect   string // the checker's kind when observed
}

type isoStep struct {
	at   time.Duration
	kind string // "begin", "read", "scan", "write", "commit", "abort"
	key  string
	// value is the value to write; "+10" writes the last read + 10.
	value string
}

// isoRun is what one client saw of one case.
type isoRun struct {
	txn     string
	reads   []string // read values and scan row counts, in order
	aborted string
	blocked bool
	done    bool
}

var isolationCases = []isoCase{
	{
		name: "dirty read", prefix: "d/", initial: map[string]string{"x": "100"},
		a: []isoStep{{0, "begin", "", ""}, {10, "write", "x", "999"}, {40, "abort", "", ""}},
		b: []isoStep{{5, "begin", "", ""}, {20, "read", "x", ""}, {30, "commit", "", ""}},
		observed: func(a, b *isoRun, _ func(string) string) bool {
			return len(b.reads) == 1 && b.reads[0] == "999"
		},
		expect: "G1a",
	},
	{
		name: "non-repeatable read", prefix: "n/", initial: map[string]string{"x": "100"},
		a: []isoStep{{0, "begin", "", ""}, {10, "read", "x", ""}, {40, "read", "x", ""}, {50, "commit", "", ""}},
		b: []isoStep{{5, "begin", "", ""}, {20, "write", "x", "200"}, {30, "commit", "", ""}},
		observed: func(a, b *isoRun, _ func(string) string) bool {
			return len(a.reads) == 2 && a.reads[0] != a.reads[1]
		},
		expect: "G-single",
	},
	{
		name: "phantom", prefix: "p/", initial: map[string]string{"1": "a", "2": "b"},
		a: []isoStep{{0, "begin", "", ""}, {10, "scan", "", ""}, {40, "scan", "", ""}, {50, "commit", "", ""}},
		b: []isoStep{{5, "begin", "", ""}, {20, "write", "3", "c"}, {30, "commit", "", ""}},
		observed: func(a, b *isoRun, _ func(string) string) bool {
			return len(a.reads) == 2 && a.reads[0] != a.reads[1]
		},
		expect: "G-single",
	},
	{
		name: "lost update", prefix: "l/", initial: map[string]string{"x": "100"},
		a: []isoStep{{0, "begin", "", ""}, {10, "read", "x", ""}, {30, "write", "x", "+10"}, {40, "commit", "", ""}},
		b: []isoStep{{5, "begin", "", ""}, {20, "read", "x", ""}, {35, "write", "x", "+10"}, {50, "commit", "", ""}},
		observed: func(a, b *isoRun, final func(string) string) bool {
			return a.aborted == "" && b.aborted == "" && final("x") == "110"
		},
		expect: "G-single",
	},
	{
		name: "write skew", prefix: "w/", initial: map[string]string{"alice": "on", "bob": "on"},
		a: []isoStep{{0, "begin", "", ""}, {10, "read", "alice", ""}, {12, "read", "bob", ""}, {30, "write", "alice", "off"}, {40, "commit", "", ""}},
		b: []isoStep{{5, "begin", "", ""}, {15, "read", "alice", ""}, {17, "read", "bob", ""}, {32, "write", "bob", "off"}, {45, "commit", "", ""}},
		observed: func(a, b *isoRun, final func(string) string) bool {
			return a.aborted == "" && b.aborted == "" && final("alice") == "off" && final("bob") == "off"
		},
		expect: "G2",
	},
}

const isoCaseEvery = 100 * time.Millisecond

// isoClient plays one side (A or B) of every case against one store.
type isoClient struct {
	store sim.NodeID
	sideB bool
	runs  []*isoRun // one per case
	c, i  int       // case and step playing
	step  int       // message sequence
	due   bool      // the step's time has come
	wait  bool      // a reply is outstanding
	last  string    // the last value read
}

type isoTick struct{ C, I int }

func (c *isoClient) steps(k int) []isoStep {
	if c.sideB {
		return isolationCases[k].b
	}
	return isolationCases[k].a
}

func (c *isoClient) Start(env sim.Env) {
	c.runs = make([]*isoRun, len(isolationCases))
	for k := range c.runs {
		c.runs[k] = &isoRun{}
	}
	c.schedule(env)
}

// schedule sets the timer of the current step.
func (c *isoClient) schedule(env sim.Env) {
	if c.c >= len(isolationCases) {
		return
	}
	at := time.Duration(c.c)*isoCaseEvery + c.steps(c.c)[c.i].at*time.Millisecond + isoCaseEvery/5
	env.SetTimer(max(0, at-env.Now().Sub(sim.Epoch)), isoTick{c.c, c.i})
}

// advance moves to the next step (or case) after the current one ended.
func (c *isoClient) advance(env sim.Env) {
	c.i++
	run := c.runs[c.c]
	if c.i >= len(c.steps(c.c)) || run.aborted != "" {
		run.done = true
		c.c, c.i, c.last = c.c+1, 0, ""
	}
	c.due = false
	c.schedule(env)
}

func (c *isoClient) send(env sim.Env) {
	s := c.steps(c.c)[c.i]
	run := c.runs[c.c]
	c.step++
	c.wait = true
	p := isolationCases[c.c].prefix
	if s.kind == "begin" {
		env.Send(c.store, TxBegin{Step: c.step})
		return
	}
	v := s.value
	if v == "+10" {
		n, _ := strconv.Atoi(c.last)
		v = strconv.Itoa(n + 10)
	}
	env.Send(c.store, TxOp{Step: c.step, Txn: run.txn, Kind: s.kind, Key: p + s.key, Value: v})
}

func (c *isoClient) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case isoTick:
		if m.C == c.c && m.I == c.i && !c.wait {
			c.send(env)
		}
	case TxReply:
		if m.Step != c.step || c.c >= len(isolationCases) {
			return
		}
		c.wait = false
		run := c.runs[c.c]
		s := c.steps(c.c)[c.i]
		switch {
		case s.kind == "begin":
			run.txn = m.Txn
		case m.Err != "":
			run.aborted = m.Err
		case s.kind == "read":
			c.last = m.Value
			run.reads = append(run.reads, m.Value)
		case s.kind == "scan":
			run.reads = append(run.reads, strconv.Itoa(m.Rows))
		}
		run.blocked = run.blocked || m.Blocked
		c.advance(env)
	}
}

func setupIsolation(o scenarios.Options) (*scenarios.Run, error) {
	w, net, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	short := map[mvcc.Level]string{mvcc.ReadUncommitted: "ru", mvcc.ReadCommitted: "rc", mvcc.RepeatableRead: "rr", mvcc.Serializable: "ser"}
	for _, l := range mvcc.Levels {
		db := sim.NodeID("db-" + short[l])
		w.AddNode(db, func() sim.Node { return newTxServer(l) })
		w.AddClient(db+"-A", func() sim.Node { return &isoClient{store: db} })
		w.AddClient(db+"-B", func() sim.Node { return &isoClient{store: db, sideB: true} })
	}
	// expected[level][case]: does the level let the anomaly through?
	expected := map[mvcc.Level][]bool{
		mvcc.ReadUncommitted: {true, true, true, true, true},
		mvcc.ReadCommitted:   {false, true, true, true, true},
		mvcc.RepeatableRead:  {false, false, false, false, true},
		mvcc.Serializable:    {false, false, false, false, false},
	}
	done := func() bool {
		for _, l := range mvcc.Levels {
			for _, side := range []string{"-A", "-B"} {
				if c := w.Node(sim.NodeID("db-" + short[l] + side)).(*isoClient); c.c < len(isolationCases) {
					return false
				}
			}
		}
		return true
	}
	finish := func() scenarios.Result {
		var r scenarios.Result
		var f firstErr
		header := []string{"anomaly"}
		rows := make([][]string, len(isolationCases))
		for k, c := range isolationCases {
			rows[k] = []string{c.name}
		}
		for _, l := range mvcc.Levels {
			header = append(header, l.String())
			db := sim.NodeID("db-" + short[l])
			srv := w.Node(db).(*txServer)
			ca, cb := w.Node(db+"-A").(*isoClient), w.Node(db+"-B").(*isoClient)
			anomalies := check.CheckTxns(srv.store.History())
			caseOf := map[string]int{}
			for k := range isolationCases {
				caseOf[ca.runs[k].txn], caseOf[cb.runs[k].txn] = k, k
			}
			found := map[int][]string{}
			for _, a := range anomalies {
				k, ok := caseOf[a.Txns[0]]
				if !ok {
					f.failf("%s: the checker found %s among transactions of no case", l, a)
					continue
				}
				found[k] = append(found[k], a.Kind)
				r.Summary = append(r.Summary, fmt.Sprintf("%s, %s: %s", l, isolationCases[k].name, a))
			}
			observedCount := 0
			for k, c := range isolationCases {
				a, b := ca.runs[k], cb.runs[k]
				final := func(key string) string { v, _ := srv.store.Committed(c.prefix + key); return v }
				obs := c.observed(a, b, final)
				cell := "prevented"
				switch {
				case obs:
					cell = "OBSERVED"
					observedCount++
				case a.aborted != "" || b.aborted != "":
					why := a.aborted + b.aborted
					switch {
					case strings.Contains(why, "deadlock"):
						cell = "prevented (deadlock: abort)"
					case strings.Contains(why, "serialize"):
						cell = "prevented (serialization failure)"
					}
				case a.blocked || b.blocked:
					cell = "prevented (waited for a lock)"
				case c.name == "dirty read" && len(b.reads) == 1:
					cell = "prevented (read " + b.reads[0] + ")"
				}
				if kinds := found[k]; len(kinds) > 0 {
					cell += " " + strings.Join(kinds, ",")
				}
				rows[k] = append(rows[k], cell)
				if !a.done || !b.done {
					f.failf("%s, %s: a client did not finish its schedule", l, c.name)
				}
				if obs != expected[l][k] {
					f.failf("%s, %s: observed=%v, but the level should %s it", l, c.name, obs, map[bool]string{true: "allow", false: "prevent"}[expected[l][k]])
				}
				switch {
				case obs && !slices.Contains(found[k], c.expect):
					f.failf("%s, %s: observed, but the checker found %v, not %s", l, c.name, found[k], c.expect)
				case !obs && len(found[k]) > 0:
					f.failf("%s, %s: prevented, yet the checker found %v", l, c.name, found[k])
				}
			}
			key := short[l]
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: key + "_anomalies_observed", Value: float64(observedCount), Unit: "anomalies"},
				scenarios.Metric{Name: key + "_checker_found", Value: float64(len(anomalies)), Unit: "anomalies"})
		}
		r.Summary = append(table(header, rows), r.Summary...)
		r.Err = f.err
		return r
	}
	return &scenarios.Run{World: w, Net: net, Done: done, Finish: finish}, nil
}
