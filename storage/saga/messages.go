package saga

// StartSaga starts saga Saga: sent by a client to the orchestrator, or in
// choreography to the first service.
type StartSaga struct{ Saga string }

// SagaEnded tells the client how a saga ended: Completed, or compensated
// because of Reason.
type SagaEnded struct {
	Saga      string
	Completed bool
	Reason    string
}

// Do asks a service to run its local transaction for Saga.
type Do struct{ Saga string }

// DoneMsg answers Do: OK if the local transaction was applied. (Its name
// in traces is DoneMsg, to keep it apart from the Done status.)
type DoneMsg struct {
	Saga   string
	Action string
	OK     bool
	Reason string
}

// Undo asks a service to compensate its local transaction for Saga.
type Undo struct{ Saga string }

// Undone answers Undo: the compensation is applied (now or before).
type Undone struct {
	Saga         string
	Compensation string
}

// Event is a choreographed service telling a neighbour what happened:
// Name is one of the Step's events ("PaymentCharged").
type Event struct {
	Saga string
	Name string
}

type retryTick struct{ Saga string }
