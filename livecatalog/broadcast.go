package livecatalog

import (
	"time"

	"github.com/dsimlab/dsim/gossip"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
)

// BroadcastRequest asks a node to broadcast Value (`dsim broadcast VALUE`).
type BroadcastRequest struct {
	ClientID string
	Seq      uint64
	Value    string
}

// BroadcastReply says the node has the value, and with which stamps.
type BroadcastReply struct {
	ClientID string
	Seq      uint64
	Node     sim.NodeID
	Entry    gossip.Entry // the value's broadcast: its origin and stamps
}

// broadcastNode is a gossip.Node that takes broadcasts from clients.
type broadcastNode struct{ *gossip.Node }

func (n broadcastNode) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	req, ok := msg.(BroadcastRequest)
	if !ok {
		n.Node.Receive(env, from, msg)
		return
	}
	n.Broadcast(env, req.Value)
	var e gossip.Entry
	for _, have := range n.Entries() {
		if have.Value == req.Value {
			e = have
		}
	}
	env.Send(from, BroadcastReply{ClientID: req.ClientID, Seq: req.Seq, Node: env.ID(), Entry: e})
}

func (n broadcastNode) Inspect() map[string]string {
	out := n.Node.Inspect()
	out["role"] = "gossiper"
	return out
}

// broadcastOptions are the broadcast family's options.
type broadcastOptions struct {
	AntiEntropy duration `json:"anti_entropy"`
}

func init() {
	Register(tcp.Protocol{
		Name:    "broadcast",
		Summary: "reliable broadcast by gossip (gossip.Node: flooding and anti-entropy) with Lamport and vector stamps; option anti_entropy",
		Register: func(r *tcp.Registry) error {
			return registerAll(r, []named{
				{"gossip.Gossip", gossip.Gossip{}},
				{"gossip.Digest", gossip.Digest{}},
				{"gossip.BroadcastRequest", BroadcastRequest{}},
				{"gossip.BroadcastReply", BroadcastReply{}},
			})
		},
		New: func(c tcp.NodeConfig) (sim.Node, error) {
			o := broadcastOptions{AntiEntropy: duration(200 * time.Millisecond)}
			if err := decodeOptions(c.Cluster, &o); err != nil {
				return nil, err
			}
			if o.AntiEntropy <= 0 {
				return nil, optionError("anti_entropy", "%v: want a positive duration such as \"200ms\"", o.AntiEntropy)
			}
			return broadcastNode{gossip.New(gossip.Config{AntiEntropy: time.Duration(o.AntiEntropy)})}, nil
		},
		ClientMessages: []string{"gossip.BroadcastRequest"},
		Try:            []string{"broadcast hello", "status --all   (every node's values with their Lamport and vector stamps)"},
	})
}
