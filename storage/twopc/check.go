package twopc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dsimlab/dsim/sim"
)

// Errors of CheckAtomicity.
var (
	// ErrNotAtomic: some participants committed and others aborted.
	ErrNotAtomic = errors.New("twopc: not atomic")
	// ErrUndecided: some participant does not know the outcome yet (it is
	// blocked, or never heard of the transaction).
	ErrUndecided = errors.New("twopc: undecided")
)

// CheckAtomicity reads the disks of a transaction's participants after a
// run and returns the outcome they all agree on. It fails with
// ErrNotAtomic if they disagree, and with ErrUndecided if any of them has
// not learnt the outcome.
func CheckAtomicity(txn string, participants []sim.NodeID, disk func(sim.NodeID) sim.Disk) (Decision, error) {
	var (
		got       Decision
		undecided []string
		seen      []string
	)
	for _, p := range participants {
		out, ok := ReadOutcome(disk(p), txn)
		if !ok {
			undecided = append(undecided, string(p))
			continue
		}
		seen = append(seen, fmt.Sprintf("%s %s", p, out.Decision))
		if got == "" {
			got = out.Decision
		} else if out.Decision != got {
			return "", fmt.Errorf("%w: %s: %s", ErrNotAtomic, txn, strings.Join(seen, ", "))
		}
	}
	if len(undecided) > 0 {
		return got, fmt.Errorf("%w: %s: no outcome at %s", ErrUndecided, txn, strings.Join(undecided, ", "))
	}
	return got, nil
}
