package broadcast

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios/broadcastsuite"
)

// The ladder: go test -run TestBroadcastA runs rung A; go test runs all.
func TestBroadcastA(t *testing.T) { broadcastsuite.Homework(t, New, "A") }
func TestBroadcastB(t *testing.T) { broadcastsuite.Homework(t, New, "B") }
func TestBroadcastC(t *testing.T) { broadcastsuite.Homework(t, New, "C") }
func TestBroadcastD(t *testing.T) { broadcastsuite.Homework(t, New, "D") }
func TestBroadcastE(t *testing.T) { broadcastsuite.Homework(t, New, "E") }
