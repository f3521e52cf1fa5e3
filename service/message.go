package service

import (
	"strconv"

	"github.com/dsimlab/dsim/resilience"
)

// Request is one call to a service. Its fields are plain values, so it prints
// in a trace and can cross a real network.
type Request struct {
	// ID names the call for the caller; the Response carries it back.
	ID uint64
	// Caller names the Caller that sent it, so a node with several
	// dependencies can tell whose answer a Response is.
	Caller string
	// Attempt counts tries of one call from 0; a late answer to an earlier
	// attempt is recognised and ignored.
	Attempt int
	// Key is what is asked for: a URL, a user, a row.
	Key string
	// Priority ranks the request for load shedding (0 is the most important).
	Priority resilience.Priority
}

// Response answers a Request.
type Response struct {
	ID      uint64
	Caller  string
	Attempt int
	Key     string
	Value   string
	Outcome Outcome
}

// Outcome is how a call ended.
type Outcome int

// The outcomes of a call. Only OK is a success.
const (
	OK Outcome = iota
	// Rejected: the server's queue was full.
	Rejected
	// Shed: the server was overloaded and dropped the request for its
	// priority.
	Shed
	// Timeout: no answer within the caller's timeout.
	Timeout
	// BreakerOpen: the caller's circuit breaker refused the call: fail fast.
	BreakerOpen
	// BulkheadFull: the caller's bulkhead for this dependency was full.
	BulkheadFull
	// Failed: the server tried and a dependency of its own failed.
	Failed
	// Denied: the request was refused on its merits (bad credentials, say).
	Denied
	numOutcomes
)

var outcomeNames = [...]string{"ok", "rejected", "shed", "timeout", "breaker-open", "bulkhead-full", "failed", "denied"}

func (o Outcome) String() string {
	if o >= 0 && o < numOutcomes {
		return outcomeNames[o]
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}
