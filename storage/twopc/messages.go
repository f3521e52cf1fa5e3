package twopc

import "github.com/dsimlab/dsim/sim"

// Decision is the outcome of a transaction.
type Decision string

// The two outcomes. The zero Decision means "not decided yet".
const (
	Committed Decision = "committed"
	Aborted   Decision = "aborted"
)

// Write is one participant's part of a transaction: set Key to Value.
type Write struct {
	Participant sim.NodeID
	Key         string
	Value       string
}

// Begin asks a coordinator to run transaction Txn. The coordinator answers
// the sender with an Outcome.
type Begin struct {
	Txn    string
	Writes []Write
}

// Outcome tells the client how transaction Txn ended, and why it aborted.
type Outcome struct {
	Txn      string
	Decision Decision
	Reason   string
}

// Prepare is phase one: the coordinator asks a participant whether it can
// commit its part of Txn.
type Prepare struct {
	Txn   string
	Key   string
	Value string
}

// Vote is a participant's answer to Prepare. Yes is a durable promise to
// commit if told to.
type Vote struct {
	Txn    string
	Yes    bool
	Reason string // why not, when Yes is false
}

// Commit and Abort carry the coordinator's decision for Txn: phase two.
type (
	Commit struct{ Txn string }
	Abort  struct{ Txn string }
)

// Ack tells the coordinator a participant has applied the decision for Txn,
// so it can stop re-sending it.
type Ack struct{ Txn string }

// DecisionRequest is a blocked participant asking the coordinator what was
// decided about Txn.
type DecisionRequest struct{ Txn string }

// Timers.
type (
	voteTimeout struct{ Txn string }
	resendTick  struct{ Txn string }
	askTick     struct{ Txn string }
)

func decisionMsg(txn string, d Decision) sim.Message {
	if d == Committed {
		return Commit{Txn: txn}
	}
	return Abort{Txn: txn}
}
