// Package eventstore keeps state as the events that produced it (event
// sourcing), on a node's sim.Disk: instead of "balance: 80", the stream
// AccountCreated, DepositMade 100, WithdrawalMade 20, and the balance is
// what replaying them gives.
//
// A Store appends events to a stream with optimistic concurrency (the
// caller names the version it decided on; a stream that moved on since is
// ErrConflict), loads a stream, and keeps snapshots (a state as of a
// version) so a rebuild replays only the tail. Replay folds events into a
// state; ReplayUntil stops at an instant, for "the balance as of last
// Tuesday".
//
// Appends are not synced: the caller calls Sync when it wants them durable
// (once per command, or for a group of commands), and acknowledges only
// after that. A crash before the Sync loses the appended events, which
// nobody was told about.
package eventstore
