package quorumkv

import (
	"testing"

	"github.com/dsimlab/dsim/scenarios/storage/quorumsuite"
)

// go test -run TestQuorumA runs part A; go test runs all, with a score.
func TestQuorumA(t *testing.T) { quorumsuite.Homework(t, New, "A") }
func TestQuorumB(t *testing.T) { quorumsuite.Homework(t, New, "B") }
func TestQuorumC(t *testing.T) { quorumsuite.Homework(t, New, "C") }
