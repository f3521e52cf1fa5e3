package multipaxos

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios/paxos/multipaxossuite"
)

// go test -run TestMultiPaxosA runs part A; go test runs all, with a score.
func TestMultiPaxosA(t *testing.T) { multipaxossuite.Homework(t, New, "A") }
func TestMultiPaxosB(t *testing.T) { multipaxossuite.Homework(t, New, "B") }
func TestMultiPaxosC(t *testing.T) { multipaxossuite.Homework(t, New, "C") }
