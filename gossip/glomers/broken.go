package glomers

import "fmt"

// Bug names a deliberate mistake NewBroken builds into a Node.
type Bug int

const (
	// NoAntiEntropy pushes each value once and never repairs: a value
	// whose push was lost, or cut off by a partition, never arrives.
	NoAntiEntropy Bug = iota + 1
	// RefloodsEveryValue forwards every new value to every peer on first
	// receipt: nothing is lost, but each value costs about n² messages.
	RefloodsEveryValue
	// SumsCounters merges a peer's counter entries by adding them to its
	// own instead of taking the larger: every anti-entropy round counts the
	// same additions again.
	SumsCounters
)

func (b Bug) String() string {
	switch b {
	case NoAntiEntropy:
		return "NoAntiEntropy"
	case RefloodsEveryValue:
		return "RefloodsEveryValue"
	case SumsCounters:
		return "SumsCounters"
	}
	return fmt.Sprintf("Bug(%d)", int(b))
}

type testingKnobs struct {
	noAntiEntropy bool
	reflood       bool
	sumCounters   bool
}

// NewBroken returns a Node with one deliberate bug, to show that the
// grader catches it; never use it otherwise. It panics on an unknown Bug.
func NewBroken(bug Bug) *Node {
	n := New()
	switch bug {
	case NoAntiEntropy:
		n.bugs.noAntiEntropy = true
	case RefloodsEveryValue:
		n.bugs.reflood = true
	case SumsCounters:
		n.bugs.sumCounters = true
	default:
		panic(fmt.Sprintf("glomers: NewBroken: unknown %v", bug))
	}
	return n
}
