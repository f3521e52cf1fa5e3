package livecatalog

import (
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/twopc"
)

// twoPCOptions are 2pc's options in the cluster file.
type twoPCOptions struct {
	// Coordinator is the member that runs transactions; every other
	// member is a participant. Default: the first member, sorted.
	Coordinator sim.NodeID `json:"coordinator"`
	VoteTimeout duration   `json:"vote_timeout"`
	ResendEvery duration   `json:"resend_every"`
	AskEvery    duration   `json:"ask_every"`
}

func twoPCConfig(c tcp.Cluster) (twoPCOptions, error) {
	o := twoPCOptions{Coordinator: c.IDs()[0], VoteTimeout: duration(time.Second), ResendEvery: duration(200 * time.Millisecond), AskEvery: duration(200 * time.Millisecond)}
	if err := decodeOptions(c, &o); err != nil {
		return o, err
	}
	switch _, member := c.Member(o.Coordinator); {
	case !member:
		return o, optionError("coordinator", "%q is not a member (members: %v)", o.Coordinator, c.IDs())
	case len(c.Members) < 2:
		return o, optionError("coordinator", "2pc needs at least one participant besides the coordinator")
	case o.VoteTimeout <= 0:
		return o, optionError("vote_timeout", "%v: want a positive duration such as \"1s\"", o.VoteTimeout)
	case o.ResendEvery <= 0:
		return o, optionError("resend_every", "%v: want a positive duration", o.ResendEvery)
	case o.AskEvery <= 0:
		return o, optionError("ask_every", "%v: want a positive duration", o.AskEvery)
	}
	return o, nil
}

// TwoPCParticipants are the participants of a 2pc cluster, sorted.
func TwoPCParticipants(c tcp.Cluster) ([]sim.NodeID, error) {
	o, err := twoPCConfig(c)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(c.IDs(), func(id sim.NodeID) bool { return id == o.Coordinator }), nil
}

// TwoPCCoordinator is the coordinator of a 2pc cluster.
func TwoPCCoordinator(c tcp.Cluster) (sim.NodeID, error) {
	o, err := twoPCConfig(c)
	return o.Coordinator, err
}

// KeyOwner is the participant that holds key: participants[fnv(key) mod
// len], so every client puts a key in the same place.
func KeyOwner(participants []sim.NodeID, key string) sim.NodeID {
	h := fnv.New32a()
	h.Write([]byte(key))
	return participants[h.Sum32()%uint32(len(participants))]
}

// coordinatorNode is twopc.Coordinator with its role in Inspect.
type coordinatorNode struct{ *twopc.Coordinator }

func (c coordinatorNode) Inspect() map[string]string {
	out := c.Coordinator.Inspect()
	out["role"] = "coordinator"
	return out
}

// participantNode is twopc.Participant showing, for `dsim status`, what a
// learner wants to see: the locks it holds, the transactions it is
// uncertain about (voted yes, no decision yet: blocked), and its data.
type participantNode struct {
	*twopc.Participant
	disk sim.Disk // the node's own Disk, read by Inspect
}

func (p *participantNode) Start(env sim.Env) {
	p.disk = env.Disk()
	p.Participant.Start(env)
}

func (p *participantNode) Inspect() map[string]string {
	out := p.Participant.Inspect()
	out["role"] = "participant"
	if u := p.Uncertain(); len(u) > 0 {
		out["blocked"] = strings.Join(u, ",")
	} else {
		out["blocked"] = "-"
	}
	for _, k := range p.disk.Keys() {
		if key, ok := strings.CutPrefix(k, "data/"); ok {
			if v, ok := twopc.ReadData(p.disk, key); ok {
				out["data "+key] = v
			}
		}
	}
	return out
}

func init() {
	Register(tcp.Protocol{
		Name:    "2pc",
		Summary: "two-phase commit (twopc.Coordinator on one member, twopc.Participant on the rest); options coordinator, vote_timeout, resend_every, ask_every",
		Register: func(r *tcp.Registry) error {
			return registerAll(r, []named{
				{"twopc.Begin", twopc.Begin{}},
				{"twopc.Outcome", twopc.Outcome{}},
				{"twopc.Prepare", twopc.Prepare{}},
				{"twopc.Vote", twopc.Vote{}},
				{"twopc.Commit", twopc.Commit{}},
				{"twopc.Abort", twopc.Abort{}},
				{"twopc.Ack", twopc.Ack{}},
				{"twopc.DecisionRequest", twopc.DecisionRequest{}},
			})
		},
		New: func(c tcp.NodeConfig) (sim.Node, error) {
			o, err := twoPCConfig(c.Cluster)
			if err != nil {
				return nil, err
			}
			if c.ID == o.Coordinator {
				return coordinatorNode{twopc.NewCoordinator(twopc.Config{VoteTimeout: time.Duration(o.VoteTimeout), ResendEvery: time.Duration(o.ResendEvery)})}, nil
			}
			return &participantNode{Participant: twopc.NewParticipant(twopc.ParticipantConfig{AskEvery: time.Duration(o.AskEvery)})}, nil
		},
		ClientMessages: []string{"twopc.Begin"},
		Try:            []string{"txn put a=1 b=2"},
	})
}
