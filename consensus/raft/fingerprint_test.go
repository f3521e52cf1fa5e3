package raft

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Equal states give equal fingerprints, whatever the maps' order, the
// timers' ids or the scratch buffer; a change to any part of the state the
// protocol reads changes it.
func TestFingerprint(t *testing.T) {
	at := sim.Epoch.Add(150 * time.Millisecond)
	base := func() *Node {
		n := New(Config{}, nil)
		n.id, n.peers = "n1", []sim.NodeID{"n2", "n3"}
		n.term, n.votedFor = 4, "n1"
		n.log.append(Entry{Index: 1, Term: 2}, Entry{Index: 2, Term: 4, Command: []byte("x")})
		n.role, n.leader, n.commitIndex, n.lastApplied = Leader, "n1", 1, 1
		n.epoch, n.heartbeatTimer, n.electionDeadline = 3, 11, at
		n.progress = map[sim.NodeID]*progress{"n2": {next: 3, match: 2}, "n3": {next: 2, match: 1, probing: true}}
		return n
	}
	want := base().Fingerprint()
	same := base()
	same.heartbeatTimer = 12                  // the world's name for the timer
	same.matchBuf = []uint64{9, 9, 9}         // scratch
	same.progress = map[sim.NodeID]*progress{ // another map, another order
		"n3": {next: 2, match: 1, probing: true}, "n2": {next: 3, match: 2}}
	if same.Fingerprint() != want {
		t.Error("an equal state digests differently")
	}
	for name, change := range map[string]func(n *Node){
		"term":           func(n *Node) { n.term = 5 },
		"votedFor":       func(n *Node) { n.votedFor = "n2" },
		"an entry":       func(n *Node) { n.log.entries[1].Term = 3 },
		"a command":      func(n *Node) { n.log.entries[1].Command = []byte("y") },
		"no-op vs empty": func(n *Node) { n.log.entries[0].Command = []byte{} },
		"log length":     func(n *Node) { n.log.truncateFrom(2) },
		"role":           func(n *Node) { n.role = Follower },
		"commitIndex":    func(n *Node) { n.commitIndex = 2 },
		"epoch":          func(n *Node) { n.epoch = 4 },
		"timer set":      func(n *Node) { n.heartbeatTimer = 0 },
		"deadline":       func(n *Node) { n.electionDeadline = at.Add(time.Nanosecond) },
		"matchIndex":     func(n *Node) { n.progress["n3"].match = 2 },
		"probing":        func(n *Node) { n.progress["n2"].probing = true },
		"votes":          func(n *Node) { n.votes = map[sim.NodeID]bool{"n1": true} },
		"unsynced":       func(n *Node) { n.dirty = true },
		"no-op mark":     func(n *Node) { n.log.entries[0].Noop = !n.log.entries[0].Noop },
		"snapshot index": func(n *Node) { n.snapIndex = 1 },
		"incoming":       func(n *Node) { n.incoming = &incomingSnapshot{index: 5, term: 4, offset: 64} },
		"lost writes":    func(n *Node) { n.lostWrites = true },
		"inflight":       func(n *Node) { n.progress["n2"].inflight = []uint64{2} },
		"snapshot sent":  func(n *Node) { n.progress["n3"].snapNext = 64 },
	} {
		n := base()
		change(n)
		if n.Fingerprint() == want {
			t.Errorf("changing the %s does not change the fingerprint", name)
		}
	}
}
