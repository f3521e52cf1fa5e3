package twopc

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Config tunes a coordinator. The zero value works: DefaultConfig's values
// fill in zero fields.
type Config struct {
	// VoteTimeout is how long the coordinator waits for every vote before
	// it gives up and aborts.
	VoteTimeout time.Duration
	// ResendEvery is how often an unacknowledged decision is sent again.
	ResendEvery time.Duration
}

// DefaultConfig suits a network with a few milliseconds of latency.
func DefaultConfig() Config {
	return Config{VoteTimeout: 100 * time.Millisecond, ResendEvery: 50 * time.Millisecond}
}

// Validate says which field is wrong.
func (c Config) Validate() error {
	if c.VoteTimeout < 0 {
		return fmt.Errorf("twopc: VoteTimeout %v is negative", c.VoteTimeout)
	}
	if c.ResendEvery < 0 {
		return fmt.Errorf("twopc: ResendEvery %v is negative", c.ResendEvery)
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.VoteTimeout == 0 {
		c.VoteTimeout = d.VoteTimeout
	}
	if c.ResendEvery == 0 {
		c.ResendEvery = d.ResendEvery
	}
	return c
}

// ErrBadTransaction is wrapped by the reason of an Outcome for a Begin that
// cannot run: no writes, or two writes for one participant.
var ErrBadTransaction = errors.New("twopc: bad transaction")

// txnRecord is what the coordinator logs about a transaction, under
// "txn/<id>". It is written (and synced) before the first Prepare, and
// again with Decision set before the first Commit or Abort.
type txnRecord struct {
	Txn      string
	Client   sim.NodeID
	Writes   []Write
	Decision Decision // "" until decided; never changes once set
	Ended    bool     // every participant acknowledged the decision
}

// coordTxn is a transaction the coordinator is running.
type coordTxn struct {
	rec     txnRecord
	yes     map[sim.NodeID]bool // votes received; only while undecided
	acked   map[sim.NodeID]bool // acknowledgements of the decision
	timeout sim.TimerID
	// reason says why the transaction aborted, for the client.
	reason string
}

// Coordinator runs two-phase commit for the transactions clients Begin.
// Its log on Disk is the truth about every decision: it is written before
// any participant hears of the decision.
type Coordinator struct {
	cfg  Config
	txns map[string]*coordTxn
	// noVoteTimeout is the NoVoteTimeout bug (NewBrokenCoordinator).
	noVoteTimeout bool
}

// NewCoordinator returns a coordinator. Use it in a node factory: a restart
// builds a fresh one, which recovers from the Disk in Start.
func NewCoordinator(cfg Config) *Coordinator {
	return &Coordinator{cfg: cfg.withDefaults()}
}

// Start recovers from the log: a decided transaction has its decision sent
// again; one begun but never decided is aborted, since no participant can
// have been told to commit it.
func (c *Coordinator) Start(env sim.Env) {
	c.txns = map[string]*coordTxn{}
	for _, key := range env.Disk().Keys() {
		if !strings.HasPrefix(key, "txn/") {
			continue
		}
		var rec txnRecord
		if err := readJSON(env.Disk(), key, &rec); err != nil {
			panic(fmt.Sprintf("twopc: coordinator log %s is damaged: %v", key, err))
		}
		t := &coordTxn{rec: rec, acked: map[sim.NodeID]bool{}}
		c.txns[rec.Txn] = t
		if rec.Ended {
			continue
		}
		if rec.Decision == "" {
			env.Logf("recovery: %s was begun but never decided: aborting it", rec.Txn)
			t.reason = "the coordinator crashed before deciding"
			c.decide(env, t, Aborted)
			continue
		}
		env.Logf("recovery: %s was decided %s: telling the participants again", rec.Txn, rec.Decision)
		c.sendDecision(env, t)
	}
}

// Receive dispatches on the message type.
func (c *Coordinator) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Begin:
		c.onBegin(env, from, m)
	case Vote:
		c.onVote(env, from, m)
	case Ack:
		c.onAck(env, from, m)
	case DecisionRequest:
		c.onDecisionRequest(env, from, m)
	case voteTimeout:
		c.onVoteTimeout(env, m)
	case resendTick:
		if t := c.txns[m.Txn]; t != nil && !t.rec.Ended {
			c.sendDecision(env, t)
		}
	}
}

// onBegin is phase one: log the transaction, then ask every participant
// to prepare.
func (c *Coordinator) onBegin(env sim.Env, from sim.NodeID, m Begin) {
	if t, ok := c.txns[m.Txn]; ok {
		// A retried Begin: answer if we know the outcome, else keep going.
		if t.rec.Decision != "" {
			env.Send(from, Outcome{Txn: m.Txn, Decision: t.rec.Decision, Reason: t.reason})
		}
		return
	}
	if err := validate(m); err != nil {
		env.Send(from, Outcome{Txn: m.Txn, Decision: Aborted, Reason: err.Error()})
		return
	}
	t := &coordTxn{
		rec:   txnRecord{Txn: m.Txn, Client: from, Writes: slices.Clone(m.Writes)},
		yes:   map[sim.NodeID]bool{},
		acked: map[sim.NodeID]bool{},
	}
	c.txns[m.Txn] = t
	// Logged before any Prepare, so that a restarted coordinator knows the
	// transaction exists and can abort it.
	writeJSON(env.Disk(), "txn/"+m.Txn, t.rec)
	env.Disk().Sync()
	env.Logf("%s: phase 1, asking %s to prepare", m.Txn, participantList(m.Writes))
	for _, w := range m.Writes {
		env.Send(w.Participant, Prepare{Txn: m.Txn, Key: w.Key, Value: w.Value})
	}
	if !c.noVoteTimeout {
		t.timeout = env.SetTimer(c.cfg.VoteTimeout, voteTimeout{Txn: m.Txn})
	}
}

func validate(m Begin) error {
	if m.Txn == "" {
		return fmt.Errorf("%w: no transaction id", ErrBadTransaction)
	}
	if len(m.Writes) == 0 {
		return fmt.Errorf("%w: %s writes nothing", ErrBadTransaction, m.Txn)
	}
	seen := map[sim.NodeID]bool{}
	for _, w := range m.Writes {
		if w.Participant == "" || w.Key == "" {
			return fmt.Errorf("%w: %s has a write without participant or key", ErrBadTransaction, m.Txn)
		}
		if seen[w.Participant] {
			return fmt.Errorf("%w: %s writes twice at %s", ErrBadTransaction, m.Txn, w.Participant)
		}
		seen[w.Participant] = true
	}
	return nil
}

func (c *Coordinator) onVote(env sim.Env, from sim.NodeID, m Vote) {
	t := c.txns[m.Txn]
	if t == nil || t.rec.Decision != "" || !t.takesPart(from) {
		return // late, duplicate or stray: the decision is made already
	}
	if !m.Yes {
		t.reason = fmt.Sprintf("%s voted no: %s", from, m.Reason)
		env.Logf("%s: %s", m.Txn, t.reason)
		c.decide(env, t, Aborted)
		return
	}
	t.yes[from] = true
	if len(t.yes) == len(t.rec.Writes) {
		env.Logf("%s: every participant voted yes", m.Txn)
		c.decide(env, t, Committed)
	}
}

func (c *Coordinator) onVoteTimeout(env sim.Env, m voteTimeout) {
	t := c.txns[m.Txn]
	if t == nil || t.rec.Decision != "" {
		return
	}
	var missing []string
	for _, w := range t.rec.Writes {
		if !t.yes[w.Participant] {
			missing = append(missing, string(w.Participant))
		}
	}
	t.reason = fmt.Sprintf("no vote from %s within %s", strings.Join(missing, ", "), c.cfg.VoteTimeout)
	env.Logf("%s: %s", m.Txn, t.reason)
	c.decide(env, t, Aborted)
}

// decide is the one place a decision is made: log it, sync, then tell
// everyone. The order matters: once a participant hears Commit it may
// release its locks, so the decision must already survive a crash.
func (c *Coordinator) decide(env sim.Env, t *coordTxn, d Decision) {
	if t.rec.Decision != "" {
		panic(fmt.Sprintf("twopc: %s decided twice (%s, then %s)", t.rec.Txn, t.rec.Decision, d))
	}
	env.CancelTimer(t.timeout)
	t.rec.Decision = d
	t.yes = nil
	writeJSON(env.Disk(), "txn/"+t.rec.Txn, t.rec)
	env.Disk().Sync()
	env.Logf("%s: decision %s logged; phase 2", t.rec.Txn, d)
	if t.rec.Client != "" {
		env.Send(t.rec.Client, Outcome{Txn: t.rec.Txn, Decision: d, Reason: t.reason})
	}
	c.sendDecision(env, t)
}

// sendDecision sends the decision to every participant that has not
// acknowledged it, and arranges to do so again.
func (c *Coordinator) sendDecision(env sim.Env, t *coordTxn) {
	for _, w := range t.rec.Writes {
		if !t.acked[w.Participant] {
			env.Send(w.Participant, decisionMsg(t.rec.Txn, t.rec.Decision))
		}
	}
	env.SetTimer(c.cfg.ResendEvery, resendTick{Txn: t.rec.Txn})
}

func (c *Coordinator) onAck(env sim.Env, from sim.NodeID, m Ack) {
	t := c.txns[m.Txn]
	if t == nil || t.rec.Decision == "" || t.rec.Ended || !t.takesPart(from) {
		return
	}
	t.acked[from] = true
	if len(t.acked) < len(t.rec.Writes) {
		return
	}
	t.rec.Ended = true
	writeJSON(env.Disk(), "txn/"+t.rec.Txn, t.rec)
	env.Disk().Sync()
	env.Logf("%s: every participant acknowledged %s; done", t.rec.Txn, t.rec.Decision)
}

// onDecisionRequest answers a blocked participant. A transaction still
// collecting votes gets no answer yet; one the coordinator never heard of
// was aborted (presumed abort: a coordinator only forgets what it never
// logged, and it never decides Commit without logging).
func (c *Coordinator) onDecisionRequest(env sim.Env, from sim.NodeID, m DecisionRequest) {
	t := c.txns[m.Txn]
	switch {
	case t == nil:
		env.Send(from, Abort{Txn: m.Txn})
	case t.rec.Decision != "":
		env.Send(from, decisionMsg(m.Txn, t.rec.Decision))
	}
}

func (t *coordTxn) takesPart(id sim.NodeID) bool {
	return slices.ContainsFunc(t.rec.Writes, func(w Write) bool { return w.Participant == id })
}

// Decision reports what the coordinator decided about txn, if anything.
func (c *Coordinator) Decision(txn string) (Decision, bool) {
	t := c.txns[txn]
	if t == nil || t.rec.Decision == "" {
		return "", false
	}
	return t.rec.Decision, true
}

// Inspect shows each transaction and where it stands.
func (c *Coordinator) Inspect() map[string]string {
	out := map[string]string{}
	for id, t := range c.txns {
		state := "voting"
		switch {
		case t.rec.Ended:
			state = string(t.rec.Decision) + ", acknowledged"
		case t.rec.Decision != "":
			state = string(t.rec.Decision) + ", telling participants"
		}
		out["txn "+id] = state
	}
	return out
}

func participantList(ws []Write) string {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = string(w.Participant)
	}
	return strings.Join(names, ", ")
}

func writeJSON(d sim.Disk, key string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("twopc: encoding %s: %v", key, err))
	}
	d.Put(key, b)
}

func readJSON(d sim.Disk, key string, v any) error {
	b, ok := d.Get(key)
	if !ok {
		return fmt.Errorf("no record %s", key)
	}
	return json.Unmarshal(b, v)
}
