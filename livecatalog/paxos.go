package livecatalog

import (
	"strconv"
	"time"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
)

// ProposeRequest asks a paxos node to get Value chosen (`dsim paxos
// propose VALUE`). The reply comes once this node has learned the chosen
// value, which may be another proposer's.
type ProposeRequest struct {
	ClientID string
	Seq      uint64
	Value    string
}

// ProposeReply tells the client the value Paxos chose.
type ProposeReply struct {
	ClientID string
	Seq      uint64
	Chosen   string
	Learner  sim.NodeID // the node that answered
}

// paxosServer is a single-decree Paxos node (proposer, acceptor and
// learner) that also takes clients' proposals: it proposes the first
// value it is asked for and answers every waiting client once it learns
// what was chosen.
type paxosServer struct {
	*paxos.Node
	// waiting are the clients asked before the value was learned, in
	// arrival order; empty once it is.
	waiting []waiter
}

// waiter is a client waiting for an answer.
type waiter struct {
	from sim.NodeID
	seq  uint64
}

func (s *paxosServer) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if req, ok := msg.(ProposeRequest); ok {
		s.waiting = append(s.waiting, waiter{from: from, seq: req.Seq})
		if st := s.Status(); !st.Chosen && st.Phase == paxos.Idle {
			s.Propose(env, req.Value)
		}
	} else {
		s.Node.Receive(env, from, msg)
	}
	if st := s.Status(); st.Chosen {
		for _, w := range s.waiting {
			env.Send(w.from, ProposeReply{ClientID: string(w.from), Seq: w.seq, Chosen: st.ChosenValue, Learner: env.ID()})
		}
		s.waiting = nil
	}
}

func (s *paxosServer) Inspect() map[string]string {
	out := s.Node.Inspect()
	out["waiting"] = strconv.Itoa(len(s.waiting))
	return out
}

// paxosOptions are the paxos family's options in the cluster file.
type paxosOptions struct {
	RetryTimeout duration `json:"retry_timeout"`
}

func init() {
	Register(tcp.Protocol{
		Name:    "paxos",
		Summary: "single-decree Paxos (paxos.Node: proposer, acceptor, learner); clients propose, all learn one value; option retry_timeout",
		Register: func(r *tcp.Registry) error {
			return registerAll(r, []named{
				{"paxos.Prepare", paxos.Prepare{}},
				{"paxos.Promise", paxos.Promise{}},
				{"paxos.Accept", paxos.Accept{}},
				{"paxos.Accepted", paxos.Accepted{}},
				{"paxos.Nack", paxos.Nack{}},
				{"paxos.ProposeRequest", ProposeRequest{}},
				{"paxos.ProposeReply", ProposeReply{}},
			})
		},
		New: func(c tcp.NodeConfig) (sim.Node, error) {
			o := paxosOptions{RetryTimeout: duration(300 * time.Millisecond)}
			if err := decodeOptions(c.Cluster, &o); err != nil {
				return nil, err
			}
			if o.RetryTimeout <= 0 {
				return nil, optionError("retry_timeout", "%v: want a positive duration such as \"300ms\"", o.RetryTimeout)
			}
			cfg := paxos.DefaultConfig()
			cfg.RetryTimeout = time.Duration(o.RetryTimeout)
			return &paxosServer{Node: paxos.New(cfg)}, nil
		},
		ClientMessages: []string{"paxos.ProposeRequest"},
		Try:            []string{"paxos propose apple", "paxos propose banana   (at the same time, from another terminal)"},
	})
}
