package saga

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Step is one local transaction of a saga and its compensation, with the
// events a choreographed service publishes about it.
type Step struct {
	// Action and Compensation name the local transaction and its undo:
	// "charge payment", "refund payment".
	Action       string
	Compensation string
	// Done, Failed and Undone are the events published in choreography:
	// "PaymentCharged", "PaymentDeclined", "PaymentRefunded".
	Done, Failed, Undone string
}

// Status is where a saga stands at one service.
type Status string

// The statuses. A saga a service has not heard of has none.
const (
	// Done: the local transaction was applied.
	Done Status = "done"
	// Failed: the local transaction could not be applied.
	Failed Status = "failed"
	// Compensated: the compensation was applied, or the saga was
	// cancelled here before its action arrived.
	Compensated Status = "compensated"
)

// Effect is something a service actually did (not a duplicate it
// ignored), for the story of a run.
type Effect struct {
	Saga    string
	Service sim.NodeID
	// What is the action or compensation, or the action with " failed".
	What string
	At   time.Time
}

// ServiceConfig sets up a Service.
type ServiceConfig struct {
	Step Step
	// Capacity bounds how many sagas the action can succeed for: stock in
	// the warehouse, say. Zero means unlimited. A compensation gives the
	// capacity back.
	Capacity int
	// Choreography wiring; leave empty for orchestration. Prev is the
	// service whose Done event triggers this one's action and to which
	// this one reports Failed and Undone; Next is the one after. The first
	// service (no Prev) is started by StartSaga and reports the end to
	// Client, as does the last service (no Next) on success.
	Prev, Next sim.NodeID
	Client     sim.NodeID
	// Observe, if set, sees every effect applied. Scenarios use it to
	// tell the story; it must not touch the world.
	Observe func(Effect)
}

// Service runs one step of every saga: its local transaction and its
// compensation, each applied at most once per saga. State on Disk:
// "saga/<id>" holds the saga's Status here, "used" the capacity taken.
type Service struct {
	cfg ServiceConfig
	// Duplicates counts requests that changed nothing because their work
	// was done already: the idempotency at work.
	Duplicates int
}

// NewService returns a service; use it in a node factory.
func NewService(cfg ServiceConfig) *Service { return &Service{cfg: cfg} }

// Start does nothing: all state is on Disk.
func (s *Service) Start(sim.Env) {}

// Receive dispatches on the message type.
func (s *Service) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Do:
		st, reason := s.do(env, m.Saga)
		env.Send(from, DoneMsg{Saga: m.Saga, Action: s.cfg.Step.Action, OK: st == Done, Reason: reason})
	case Undo:
		s.undo(env, m.Saga)
		env.Send(from, Undone{Saga: m.Saga, Compensation: s.cfg.Step.Compensation})
	case StartSaga:
		s.forward(env, m.Saga)
	case Event:
		s.onEvent(env, from, m)
	}
}

// onEvent is choreography: an event from upstream means "your turn",
// an event from downstream means "undo yours".
func (s *Service) onEvent(env sim.Env, from sim.NodeID, m Event) {
	switch from {
	case s.cfg.Prev:
		s.forward(env, m.Saga)
	case s.cfg.Next:
		s.undo(env, m.Saga)
		s.publishBack(env, m.Saga, s.cfg.Step.Undone, fmt.Sprintf("%s from %s", m.Name, from))
	}
}

// forward runs the action and publishes its outcome.
func (s *Service) forward(env sim.Env, saga string) {
	st, reason := s.do(env, saga)
	switch {
	case st == Done && s.cfg.Next != "":
		env.Send(s.cfg.Next, Event{Saga: saga, Name: s.cfg.Step.Done})
	case st == Done:
		env.Send(s.cfg.Client, SagaEnded{Saga: saga, Completed: true})
	case st == Failed:
		s.publishBack(env, saga, s.cfg.Step.Failed, reason)
	}
	// Compensated: the saga was undone here before this step arrived;
	// whoever undid it has told the others already.
}

func (s *Service) publishBack(env sim.Env, saga, event, reason string) {
	if s.cfg.Prev != "" {
		env.Send(s.cfg.Prev, Event{Saga: saga, Name: event})
		return
	}
	env.Send(s.cfg.Client, SagaEnded{Saga: saga, Reason: reason})
}

// do applies the action once. It returns the saga's status here after the
// attempt, and why it failed.
func (s *Service) do(env sim.Env, saga string) (Status, string) {
	switch st := s.Status(env.Disk(), saga); st {
	case Done, Failed:
		s.Duplicates++
		env.Logf("%s: %s already %s (duplicate ignored)", saga, s.cfg.Step.Action, st)
		return st, ""
	case Compensated:
		env.Logf("%s: refuses to %s: the saga was compensated already", saga, s.cfg.Step.Action)
		return Compensated, "compensated already"
	}
	used := s.used(env.Disk())
	if s.cfg.Capacity > 0 && used >= s.cfg.Capacity {
		reason := fmt.Sprintf("%s: none left (capacity %d)", s.cfg.Step.Action, s.cfg.Capacity)
		s.set(env, saga, Failed, used)
		env.Logf("%s: cannot %s", saga, reason)
		s.observe(env, saga, s.cfg.Step.Action+" failed")
		return Failed, reason
	}
	s.set(env, saga, Done, used+1)
	env.Logf("%s: %s", saga, s.cfg.Step.Action)
	s.observe(env, saga, s.cfg.Step.Action)
	return Done, ""
}

// undo applies the compensation once. A saga never seen here is marked
// compensated, so that its action, if it arrives late, is refused.
func (s *Service) undo(env sim.Env, saga string) {
	switch st := s.Status(env.Disk(), saga); st {
	case Done:
		s.set(env, saga, Compensated, s.used(env.Disk())-1)
		env.Logf("%s: %s", saga, s.cfg.Step.Compensation)
		s.observe(env, saga, s.cfg.Step.Compensation)
	case Compensated:
		s.Duplicates++
		env.Logf("%s: %s already done (duplicate ignored)", saga, s.cfg.Step.Compensation)
	case Failed:
		// Nothing was applied, nothing to undo.
	default:
		s.set(env, saga, Compensated, s.used(env.Disk()))
		env.Logf("%s: cancelled before its %s arrived", saga, s.cfg.Step.Action)
	}
}

// set records the saga's status and the capacity used, durably, before
// any message about it leaves.
func (s *Service) set(env sim.Env, saga string, st Status, used int) {
	env.Disk().Put("saga/"+saga, []byte(st))
	env.Disk().Put("used", []byte(strconv.Itoa(used)))
	env.Disk().Sync()
}

func (s *Service) used(d sim.Disk) int {
	b, ok := d.Get("used")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		panic(fmt.Sprintf("saga: damaged capacity record %q", b))
	}
	return n
}

// Status reads a saga's status at a service from its disk ("" if none).
func (s *Service) Status(d sim.Disk, saga string) Status { return ReadStatus(d, saga) }

// ReadStatus reads a saga's status from a service's disk ("" if none).
func ReadStatus(d sim.Disk, saga string) Status {
	b, _ := d.Get("saga/" + saga)
	return Status(b)
}

func (s *Service) observe(env sim.Env, saga, what string) {
	if s.cfg.Observe != nil {
		s.cfg.Observe(Effect{Saga: saga, Service: env.ID(), What: what, At: env.Now()})
	}
}

// Inspect shows the step and the duplicates ignored.
func (s *Service) Inspect() map[string]string {
	return map[string]string{"step": s.cfg.Step.Action, "duplicates": strconv.Itoa(s.Duplicates)}
}
