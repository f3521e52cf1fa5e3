package saga

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Stage is a service's place in an orchestrated saga.
type Stage struct {
	Service sim.NodeID
	Step    Step
}

// OrchestratorConfig sets up an Orchestrator.
type OrchestratorConfig struct {
	// Stages run in order; compensations run in reverse.
	Stages []Stage
	// RetryEvery is how often an unanswered command is sent again
	// (default 50ms).
	RetryEvery time.Duration
}

// Phase is where an orchestrated saga stands.
type Phase string

// The phases: forward, then completed; or compensating, then aborted.
const (
	Forward      Phase = "forward"
	Compensating Phase = "compensating"
	Completed    Phase = "completed"
	Aborted      Phase = "aborted"
)

// sagaRecord is an orchestrated saga's progress, on Disk under
// "saga/<id>" before every command is sent.
type sagaRecord struct {
	Saga   string
	Client sim.NodeID
	Phase  Phase
	// Stage is the stage being run (Forward) or compensated
	// (Compensating). Invariant: stages before it are done (Forward);
	// stages after it are compensated or failed (Compensating).
	Stage  int
	Reason string
}

// Orchestrator drives sagas through their stages and, when one fails,
// compensates the completed ones in reverse order.
type Orchestrator struct {
	cfg   OrchestratorConfig
	sagas map[string]*sagaRecord
	// sentAt is when each saga's current command was last sent.
	sentAt map[string]time.Time
}

// NewOrchestrator returns an orchestrator; use it in a node factory.
func NewOrchestrator(cfg OrchestratorConfig) *Orchestrator {
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = 50 * time.Millisecond
	}
	return &Orchestrator{cfg: cfg}
}

// Start reloads every saga in progress and sends its current command
// again.
func (o *Orchestrator) Start(env sim.Env) {
	o.sagas, o.sentAt = map[string]*sagaRecord{}, map[string]time.Time{}
	for _, k := range env.Disk().Keys() {
		if !strings.HasPrefix(k, "saga/") {
			continue
		}
		b, _ := env.Disk().Get(k)
		var rec sagaRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			panic(fmt.Sprintf("saga: damaged orchestrator record %s: %v", k, err))
		}
		o.sagas[rec.Saga] = &rec
		if rec.Phase == Forward || rec.Phase == Compensating {
			env.Logf("recovery: %s is %s at stage %d", rec.Saga, rec.Phase, rec.Stage)
			o.command(env, &rec)
			env.SetTimer(o.cfg.RetryEvery, retryTick{Saga: rec.Saga})
		}
	}
}

// Receive dispatches on the message type.
func (o *Orchestrator) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case StartSaga:
		o.onStart(env, from, m)
	case DoneMsg:
		o.onDone(env, from, m)
	case Undone:
		o.onUndone(env, from, m)
	case retryTick:
		rec := o.sagas[m.Saga]
		if rec == nil || (rec.Phase != Forward && rec.Phase != Compensating) {
			return
		}
		if env.Now().Sub(o.sentAt[m.Saga]) >= o.cfg.RetryEvery {
			env.Logf("%s: no answer from %s for %s; sending again", m.Saga, o.cfg.Stages[rec.Stage].Service, o.cfg.RetryEvery)
			o.send(env, rec)
		}
		env.SetTimer(o.cfg.RetryEvery, m)
	}
}

func (o *Orchestrator) onStart(env sim.Env, from sim.NodeID, m StartSaga) {
	if rec, ok := o.sagas[m.Saga]; ok {
		if rec.Phase == Completed || rec.Phase == Aborted {
			env.Send(from, SagaEnded{Saga: m.Saga, Completed: rec.Phase == Completed, Reason: rec.Reason})
		}
		return
	}
	if len(o.cfg.Stages) == 0 {
		env.Send(from, SagaEnded{Saga: m.Saga, Reason: "saga: the orchestrator has no stages"})
		return
	}
	rec := &sagaRecord{Saga: m.Saga, Client: from, Phase: Forward}
	o.sagas[m.Saga] = rec
	env.Logf("%s: begins", m.Saga)
	o.command(env, rec)
	env.SetTimer(o.cfg.RetryEvery, retryTick{Saga: m.Saga})
}

func (o *Orchestrator) onDone(env sim.Env, from sim.NodeID, m DoneMsg) {
	rec := o.sagas[m.Saga]
	if rec == nil || rec.Phase != Forward || o.cfg.Stages[rec.Stage].Service != from {
		return // a duplicate or a late answer
	}
	if m.OK {
		rec.Stage++
		if rec.Stage == len(o.cfg.Stages) {
			o.end(env, rec, Completed)
			return
		}
		o.command(env, rec)
		return
	}
	rec.Reason = m.Reason
	rec.Phase = Compensating
	env.Logf("%s: %s failed (%s); compensating stages %d..1", m.Saga, m.Action, m.Reason, rec.Stage)
	rec.Stage--
	if rec.Stage < 0 {
		o.end(env, rec, Aborted)
		return
	}
	o.command(env, rec)
}

func (o *Orchestrator) onUndone(env sim.Env, from sim.NodeID, m Undone) {
	rec := o.sagas[m.Saga]
	if rec == nil || rec.Phase != Compensating || o.cfg.Stages[rec.Stage].Service != from {
		return
	}
	rec.Stage--
	if rec.Stage < 0 {
		o.end(env, rec, Aborted)
		return
	}
	o.command(env, rec)
}

// command persists the saga's progress, then sends its current command:
// after a crash the orchestrator resumes from what it last told a service.
func (o *Orchestrator) command(env sim.Env, rec *sagaRecord) {
	o.persist(env, rec)
	o.send(env, rec)
}

func (o *Orchestrator) send(env sim.Env, rec *sagaRecord) {
	st := o.cfg.Stages[rec.Stage]
	o.sentAt[rec.Saga] = env.Now()
	if rec.Phase == Forward {
		env.Send(st.Service, Do{Saga: rec.Saga})
	} else {
		env.Send(st.Service, Undo{Saga: rec.Saga})
	}
}

func (o *Orchestrator) end(env sim.Env, rec *sagaRecord, p Phase) {
	rec.Phase = p
	o.persist(env, rec)
	env.Logf("%s: %s", rec.Saga, p)
	env.Send(rec.Client, SagaEnded{Saga: rec.Saga, Completed: p == Completed, Reason: rec.Reason})
}

func (o *Orchestrator) persist(env sim.Env, rec *sagaRecord) {
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err)
	}
	env.Disk().Put("saga/"+rec.Saga, b)
	env.Disk().Sync()
}

// Phase reports where saga stands, if the orchestrator knows it.
func (o *Orchestrator) Phase(saga string) (Phase, bool) {
	rec, ok := o.sagas[saga]
	if !ok {
		return "", false
	}
	return rec.Phase, true
}
