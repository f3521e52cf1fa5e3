// Package tui is a terminal debugger for distributed protocols: it steps
// through any dsim scenario one event at a time, forwards and backwards,
// and lets you break things by key. `dsim tui [NAME] [--seed N]` opens it;
// RaftScope (the Raft paper's browser visualisation) and DSLabs' visual
// debugger are its models.
//
// The screen shows a card per node (its role in colour, term, vote, the
// tail of its log as index:term, commit index, and a bar that empties as
// its election timer runs down), the messages in flight with the time each
// has left, the faults the network is under, the virtual clock, and the
// latest events in the format of `dsim run`. Raft nodes (raft.Status, also
// inside an rsm.Server) and Paxos nodes (paxos.Status) get these rich
// cards; any other node shows what its Inspect method says.
//
// # Going back in time
//
// A simulation is deterministic: the seed and the fault schedule decide
// every event. So a Session does not record the world's history; it can
// re-execute it. Event k is "set the scenario up with this seed and
// schedule, then take k steps". What it does keep is what the screen
// showed of the last 512 events (frames, see frame.go): stepping back
// through those is instant, and stepping back further re-executes the run
// once, keeping the frames of the 512 events before the new position on
// the way (BenchmarkStepBack: about a millisecond a step at event 20,000
// of raft-kv, where re-executing every step took tens).
//
// # Faults by key, replayed exactly
//
// A fault injected by key (crash, restart, isolate, heal, drop the next
// message) is not applied to the running world. It is added to the
// session's fault schedule, and the run is re-executed with it. The
// interactive run therefore is, event for event, the run that
// `dsim run NAME --seed N --schedule FILE` replays from the file w saves.
// One subtlety decides the fault's time: network.Play schedules every
// fault when the run is set up, so a fault at exactly the time of the
// event on screen would run before that event on replay. The session
// times it at the next whole microsecond instead, after every event you
// have seen.
//
// The model (Model) is an ordinary bubbletea model: tests drive Update
// with key messages and read View, with no terminal; golden screens live
// in testdata (go test ./tui -update rewrites them), and an end-to-end test
// runs the real binary inside tmux.
package tui
