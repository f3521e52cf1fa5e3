package quorum

import "fmt"

// Bug names a deliberate mistake NewBroken builds into a Server.
type Bug int

const (
	// AcksAfterOneReplica answers a put once one replica stored it,
	// whatever W says: with R+W > N configured, a read that follows can
	// still miss the write (read-your-writes broken).
	AcksAfterOneReplica Bug = iota + 1
	// ReplacesSiblings stores what a write carries instead of merging it
	// with what the replica holds: a concurrent write overwrites another,
	// so an acknowledged write disappears and replicas may disagree.
	ReplacesSiblings
	// ForgetsHints stores a write meant for a node that is down but keeps
	// no hint: the node never receives it (no hinted handoff).
	ForgetsHints
)

func (b Bug) String() string {
	switch b {
	case AcksAfterOneReplica:
		return "AcksAfterOneReplica"
	case ReplacesSiblings:
		return "ReplacesSiblings"
	case ForgetsHints:
		return "ForgetsHints"
	}
	return fmt.Sprintf("Bug(%d)", int(b))
}

// testingKnobs switch on the bugs of NewBroken. The zero value is correct.
type testingKnobs struct {
	ackAfterOne bool
	replace     bool
	forgetHints bool
}

// NewBroken returns a Server with one deliberate bug, to show that graders
// catch it; never use it otherwise. It panics on an unknown Bug.
func NewBroken(cfg Config, bug Bug) (*Server, error) {
	s, err := NewServer(cfg)
	if err != nil {
		return nil, err
	}
	switch bug {
	case AcksAfterOneReplica:
		s.bugs.ackAfterOne = true
	case ReplacesSiblings:
		s.bugs.replace = true
	case ForgetsHints:
		s.bugs.forgetHints = true
	default:
		panic(fmt.Sprintf("quorum: NewBroken: unknown %v", bug))
	}
	return s, nil
}
