package twopc

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// ParticipantConfig tunes a participant. The zero value works.
type ParticipantConfig struct {
	// AskEvery is how often a participant that voted yes and has heard no
	// decision asks the coordinator (default 50ms).
	AskEvery time.Duration
}

// preparedRecord is a participant's promise, under "prepared/<txn>": it
// voted yes and holds the lock on Key until the decision comes. Written
// and synced before the Vote is sent.
type preparedRecord struct {
	Txn         string
	Key         string
	Value       string
	Coordinator sim.NodeID
	VotedAt     time.Time
}

// OutcomeRecord is what a participant keeps, under "outcome/<txn>", once it
// knows how a transaction ended.
type OutcomeRecord struct {
	Txn      string
	Decision Decision
	// Blocked is how long the participant waited, holding its lock,
	// between voting yes and hearing the decision (zero if it never voted
	// yes).
	Blocked time.Duration
}

// Participant holds part of the data and takes part in transactions on it.
// Its committed data lives on Disk under "data/<key>".
type Participant struct {
	cfg ParticipantConfig
	// prepared are the transactions this participant voted yes on and has
	// no decision for; each is on Disk. Invariant: locks[k] == t exactly
	// when prepared[t].Key == k.
	prepared map[string]preparedRecord
	locks    map[string]string // key -> txn holding it
	// outcomes mirrors the outcome records on Disk: how each transaction
	// this participant heard the end of ended.
	outcomes map[string]Decision
	// asks counts the unanswered DecisionRequests per prepared
	// transaction (for the AbortsWhenUncertain bug only).
	asks               map[string]int
	abortWhenUncertain bool
}

// NewParticipant returns a participant; use it in a node factory.
func NewParticipant(cfg ParticipantConfig) *Participant {
	if cfg.AskEvery <= 0 {
		cfg.AskEvery = 50 * time.Millisecond
	}
	return &Participant{cfg: cfg}
}

// Start takes back the locks of every transaction this participant voted
// yes on and has not heard the end of: it promised, so it still must wait.
func (p *Participant) Start(env sim.Env) {
	p.prepared = map[string]preparedRecord{}
	p.locks = map[string]string{}
	p.outcomes = map[string]Decision{}
	p.asks = map[string]int{}
	for _, key := range env.Disk().Keys() {
		if strings.HasPrefix(key, "outcome/") {
			if out, ok := ReadOutcome(env.Disk(), strings.TrimPrefix(key, "outcome/")); ok {
				p.outcomes[out.Txn] = out.Decision
			}
		}
		if !strings.HasPrefix(key, "prepared/") {
			continue
		}
		var rec preparedRecord
		if err := readJSON(env.Disk(), key, &rec); err != nil {
			panic(fmt.Sprintf("twopc: participant record %s is damaged: %v", key, err))
		}
		p.prepared[rec.Txn] = rec
		p.locks[rec.Key] = rec.Txn
		env.Logf("recovery: voted yes on %s, still uncertain: locking %s again and asking %s", rec.Txn, rec.Key, rec.Coordinator)
		env.Send(rec.Coordinator, DecisionRequest{Txn: rec.Txn})
		env.SetTimer(p.cfg.AskEvery, askTick{Txn: rec.Txn})
	}
}

// Receive dispatches on the message type.
func (p *Participant) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Prepare:
		p.onPrepare(env, from, m)
	case Commit:
		p.onDecision(env, from, m.Txn, Committed)
	case Abort:
		p.onDecision(env, from, m.Txn, Aborted)
	case askTick:
		p.onAskTick(env, m)
	}
}

func (p *Participant) onPrepare(env sim.Env, from sim.NodeID, m Prepare) {
	if _, ok := p.prepared[m.Txn]; ok {
		env.Send(from, Vote{Txn: m.Txn, Yes: true}) // a duplicate: same answer
		return
	}
	if out, ok := ReadOutcome(env.Disk(), m.Txn); ok {
		// Already over: a late duplicate. Repeat the answer it implies.
		env.Send(from, Vote{Txn: m.Txn, Yes: out.Decision == Committed, Reason: "already " + string(out.Decision)})
		return
	}
	if holder, locked := p.locks[m.Key]; locked {
		// Refusing before voting yes is always allowed, and it settles
		// this transaction: it will abort, so record that now.
		reason := fmt.Sprintf("%s is locked by %s", m.Key, holder)
		env.Logf("%s: votes no (%s)", m.Txn, reason)
		writeJSON(env.Disk(), "outcome/"+m.Txn, OutcomeRecord{Txn: m.Txn, Decision: Aborted})
		env.Disk().Sync()
		p.outcomes[m.Txn] = Aborted
		env.Send(from, Vote{Txn: m.Txn, Reason: reason})
		return
	}
	rec := preparedRecord{Txn: m.Txn, Key: m.Key, Value: m.Value, Coordinator: from, VotedAt: env.Now()}
	p.prepared[m.Txn] = rec
	p.locks[m.Key] = m.Txn
	// The promise is durable before it is made.
	writeJSON(env.Disk(), "prepared/"+m.Txn, rec)
	env.Disk().Sync()
	env.Logf("%s: prepared, %s locked; votes yes", m.Txn, m.Key)
	env.Send(from, Vote{Txn: m.Txn, Yes: true})
	env.SetTimer(p.cfg.AskEvery, askTick{Txn: m.Txn})
}

// onDecision applies the coordinator's decision once and acknowledges it
// every time it arrives (the coordinator re-sends until it hears an Ack).
func (p *Participant) onDecision(env sim.Env, from sim.NodeID, txn string, d Decision) {
	rec, ok := p.prepared[txn]
	if !ok {
		if out, known := ReadOutcome(env.Disk(), txn); known {
			if out.Decision != d && p.abortWhenUncertain {
				env.Logf("SAFETY: %s was %s here and the coordinator says %s", txn, out.Decision, d)
			} else if out.Decision != d {
				panic(fmt.Sprintf("twopc: %s was %s here and the coordinator says %s", txn, out.Decision, d))
			}
		} else {
			if d == Committed {
				panic(fmt.Sprintf("twopc: told to commit %s, which this participant never voted yes on", txn))
			}
			// An abort for a transaction whose Prepare never arrived (or
			// arrived before a crash, unvoted): remember it, so a late
			// Prepare is refused.
			writeJSON(env.Disk(), "outcome/"+txn, OutcomeRecord{Txn: txn, Decision: Aborted})
			env.Disk().Sync()
			p.outcomes[txn] = Aborted
			env.Logf("%s: aborted before it was prepared here", txn)
		}
		env.Send(from, Ack{Txn: txn})
		return
	}
	blocked := env.Now().Sub(rec.VotedAt)
	if d == Committed {
		env.Disk().Put("data/"+rec.Key, []byte(rec.Value))
	}
	writeJSON(env.Disk(), "outcome/"+txn, OutcomeRecord{Txn: txn, Decision: d, Blocked: blocked})
	env.Disk().Delete("prepared/" + txn)
	env.Disk().Sync()
	delete(p.prepared, txn)
	delete(p.locks, rec.Key)
	p.outcomes[txn] = d
	env.Logf("%s: %s after %s uncertain; %s unlocked", txn, d, sim.FormatTime(blocked), rec.Key)
	env.Send(from, Ack{Txn: txn})
}

// onAskTick is the blocked participant's only move: ask again.
func (p *Participant) onAskTick(env sim.Env, m askTick) {
	rec, ok := p.prepared[m.Txn]
	if !ok {
		return
	}
	if p.abortWhenUncertain {
		if p.asks[m.Txn]++; p.asks[m.Txn] > 3 {
			env.Logf("%s: tired of waiting: aborting on its own (the bug)", m.Txn)
			p.onDecision(env, rec.Coordinator, m.Txn, Aborted)
			return
		}
	}
	env.Logf("%s: still uncertain after %s, holding %s; asking %s", m.Txn,
		sim.FormatTime(env.Now().Sub(rec.VotedAt)), rec.Key, rec.Coordinator)
	env.Send(rec.Coordinator, DecisionRequest{Txn: m.Txn})
	env.SetTimer(p.cfg.AskEvery, m)
}

// Locked reports which transaction holds key, if any.
func (p *Participant) Locked(key string) (txn string, ok bool) {
	txn, ok = p.locks[key]
	return txn, ok
}

// Outcome reports how txn ended here, if this participant knows.
func (p *Participant) Outcome(txn string) (Decision, bool) {
	d, ok := p.outcomes[txn]
	return d, ok
}

// Uncertain lists the transactions this participant voted yes on and has
// no decision for.
func (p *Participant) Uncertain() []string {
	out := make([]string, 0, len(p.prepared))
	for t := range p.prepared {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Inspect shows the locks held.
func (p *Participant) Inspect() map[string]string {
	out := map[string]string{}
	for k, t := range p.locks {
		out["lock "+k] = t
	}
	return out
}

// ReadOutcome reads a participant's record of how txn ended.
func ReadOutcome(d sim.Disk, txn string) (OutcomeRecord, bool) {
	var out OutcomeRecord
	if err := readJSON(d, "outcome/"+txn, &out); err != nil {
		return OutcomeRecord{}, false
	}
	return out, true
}

// IsPrepared reports whether a participant's disk holds a yes vote on txn
// with no decision yet: the participant is blocked on it.
func IsPrepared(d sim.Disk, txn string) bool {
	_, ok := d.Get("prepared/" + txn)
	return ok
}

// ReadData reads a committed value from a participant's disk.
func ReadData(d sim.Disk, key string) (string, bool) {
	b, ok := d.Get("data/" + key)
	return string(b), ok
}
