package eventstore

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The seed's bank account, the worked example of an aggregate: its events,
// the state they fold into, and the command side that decides which event
// a command produces, or refuses it.
const (
	AccountCreated = "AccountCreated" // Data: the initial balance
	DepositMade    = "DepositMade"    // Data: the amount
	WithdrawalMade = "WithdrawalMade" // Data: the amount
)

// Account is the state the account's events fold into. Invariant (kept by
// Decide, so by every stream Decide wrote): Balance >= 0 after every event.
type Account struct {
	Open    bool
	Balance int64
	Version int64 // the last event applied
}

// ApplyAccount is the fold: the account after one more event.
func ApplyAccount(a Account, e Event) Account {
	n, _ := strconv.ParseInt(e.Data, 10, 64)
	switch e.Type {
	case AccountCreated:
		a.Open, a.Balance = true, n
	case DepositMade:
		a.Balance += n
	case WithdrawalMade:
		a.Balance -= n
	}
	a.Version = e.Version
	return a
}

// Command is what a client asks of an account.
type Command struct {
	ID     string
	Type   string // "open", "deposit" or "withdraw"
	Amount int64
}

// Command-side refusals.
var (
	ErrInsufficientFunds = errors.New("insufficient funds")
	ErrNotOpen           = errors.New("account not open")
	ErrBadCommand        = errors.New("bad command")
)

// DecideAccount is the command side: the event cmd produces on account a,
// or why it is refused. It enforces the invariant: no withdrawal below
// zero.
func DecideAccount(a Account, cmd Command, now time.Time) (Event, error) {
	if cmd.Amount < 0 {
		return Event{}, fmt.Errorf("%w: negative amount %d", ErrBadCommand, cmd.Amount)
	}
	e := Event{Command: cmd.ID, At: now, Data: strconv.FormatInt(cmd.Amount, 10)}
	switch cmd.Type {
	case "open":
		if a.Open {
			return Event{}, fmt.Errorf("%w: already open", ErrBadCommand)
		}
		e.Type = AccountCreated
	case "deposit":
		if !a.Open {
			return Event{}, ErrNotOpen
		}
		e.Type = DepositMade
	case "withdraw":
		if !a.Open {
			return Event{}, ErrNotOpen
		}
		if cmd.Amount > a.Balance {
			return Event{}, fmt.Errorf("%w: balance %d, withdrawal %d", ErrInsufficientFunds, a.Balance, cmd.Amount)
		}
		e.Type = WithdrawalMade
	default:
		return Event{}, fmt.Errorf("%w: unknown command %q", ErrBadCommand, cmd.Type)
	}
	return e, nil
}
