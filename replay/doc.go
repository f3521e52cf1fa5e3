// Package replay records what a live node lived through and replays it in
// the simulator, to check that the node did, event for event, what the
// recording says it did: how a lab debugs what happened on its Pis.
//
// # Recording
//
// Record wraps the node `dsim node --record FILE` runs. Before each event
// reaches the node, the recorder writes it down: a message from a peer or
// a client (its registered type and JSON body, as on the wire), a timer
// the node set, or a message the node sent itself, with its arrival time.
// After the handler, it writes a digest of each output: every message
// sent, timer set or cancelled, and disk write. The first line of a run
// holds what a fresh node needs to start where this one did: the cluster
// file, the protocol, the seed of its random numbers and its whole disk.
//
// Recording changes two things about the live node, both toward the
// simulator: env.Now is the event's arrival time for the whole handler
// (virtual time does not move inside a handler either), and env.Rand is
// the recorder's own stream, seeded in the recording, so the transport's
// random draws cannot shift the node's.
//
// Timers and self-sends are Go values that never cross the wire and may
// have unexported types; the recorder numbers them as the node makes them
// (timer 7, self-send 3) and the recording names the number. A replayed
// node that makes them in the same order has the same values under the
// same numbers; one that does not has already diverged.
//
// # Replaying
//
// Check builds a fresh node from the recording's protocol and cluster,
// on a disk holding what the live node's disk held, and feeds it the
// recorded inputs at the recorded times. It compares every output with
// the recording and names the first that differs.
//
// A file holds one run per process start (a restarted node appends a new
// run); each is checked on its own.
package replay
