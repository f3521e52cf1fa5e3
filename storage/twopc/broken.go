package twopc

import "fmt"

// Bug names a deliberate mistake NewBrokenParticipant or
// NewBrokenCoordinator builds in.
type Bug int

const (
	// AbortsWhenUncertain makes a participant that voted yes abort on its
	// own when the decision is slow to come (after three unanswered asks):
	// if the coordinator had decided Commit and told others, the
	// transaction is now committed at some participants and aborted here.
	AbortsWhenUncertain Bug = iota + 1
	// NoVoteTimeout makes the coordinator wait for every vote forever: a
	// participant that crashed before voting keeps the others, who voted
	// yes, locked and uncertain for as long as it is down, although the
	// coordinator was free to abort.
	NoVoteTimeout
)

func (b Bug) String() string {
	switch b {
	case AbortsWhenUncertain:
		return "AbortsWhenUncertain"
	case NoVoteTimeout:
		return "NoVoteTimeout"
	}
	return fmt.Sprintf("Bug(%d)", int(b))
}

// NewBrokenParticipant returns a participant with bug AbortsWhenUncertain,
// to show that graders catch it; never use it otherwise.
func NewBrokenParticipant(cfg ParticipantConfig, bug Bug) *Participant {
	if bug != AbortsWhenUncertain {
		panic(fmt.Sprintf("twopc: NewBrokenParticipant: %v is no participant bug", bug))
	}
	p := NewParticipant(cfg)
	p.abortWhenUncertain = true
	return p
}

// NewBrokenCoordinator returns a coordinator with bug NoVoteTimeout, to
// show that graders catch it; never use it otherwise.
func NewBrokenCoordinator(cfg Config, bug Bug) *Coordinator {
	if bug != NoVoteTimeout {
		panic(fmt.Sprintf("twopc: NewBrokenCoordinator: %v is no coordinator bug", bug))
	}
	c := NewCoordinator(cfg)
	c.noVoteTimeout = true
	return c
}
