package saga

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dsimlab/dsim/sim"
)

// ErrInconsistent is wrapped by Check's error.
var ErrInconsistent = errors.New("saga: inconsistent end state")

// Check reads a saga's status at each service, in stage order, and says
// whether the saga ended consistently: done at every service (completed),
// or done at none (every applied step compensated). It returns true for a
// completed saga.
func Check(saga string, services []sim.NodeID, disk func(sim.NodeID) sim.Disk) (completed bool, err error) {
	done := 0
	var states []string
	for _, s := range services {
		st := ReadStatus(disk(s), saga)
		if st == Done {
			done++
		}
		if st == "" {
			st = "untouched"
		}
		states = append(states, fmt.Sprintf("%s %s", s, st))
	}
	switch done {
	case len(services):
		return true, nil
	case 0:
		return false, nil
	}
	return false, fmt.Errorf("%w: %s: %s", ErrInconsistent, saga, strings.Join(states, ", "))
}
