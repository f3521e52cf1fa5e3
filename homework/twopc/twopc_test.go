package twopc

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios/txn/twopcsuite"
)

var nodes = twopcsuite.Constructors{Coordinator: NewCoordinator, Participant: NewParticipant}

// go test -run TestTwoPCA runs part A; go test runs all, with a score.
func TestTwoPCA(t *testing.T) { twopcsuite.Homework(t, nodes, "A") }
func TestTwoPCB(t *testing.T) { twopcsuite.Homework(t, nodes, "B") }
func TestTwoPCC(t *testing.T) { twopcsuite.Homework(t, nodes, "C") }
