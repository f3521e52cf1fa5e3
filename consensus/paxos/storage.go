package paxos

import (
	"encoding/json"

	"github.com/dsimlab/dsim/sim"
)

// What a node keeps on its Disk, as one JSON record under "paxos":
//
//	{"promised":{"Round":2,"Node":"n1"},"acceptedBallot":...,"acceptedValue":"blue","chosen":false}
//
// The acceptor's fields must survive a crash; the learner's chosen value is
// kept too, so a restarted node does not have to learn it again.
const stateKey = "paxos"

type durable struct {
	Promised       Ballot `json:"promised"`
	AcceptedBallot Ballot `json:"acceptedBallot"`
	AcceptedValue  string `json:"acceptedValue"`
	Chosen         bool   `json:"chosen"`
	ChosenValue    string `json:"chosenValue"`
}

// persist writes the acceptor's state and syncs it: a promise or an
// acceptance may be sent only once it would survive a crash.
func (n *Node) persist(env sim.Env) {
	d := durable{
		Promised: n.promised, AcceptedBallot: n.acceptedBallot, AcceptedValue: n.acceptedValue,
		Chosen: n.chosen, ChosenValue: n.chosenValue,
	}
	if n.bugs.forgetPromise {
		// The bug: the promise stays in memory only. The disk keeps the
		// last ballot accepted, as if accepting were the only thing that
		// mattered.
		d.Promised = n.acceptedBallot
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic("paxos: encoding state: " + err.Error())
	}
	env.Disk().Put(stateKey, b)
	if !n.bugs.neverSync {
		env.Disk().Sync()
	}
}

// load reads the state persist wrote. A disk this package did not write is
// a broken invariant of the world, so it panics.
func (n *Node) load(env sim.Env) {
	b, ok := env.Disk().Get(stateKey)
	if !ok {
		return
	}
	var d durable
	if err := json.Unmarshal(b, &d); err != nil {
		panic("paxos: corrupt disk: " + err.Error())
	}
	n.promised, n.acceptedBallot, n.acceptedValue = d.Promised, d.AcceptedBallot, d.AcceptedValue
	n.chosen, n.chosenValue = d.Chosen, d.ChosenValue
}
