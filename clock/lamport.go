package clock

import "math"

// LamportTime is a Lamport timestamp: a counter, not a time of day.
type LamportTime uint64

// Lamport is a Lamport logical clock (Lamport 1978, "Time, Clocks, and the
// Ordering of Events in a Distributed System"). Its zero value is a clock at
// time 0, ready to use. It is not safe for concurrent use; a node has one
// and touches it only from its handlers.
type Lamport struct {
	// time is the stamp of the last event on this process.
	// Invariant: it only ever grows; every event gets a larger stamp than
	// the one before it (rule IR1 of the paper).
	time LamportTime
}

// Tick stamps a local event, including sending a message: the clock moves
// one step forward and the new time is the event's stamp. A sender puts that
// stamp on the message.
func (c *Lamport) Tick() LamportTime {
	c.time = next(c.time)
	return c.time
}

// Observe stamps the receipt of a message stamped remote: the clock jumps to
// max(local, remote) + 1, so the receive is later than the send (rule IR2),
// and returns the receive event's stamp.
//
// Observe panics if the result would overflow: no honest process reaches a
// stamp of 2^64-1, so a remote that sends one is not following the protocol.
func (c *Lamport) Observe(remote LamportTime) LamportTime {
	c.time = next(max(c.time, remote))
	return c.time
}

// Time is the stamp of the latest event, without making a new one.
func (c *Lamport) Time() LamportTime { return c.time }

func next(t LamportTime) LamportTime {
	if t == math.MaxUint64 {
		panic("clock: Lamport time overflow (a peer sent a stamp no honest process can reach)")
	}
	return t + 1
}
