package twopc_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/twopc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

var parts = []sim.NodeID{"p1", "p2", "p3"}

// cluster is a coordinator "co", participants p1..p3 and a client "cl"
// that records the outcomes it is told.
type cluster struct {
	w        *sim.World
	net      *network.Model
	outcomes map[string]twopc.Outcome
}

func newCluster(t require.TestingT, seed uint64, link network.LinkConfig) *cluster {
	net, err := network.New(network.Config{Link: link})
	require.NoError(t, err)
	c := &cluster{w: sim.NewWorld(sim.Config{Seed: seed, Network: net, LoseUnsyncedWrites: true}), net: net, outcomes: map[string]twopc.Outcome{}}
	c.w.AddNode("co", func() sim.Node { return twopc.NewCoordinator(twopc.Config{}) })
	for _, p := range parts {
		c.w.AddNode(p, func() sim.Node { return twopc.NewParticipant(twopc.ParticipantConfig{}) })
	}
	c.w.AddClient("cl", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
			if o, ok := msg.(twopc.Outcome); ok {
				c.outcomes[o.Txn] = o
			}
		})
	})
	return c
}

// begin has the client start txn writing key=value at every participant.
func (c *cluster) begin(t require.TestingT, at time.Duration, txn, key, value string) {
	c.w.At(at, func() {
		require.NoError(t, c.w.Exec("cl", func(_ sim.Node, env sim.Env) {
			var ws []twopc.Write
			for _, p := range parts {
				ws = append(ws, twopc.Write{Participant: p, Key: key, Value: value})
			}
			env.Send("co", twopc.Begin{Txn: txn, Writes: ws})
		}))
	})
}

func (c *cluster) atomic(txn string) (twopc.Decision, error) {
	return twopc.CheckAtomicity(txn, parts, func(id sim.NodeID) sim.Disk { return c.w.Disk(id) })
}

func (c *cluster) participant(id sim.NodeID) *twopc.Participant {
	return c.w.Node(id).(*twopc.Participant)
}

func TestHappyPathCommitsEverywhere(t *testing.T) {
	c := newCluster(t, 1, network.LinkConfig{})
	c.begin(t, 0, "T1", "x", "1")
	c.w.RunFor(time.Second)
	d, err := c.atomic("T1")
	require.NoError(t, err)
	assert.Equal(t, twopc.Committed, d)
	assert.Equal(t, twopc.Committed, c.outcomes["T1"].Decision)
	for _, p := range parts {
		v, ok := twopc.ReadData(c.w.Disk(p), "x")
		assert.True(t, ok)
		assert.Equal(t, "1", v)
		_, locked := c.participant(p).Locked("x")
		assert.False(t, locked, "%s released its lock", p)
	}
}

// A transaction that needs a key another one holds is refused at once, and
// the first one is unaffected.
func TestLockedKeyVotesNoAndAborts(t *testing.T) {
	c := newCluster(t, 1, network.LinkConfig{})
	// T1 gets prepared everywhere, then its coordinator crashes: T1 holds x.
	c.begin(t, 0, "T1", "x", "1")
	crashed := false
	c.w.AfterStep(func() {
		if !crashed && twopc.IsPrepared(c.w.Disk("p1"), "T1") && twopc.IsPrepared(c.w.Disk("p2"), "T1") && twopc.IsPrepared(c.w.Disk("p3"), "T1") {
			crashed = true
			c.w.Crash("co")
			c.w.After(100*time.Millisecond, func() { c.w.Restart("co") })
		}
	})
	c.w.RunFor(50 * time.Millisecond)
	require.True(t, crashed)
	txn, ok := c.participant("p1").Locked("x")
	require.True(t, ok)
	assert.Equal(t, "T1", txn)
	c.begin(t, 0, "T2", "x", "2") // sent while co is down: lost
	c.w.RunFor(time.Second)
	d, err := c.atomic("T1")
	require.NoError(t, err)
	assert.Equal(t, twopc.Aborted, d, "a coordinator that never decided aborts on recovery")
	for _, p := range parts {
		out, _ := twopc.ReadOutcome(c.w.Disk(p), "T1")
		assert.GreaterOrEqual(t, out.Blocked, 100*time.Millisecond, "%s waited out the coordinator's downtime", p)
	}

	// Now with T1 still holding x at p2 only: T3 is refused by p2.
	c2 := newCluster(t, 2, network.LinkConfig{})
	c2.w.At(0, func() {
		require.NoError(t, c2.w.Exec("p2", func(n sim.Node, env sim.Env) {
			n.Receive(env, "co", twopc.Prepare{Txn: "T1", Key: "x", Value: "1"})
		}))
	})
	c2.begin(t, 0, "T3", "x", "3")
	c2.w.RunFor(time.Second)
	assert.Equal(t, twopc.Aborted, c2.outcomes["T3"].Decision)
	assert.Contains(t, c2.outcomes["T3"].Reason, "p2 voted no: x is locked by T1")
	d, err = c2.atomic("T3")
	require.NoError(t, err)
	assert.Equal(t, twopc.Aborted, d)
}

// The decision is logged before it is sent: a coordinator that crashes
// right after deciding, with its Commit to p3 lost on the way, re-sends it
// after restarting.
func TestRestartedCoordinatorResendsLoggedDecision(t *testing.T) {
	c := newCluster(t, 1, network.LinkConfig{}) // every message takes 1ms
	c.begin(t, 0, "T1", "x", "1")
	// Prepares arrive at 1ms and votes at 2ms: cut co -> p3 in between.
	c.w.At(1500*time.Microsecond, func() { require.NoError(t, c.net.Cut("co", "p3")) })
	c.w.AfterStep(func() {
		if d, ok := decided(c.w, "T1"); ok && d == twopc.Committed {
			c.w.Crash("co")
		}
	})
	c.w.RunFor(20 * time.Millisecond)
	require.False(t, c.w.Up("co"))
	assert.True(t, twopc.IsPrepared(c.w.Disk("p3"), "T1"), "p3 never got the Commit")
	c.net.Heal()
	c.w.Restart("co")
	c.w.RunFor(time.Second)
	d, err := c.atomic("T1")
	require.NoError(t, err)
	assert.Equal(t, twopc.Committed, d, "the restarted coordinator re-sent its logged Commit")
}

// decided reads the coordinator's log from its disk.
func decided(w *sim.World, txn string) (twopc.Decision, bool) {
	if !w.Up("co") {
		return "", false
	}
	return w.Node("co").(*twopc.Coordinator).Decision(txn)
}

func TestVoteTimeoutAborts(t *testing.T) {
	c := newCluster(t, 1, network.LinkConfig{})
	require.NoError(t, c.net.Slow("p3", network.Constant(200*time.Millisecond)))
	c.begin(t, 0, "T1", "x", "1")
	c.w.RunFor(2 * time.Second)
	assert.Equal(t, twopc.Aborted, c.outcomes["T1"].Decision)
	assert.Contains(t, c.outcomes["T1"].Reason, "no vote from p3 within 100ms")
	d, err := c.atomic("T1")
	require.NoError(t, err)
	assert.Equal(t, twopc.Aborted, d)
}

func TestParticipantCrashBeforeVotingAborts(t *testing.T) {
	c := newCluster(t, 1, network.LinkConfig{})
	c.w.Crash("p2")
	c.begin(t, 0, "T1", "x", "1")
	c.w.At(300*time.Millisecond, func() { c.w.Restart("p2") })
	c.w.RunFor(time.Second)
	d, err := c.atomic("T1")
	require.NoError(t, err, "p2 learns the abort after its restart: the coordinator keeps re-sending")
	assert.Equal(t, twopc.Aborted, d)
}

// A participant that voted yes and crashed takes its lock back on restart
// and still learns the decision.
func TestParticipantCrashAfterVotingKeepsItsPromise(t *testing.T) {
	c := newCluster(t, 1, network.LinkConfig{})
	c.begin(t, 0, "T1", "x", "1")
	done := false
	c.w.AfterStep(func() {
		if !done && twopc.IsPrepared(c.w.Disk("p2"), "T1") {
			done = true
			c.w.Crash("p2")
			c.w.After(200*time.Millisecond, func() { c.w.Restart("p2") })
		}
	})
	// The crash came at 2ms, the restart at 202ms; the decision takes two
	// more milliseconds to ask for and arrive.
	c.w.RunFor(202500 * time.Microsecond)
	require.True(t, c.w.Up("p2"))
	txn, ok := c.participant("p2").Locked("x")
	require.True(t, ok, "the lock is back after the restart")
	assert.Equal(t, "T1", txn)
	c.w.RunFor(time.Second)
	d, err := c.atomic("T1")
	require.NoError(t, err)
	assert.Equal(t, twopc.Committed, d, "everyone voted yes before the crash")
}

func TestBadBeginIsRefusedWithAReason(t *testing.T) {
	c := newCluster(t, 1, network.LinkConfig{})
	c.w.At(0, func() {
		c.w.Exec("cl", func(_ sim.Node, env sim.Env) {
			env.Send("co", twopc.Begin{Txn: "E1"})
			env.Send("co", twopc.Begin{Txn: "E2", Writes: []twopc.Write{{Participant: "p1", Key: "a"}, {Participant: "p1", Key: "b"}}})
		})
	})
	c.w.RunFor(100 * time.Millisecond)
	assert.Contains(t, c.outcomes["E1"].Reason, "E1 writes nothing")
	assert.Contains(t, c.outcomes["E2"].Reason, "E2 writes twice at p1")
	assert.Contains(t, c.outcomes["E2"].Reason, twopc.ErrBadTransaction.Error())
}

func TestConfigValidateNamesTheField(t *testing.T) {
	require.NoError(t, twopc.DefaultConfig().Validate())
	assert.ErrorContains(t, twopc.Config{VoteTimeout: -time.Second}.Validate(), "VoteTimeout")
	assert.ErrorContains(t, twopc.Config{ResendEvery: -time.Second}.Validate(), "ResendEvery")
}

// Whatever the network and crashes do, no transaction ends committed at one
// participant and aborted at another; and once everything is back up and
// the network heals, every participant learns the outcome.
func TestAtomicityUnderFaults(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		c := newCluster(rt, seed, network.LinkConfig{
			Latency:   network.Uniform{Min: time.Millisecond, Max: 20 * time.Millisecond},
			Loss:      rapid.Float64Range(0, 0.3).Draw(rt, "loss"),
			Duplicate: rapid.Float64Range(0, 0.3).Draw(rt, "duplicate"),
			Reorder:   true,
		})
		txns := rapid.IntRange(1, 4).Draw(rt, "txns")
		for i := range txns {
			c.begin(rt, time.Duration(rapid.IntRange(0, 300).Draw(rt, fmt.Sprint("begin", i)))*time.Millisecond,
				fmt.Sprint("T", i), rapid.SampledFrom([]string{"x", "y"}).Draw(rt, fmt.Sprint("key", i)), fmt.Sprint(i))
		}
		for i := range rapid.IntRange(0, 3).Draw(rt, "crashes") {
			id := rapid.SampledFrom([]sim.NodeID{"co", "p1", "p2", "p3"}).Draw(rt, fmt.Sprint("victim", i))
			at := time.Duration(rapid.IntRange(0, 400).Draw(rt, fmt.Sprint("at", i))) * time.Millisecond
			down := time.Duration(rapid.IntRange(1, 500).Draw(rt, fmt.Sprint("down", i))) * time.Millisecond
			c.w.At(at, func() { c.w.Crash(id) })
			c.w.At(at+down, func() { c.w.Restart(id) })
		}
		c.w.AfterStep(func() {
			for i := range txns {
				if _, err := c.atomic(fmt.Sprint("T", i)); err != nil && !errors.Is(err, twopc.ErrUndecided) {
					rt.Fatalf("after %s: %v", sim.FormatTime(c.w.Now()), err)
				}
			}
		})
		c.w.At(time.Second, func() {
			c.net.Reset()
			for _, id := range []sim.NodeID{"co", "p1", "p2", "p3"} {
				c.w.Restart(id)
			}
		})
		c.w.RunFor(5 * time.Second)
		for i := range txns {
			txn := fmt.Sprint("T", i)
			_, err := c.atomic(txn)
			if err == nil {
				continue
			}
			// Only a transaction whose Begin was lost may be unknown to
			// every participant: its Prepares were never sent.
			if _, logged := c.w.Disk("co").Get("txn/" + txn); logged {
				rt.Fatalf("%v", err)
			}
		}
	})
}
