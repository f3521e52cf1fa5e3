package paxos_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cluster(t *testing.T, n int, cfg paxos.Config, seed uint64) *sim.World {
	t.Helper()
	w := sim.NewWorld(sim.Config{Seed: seed})
	for i := 1; i <= n; i++ {
		w.AddNode(sim.NodeID(fmt.Sprintf("n%d", i)), func() sim.Node { return paxos.New(cfg) })
	}
	return w
}

func status(w *sim.World, id sim.NodeID) paxos.Status {
	if n, ok := w.Node(id).(*paxos.Node); ok {
		return n.Status()
	}
	return paxos.Status{}
}

func propose(t *testing.T, w *sim.World, id sim.NodeID, v string) {
	t.Helper()
	require.NoError(t, w.Exec(id, func(n sim.Node, env sim.Env) { n.(*paxos.Node).Propose(env, v) }))
}

func TestBallotOrder(t *testing.T) {
	tests := []struct {
		a, b paxos.Ballot
		less bool
	}{
		{paxos.Ballot{}, paxos.Ballot{Round: 1, Node: "n1"}, true},
		{paxos.Ballot{Round: 1, Node: "n1"}, paxos.Ballot{Round: 1, Node: "n2"}, true},
		{paxos.Ballot{Round: 1, Node: "n9"}, paxos.Ballot{Round: 2, Node: "n1"}, true},
		{paxos.Ballot{Round: 2, Node: "n1"}, paxos.Ballot{Round: 1, Node: "n9"}, false},
		{paxos.Ballot{Round: 1, Node: "n1"}, paxos.Ballot{Round: 1, Node: "n1"}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.less, tt.a.Less(tt.b), "%v < %v", tt.a, tt.b)
	}
	assert.Equal(t, "3.n1", paxos.Ballot{Round: 3, Node: "n1"}.String())
}

func TestOneProposerValueChosen(t *testing.T) {
	w := cluster(t, 3, paxos.DefaultConfig(), 1)
	w.RunFor(time.Millisecond)
	propose(t, w, "n1", "blue")
	w.RunFor(100 * time.Millisecond)
	for _, id := range w.Members() {
		st := status(w, id)
		assert.True(t, st.Chosen, id)
		assert.Equal(t, "blue", st.ChosenValue, id)
		assert.Equal(t, paxos.Ballot{Round: 1, Node: "n1"}, st.AcceptedBallot, id)
	}
	assert.Equal(t, 1, status(w, "n1").Rounds)
}

func TestLaterProposerAdoptsChosenValue(t *testing.T) {
	w := cluster(t, 3, paxos.DefaultConfig(), 1)
	w.RunFor(time.Millisecond)
	propose(t, w, "n1", "blue")
	w.RunFor(100 * time.Millisecond)
	// n3 forgets it learned (a fresh disk would), so its proposer must find
	// the value through phase 1.
	w.Crash("n3")
	w.Disk("n3").Delete("paxos")
	w.Restart("n3")
	w.RunFor(time.Millisecond)
	propose(t, w, "n3", "red")
	w.RunFor(100 * time.Millisecond)
	st := status(w, "n3")
	require.True(t, st.Chosen)
	assert.Equal(t, "blue", st.ChosenValue, "phase 1 reported blue, so n3 must propose blue")
	assert.Equal(t, paxos.Ballot{Round: 1, Node: "n3"}, st.AcceptedBallot, "1.n3 is above 1.n1: the node ID breaks the tie")
}

func TestAcceptorStateSurvivesRestart(t *testing.T) {
	w := cluster(t, 3, paxos.DefaultConfig(), 1)
	w.RunFor(time.Millisecond)
	propose(t, w, "n1", "blue")
	w.RunFor(100 * time.Millisecond)
	before := status(w, "n2")
	w.Crash("n2")
	w.Restart("n2")
	w.RunFor(time.Millisecond)
	after := status(w, "n2")
	assert.Equal(t, before.Promised, after.Promised)
	assert.Equal(t, before.AcceptedBallot, after.AcceptedBallot)
	assert.Equal(t, "blue", after.AcceptedValue)
	assert.Equal(t, "blue", after.ChosenValue)
}

func TestNoMajorityNothingChosen(t *testing.T) {
	w := cluster(t, 5, paxos.DefaultConfig(), 1)
	w.RunFor(time.Millisecond)
	for _, id := range []sim.NodeID{"n3", "n4", "n5"} {
		w.Crash(id)
	}
	propose(t, w, "n1", "blue")
	w.RunFor(2 * time.Second)
	assert.False(t, status(w, "n1").Chosen)
	assert.Greater(t, status(w, "n1").Rounds, 3, "the proposer keeps trying")
	w.Restart("n3")
	w.RunFor(2 * time.Second)
	assert.Equal(t, "blue", status(w, "n1").ChosenValue, "with a majority back, the value is chosen")
}

func TestConfigValidate(t *testing.T) {
	assert.NoError(t, paxos.Config{}.Validate())
	assert.NoError(t, paxos.DefaultConfig().Validate())
	assert.ErrorIs(t, paxos.Config{RetryTimeout: -1}.Validate(), paxos.ErrInvalidConfig)
	assert.ErrorIs(t, paxos.Config{Members: []sim.NodeID{"a", "a"}}.Validate(), paxos.ErrInvalidConfig)
	bad := paxos.RandomBackoff()
	bad.Cap = -1
	assert.ErrorIs(t, paxos.Config{Backoff: bad}.Validate(), paxos.ErrInvalidConfig)
}
