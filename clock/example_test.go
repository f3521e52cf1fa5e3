package clock_test

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/clock"
)

// The course's example: three processes A, B and C. A's first event and B's
// first event know nothing of each other, so they are concurrent. When B
// hears from A, B's next event comes after A's.
func ExampleVector() {
	start := clock.NewVector("A", "B", "C")

	a1 := start.Tick("A") // A does something (and tells B)
	b1 := start.Tick("B") // meanwhile B does something on its own
	fmt.Println(a1, "vs", b1, "->", a1.Compare(b1))

	a2 := a1.Tick("A")           // A sends a message carrying a2
	b2 := b1.Merge(a2).Tick("B") // B receives it
	fmt.Println(a1, "vs", b2, "->", a1.Compare(b2))
	fmt.Println(b2, "vs", a1, "->", b2.Compare(a1))
	fmt.Println(b2, "vs", b2.Copy(), "->", b2.Compare(b2.Copy()))
	fmt.Println("a1 happened before b2:", a1.HappenedBefore(b2))
	// Output:
	// [A:1,B:0,C:0] vs [A:0,B:1,C:0] -> concurrent
	// [A:1,B:0,C:0] vs [A:2,B:2,C:0] -> before
	// [A:2,B:2,C:0] vs [A:1,B:0,C:0] -> after
	// [A:2,B:2,C:0] vs [A:2,B:2,C:0] -> equal
	// a1 happened before b2: true
}

// A Lamport clock: local events and sends tick; a receive jumps past the
// message's stamp.
func ExampleLamport() {
	var a, b clock.Lamport
	a.Tick()         // A: a local event, stamp 1
	sent := a.Tick() // A: send, stamp 2
	b.Tick()         // B: a local event, stamp 1
	got := b.Observe(sent)
	fmt.Println("sent at", sent, "received at", got)
	// Output: sent at 2 received at 3
}

// A hybrid logical clock on a node whose physical clock is 5ms behind its
// peer's: the receive is stamped after the send, although the local clock
// says it happened earlier.
func ExampleHLC() {
	t0 := time.Unix(1_700_000_000, 0)
	var fast, slow clock.HLC
	sent := fast.Now(t0.Add(5 * time.Millisecond))
	got, err := slow.Update(t0.Add(time.Millisecond), sent)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sent    ", sent)
	fmt.Println("received", got)
	fmt.Println("later in physical time:", slow.Now(t0.Add(6*time.Millisecond)))
	// Output:
	// sent     1700000000.005000000,0
	// received 1700000000.005000000,1
	// later in physical time: 1700000000.006000000,0
}
