// Package clock gives processes a shared sense of "before" without a shared
// clock: Lamport clocks, vector clocks and hybrid logical clocks.
//
// # Why not just read the time?
//
// Physical clocks on different machines disagree (skew) and run at slightly
// different rates (drift); NTP keeps them within milliseconds, not exactly
// together. If A writes at 10:00:00.003 by its clock and B at 10:00:00.001
// by its own, B's write may still have come second. Ordering events by the
// wall clock is guesswork. The clocks in this package order events by what
// processes could have known instead.
//
// # Happened-before
//
// Lamport (1978) defines "a happened before b", written a -> b, as the
// smallest relation where
//
//   - a and b are on the same process and a comes first, or
//   - a sends a message and b receives that same message, or
//   - a -> c and c -> b for some event c (it is transitive).
//
// a -> b means information could have flowed from a to b, so a could have
// caused b. If neither a -> b nor b -> a, the events are concurrent (a || b):
// neither could have influenced the other, whatever the wall clocks said.
//
// # Lamport clocks
//
// Each process keeps a counter. It adds one for each local event and each
// send, and puts the counter on every message it sends; on a receive it
// jumps to max(own, message) + 1 (see Lamport.Tick and Lamport.Observe).
// That gives the clock condition:
//
//	a -> b  implies  L(a) < L(b)
//
// because every step along a chain of events and messages adds at least
// one. The converse is false: L(a) < L(b) does not mean a -> b. Two
// processes that never talk still count up, and one of them is ahead. A
// Lamport clock gives a total order consistent with causality (break ties
// by process name), which is enough for mutual exclusion or for
// last-writer-wins, but it cannot tell you whether two events were
// concurrent.
//
// # Vector clocks
//
// A vector clock keeps one counter per process: entry i is how many events
// of process i this process has heard of. A process ticks its own entry for
// each event; a receiver takes the pointwise maximum with the vector on the
// message and then ticks (Vector.Tick, Vector.Merge). Now the converse holds
// too:
//
//	a -> b  if and only if  V(a) < V(b)
//
// where V(a) < V(b) means every entry <= and at least one <. So vectors
// detect concurrency. In the course's example, with processes A, B and C,
//
//	[A:1,B:0,C:0] and [A:0,B:1,C:0] are concurrent: neither is <= the other
//	[A:1,B:0,C:0] happened before [A:2,B:1,C:0]
//
// Vector.Compare answers Before, After, Equal or Concurrent. A Dynamo-style
// store uses that to tell a newer version (overwrite it) from a conflicting
// one (keep both and let someone reconcile). The price is one counter per
// process on every message.
//
// # Hybrid logical clocks
//
// A hybrid logical clock (Kulkarni et al. 2014) keeps a timestamp (l, c):
// l is the largest physical time the process has heard of, from its own
// clock or from a message, and c is a small counter that orders events
// sharing one l. It keeps the clock condition, a -> b implies
// HLC(a) < HLC(b), and never goes backwards even when the physical clock
// does, yet l stays within the clock skew of physical time: it is always
// some process's physical reading, never one invented ahead of every clock
// (short of 2^32 events on one reading; see HLC.Now).
// So a timestamp also says roughly when, and a database can use it for
// snapshot reads "as of 10:00". It fits in 64 bits of nanoseconds plus a
// 32-bit counter (Timestamp). Like a Lamport clock it cannot detect
// concurrency.
//
// A faulty clock far in the future would drag every clock that hears from
// it along. HLC.MaxOffset guards against that: Update refuses a remote
// timestamp more than MaxOffset ahead of local physical time, with an error
// wrapping ErrClockOffset.
//
// # Using the clocks in a node
//
// None of the clocks reads the time or keeps goroutines: a node owns its
// clock, passes env.Now() to the HLC, and touches the clock only from its
// handlers, so runs stay deterministic. A clock lives in memory; a node that
// must keep its promises across a crash persists it on its Disk.
package clock
