package paxos

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios/paxos/paxossuite"
)

// go test -run TestPaxosA runs part A; go test runs all, with a score.
func TestPaxosA(t *testing.T) { paxossuite.Homework(t, New, "A") }
func TestPaxosB(t *testing.T) { paxossuite.Homework(t, New, "B") }
func TestPaxosC(t *testing.T) { paxossuite.Homework(t, New, "C") }
