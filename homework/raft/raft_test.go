package raft

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios/raftsuite"
)

// The grader: dsim's Raft suite, part by part. Run one part with
//
//	go test -run TestRaftA
//
// and everything with go test. DSIM_GRADESCOPE=results.json writes
// Gradescope's results; DSIM_SEED=3 replays one seed.

func TestRaftA(t *testing.T) { raftsuite.Homework(t, New, "A") }
func TestRaftB(t *testing.T) { raftsuite.Homework(t, New, "B") }
func TestRaftC(t *testing.T) { raftsuite.Homework(t, New, "C") }
func TestRaftD(t *testing.T) { raftsuite.Homework(t, New, "D") }
