package eventstore_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/eventstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

var t0 = sim.Epoch

// The seed's example: created, deposit 100, withdraw 20 -> balance 80,
// and the balance as of any earlier moment.
func TestSeedAccount(t *testing.T) {
	s := eventstore.Open(sim.NewMemDisk())
	var a eventstore.Account
	for i, c := range []eventstore.Command{{ID: "c1", Type: "open"}, {ID: "c2", Type: "deposit", Amount: 100}, {ID: "c3", Type: "withdraw", Amount: 20}} {
		e, err := eventstore.DecideAccount(a, c, t0.Add(time.Duration(i)*time.Second))
		require.NoError(t, err)
		out, err := s.Append("acct", a.Version, e)
		require.NoError(t, err)
		a = eventstore.ApplyAccount(a, out[0])
	}
	events, err := s.Load("acct", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(80), eventstore.Replay(eventstore.Account{}, events, eventstore.ApplyAccount).Balance)
	assert.Equal(t, int64(100), eventstore.ReplayUntil(eventstore.Account{}, events, t0.Add(1500*time.Millisecond), eventstore.ApplyAccount).Balance)

	_, err = eventstore.DecideAccount(a, eventstore.Command{Type: "withdraw", Amount: 81}, t0)
	assert.ErrorIs(t, err, eventstore.ErrInsufficientFunds)
	_, err = s.Append("acct", 2, eventstore.Event{Type: eventstore.DepositMade, Data: "1"})
	assert.ErrorIs(t, err, eventstore.ErrConflict, "a writer that decided on version 2 must not append after 3")
}

// Property: whatever commands come, replaying the stream gives the state
// the command side kept, a snapshot plus the tail gives it too, and the
// balance never went below zero at any version.
func TestReplayIsCurrentState(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := eventstore.Open(sim.NewMemDisk())
		snapEvery := rapid.IntRange(1, 8).Draw(t, "snapEvery")
		a := eventstore.Account{}
		cmds := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) eventstore.Command {
			return eventstore.Command{Type: rapid.SampledFrom([]string{"open", "deposit", "withdraw"}).Draw(t, "type"), Amount: rapid.Int64Range(0, 100).Draw(t, "amount")}
		}), 0, 60).Draw(t, "commands")
		for i, c := range cmds {
			c.ID = fmt.Sprint(i)
			e, err := eventstore.DecideAccount(a, c, t0.Add(time.Duration(i)*time.Millisecond))
			if err != nil {
				if !errors.Is(err, eventstore.ErrInsufficientFunds) && !errors.Is(err, eventstore.ErrNotOpen) && !errors.Is(err, eventstore.ErrBadCommand) {
					t.Fatalf("unexpected refusal: %v", err)
				}
				continue
			}
			out, err := s.Append("acct", a.Version, e)
			if err != nil {
				t.Fatal(err)
			}
			a = eventstore.ApplyAccount(a, out[0])
			if a.Version%int64(snapEvery) == 0 {
				s.SaveSnapshot("acct", eventstore.Snapshot{Version: a.Version, State: fmt.Sprint(a.Balance)})
			}
		}
		events, err := s.Load("acct", 0)
		if err != nil {
			t.Fatal(err)
		}
		var replayed eventstore.Account
		for _, e := range events {
			replayed = eventstore.ApplyAccount(replayed, e)
			if replayed.Balance < 0 {
				t.Fatalf("balance %d at version %d", replayed.Balance, e.Version)
			}
		}
		if replayed != a {
			t.Fatalf("replay %+v, state kept %+v", replayed, a)
		}
		if snap, ok := s.LoadSnapshot("acct"); ok {
			var bal int64
			fmt.Sscan(snap.State, &bal)
			tail, err := s.Load("acct", snap.Version)
			if err != nil {
				t.Fatal(err)
			}
			from := eventstore.Account{Open: true, Balance: bal, Version: snap.Version}
			if got := eventstore.Replay(from, tail, eventstore.ApplyAccount); got != a {
				t.Fatalf("snapshot at %d plus %d events: %+v, want %+v", snap.Version, len(tail), got, a)
			}
		}
	})
}
