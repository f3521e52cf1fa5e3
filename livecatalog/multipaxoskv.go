package livecatalog

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/consensus/paxos/multipaxos"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// RegisterMultiPaxos declares Multi-Paxos's messages as "multipaxos.Prepare"
// and so on.
func RegisterMultiPaxos(r *tcp.Registry) error {
	return registerAll(r, []named{
		{"multipaxos.Prepare", multipaxos.Prepare{}},
		{"multipaxos.Promise", multipaxos.Promise{}},
		{"multipaxos.Accept", multipaxos.Accept{}},
		{"multipaxos.Accepted", multipaxos.Accepted{}},
		{"multipaxos.Nack", multipaxos.Nack{}},
		{"multipaxos.Heartbeat", multipaxos.Heartbeat{}},
		{"multipaxos.HeartbeatReply", multipaxos.HeartbeatReply{}},
		{"multipaxos.Learn", multipaxos.Learn{}},
	})
}

// multiPaxosOptions are multipaxos-kv's options in the cluster file.
type multiPaxosOptions struct {
	ElectionTimeout   duration `json:"election_timeout"`
	HeartbeatInterval duration `json:"heartbeat_interval"`
}

func init() {
	Register(tcp.Protocol{
		Name:    "multipaxos-kv",
		Summary: "the same key/value store replicated by Multi-Paxos (rsm.Server around multipaxos.Node); options election_timeout, heartbeat_interval",
		Register: func(r *tcp.Registry) error {
			if err := RegisterMultiPaxos(r); err != nil {
				return err
			}
			return RegisterRSM(r)
		},
		New: func(c tcp.NodeConfig) (sim.Node, error) {
			o := multiPaxosOptions{ElectionTimeout: duration(300 * time.Millisecond), HeartbeatInterval: duration(50 * time.Millisecond)}
			if err := decodeOptions(c.Cluster, &o); err != nil {
				return nil, err
			}
			cfg := multipaxos.Config{ElectionTimeout: time.Duration(o.ElectionTimeout), HeartbeatInterval: time.Duration(o.HeartbeatInterval)}
			switch {
			case o.ElectionTimeout <= 0:
				return nil, optionError("election_timeout", "%v: want a positive duration such as \"300ms\"", o.ElectionTimeout)
			case o.HeartbeatInterval <= 0 || o.HeartbeatInterval >= o.ElectionTimeout:
				return nil, optionError("heartbeat_interval", "%v: want a positive duration below election_timeout (%v)", o.HeartbeatInterval, o.ElectionTimeout)
			}
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return multipaxos.New(cfg, app) }, kv.New()), nil
		},
		ClientMessages: []string{"rsm.ClientRequest"},
		Try:            kvTry,
	})
}

// duration is a time.Duration written as "300ms" in the cluster file.
type duration time.Duration

func (d duration) String() string { return time.Duration(d).String() }

func (d duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

func (d *duration) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		return fmt.Errorf("%s: want a duration in quotes, such as \"300ms\"", b)
	}
	v, err := time.ParseDuration(string(b[1 : len(b)-1]))
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}
