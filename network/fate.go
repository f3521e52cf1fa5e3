package network

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Fate decides ahead of time what happens to one message, named by its id
// (the n-th message sent in the run). The explorer (package check/explore)
// writes its counterexamples as fates: the exact order of deliveries it
// found, replayed through the ordinary simulator. A message with a fate
// skips the link model: no latency is drawn, no loss, no partition.
//
// Text: fate 12 arrive 10.000003ms, fate 12 arrive 10ms copy 11ms, fate 12 drop.
// A fate's own time is ignored: Play gives the model every fate before the
// run starts, since a fate is about a message, not about a moment.
type Fate struct {
	Message uint64
	// Drop loses the message; otherwise it arrives at Arrive (virtual time
	// since the start of the run), and, with Copy > 0, a duplicate at Copy.
	Drop   bool
	Arrive time.Duration
	Copy   time.Duration
}

func (a Fate) String() string {
	switch {
	case a.Drop:
		return fmt.Sprintf("fate %d drop", a.Message)
	case a.Copy > 0:
		return fmt.Sprintf("fate %d arrive %v copy %v", a.Message, a.Arrive, a.Copy)
	}
	return fmt.Sprintf("fate %d arrive %v", a.Message, a.Arrive)
}

func (a Fate) check() error {
	if a.Message == 0 {
		return errors.New("fate: message ids start at 1")
	}
	if !a.Drop && (a.Arrive < 0 || a.Copy < 0) {
		return errors.New("fate: negative arrival time")
	}
	return nil
}

func (a Fate) nodes() []sim.NodeID { return nil }

func (a Fate) apply(_ *sim.World, m *Model) error {
	if m.fates == nil {
		m.fates = map[uint64]Fate{}
	}
	m.fates[a.Message] = a
	return nil
}

// ScriptedFate implements sim.FateScript: the fate a schedule gave message
// id, if any.
func (m *Model) ScriptedFate(id uint64, now time.Duration) (sim.Fate, bool) {
	f, ok := m.fates[id]
	if !ok {
		return sim.Fate{}, false
	}
	if f.Drop {
		return sim.Fate{Drop: true, Reason: "fate"}, true
	}
	fate := sim.Fate{Delay: max(f.Arrive-now, 0)}
	if f.Copy > 0 {
		fate.Duplicate, fate.DupDelay = true, max(f.Copy-now, 0)
	}
	return fate, true
}

func parseFate(args []string) (Action, error) {
	bad := errors.New(`fate: want "fate ID drop" or "fate ID arrive TIME [copy TIME]"`)
	if len(args) < 2 {
		return nil, bad
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("fate: message id %q is not a whole number", args[0])
	}
	f := Fate{Message: id}
	switch {
	case len(args) == 2 && args[1] == "drop":
		f.Drop = true
	case (len(args) == 3 || len(args) == 5) && args[1] == "arrive":
		if f.Arrive, err = time.ParseDuration(args[2]); err != nil {
			return nil, fmt.Errorf("fate: arrival %q: want a duration", args[2])
		}
		if len(args) == 5 {
			if args[3] != "copy" {
				return nil, bad
			}
			if f.Copy, err = time.ParseDuration(args[4]); err != nil {
				return nil, fmt.Errorf("fate: copy %q: want a duration", args[4])
			}
		}
	default:
		return nil, bad
	}
	return f, nil
}
