package livecatalog

import (
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// RegisterRaft declares Raft's RPCs as "raft.RequestVote" and so on.
func RegisterRaft(r *tcp.Registry) error {
	return registerAll(r, []named{
		{"raft.RequestVote", raft.RequestVote{}},
		{"raft.RequestVoteReply", raft.RequestVoteReply{}},
		{"raft.AppendEntries", raft.AppendEntries{}},
		{"raft.AppendEntriesReply", raft.AppendEntriesReply{}},
		{"raft.InstallSnapshot", raft.InstallSnapshot{}},
		{"raft.InstallSnapshotReply", raft.InstallSnapshotReply{}},
	})
}

// RegisterRSM declares the replicated state machine's client messages.
func RegisterRSM(r *tcp.Registry) error {
	return registerAll(r, []named{
		{"rsm.ClientRequest", rsm.ClientRequest{}},
		{"rsm.ClientReply", rsm.ClientReply{}},
	})
}

// named is a message type and its name on the wire.
type named struct {
	name string
	zero sim.Message
}

func registerAll(r *tcp.Registry, msgs []named) error {
	for _, m := range msgs {
		if err := r.Register(m.name, m.zero); err != nil {
			return err
		}
	}
	return nil
}

// LiveRaftConfig is Raft's configuration on real machines: the defaults
// (PreVote, CheckQuorum, snapshots) with a longer election timeout than the
// simulator's, since a real process also waits for the scheduler, the
// garbage collector and fsync; and one AppendEntries in flight per
// follower, so that under load the commands that arrive meanwhile travel,
// and are fsynced, together.
func LiveRaftConfig() raft.Config {
	c := raft.DefaultConfig()
	c.ElectionTimeout = 300 * time.Millisecond
	c.HeartbeatInterval = 50 * time.Millisecond
	c.MaxInflightAppends = 1
	// Snapshots less often than in the simulator: taking one stops the node
	// for as long as encoding and writing the whole state takes; but at the
	// latest after 64 MiB of commands.
	c.SnapshotThreshold = 10000
	c.SnapshotThresholdBytes = 64 << 20
	c.SnapshotTrailingEntries = 1000
	return c
}

// kvTry is the banner's lines for the key/value families.
var kvTry = []string{"kv put x 1", "kv get x"}

func init() {
	Register(tcp.Protocol{
		Name:    "raft-kv",
		Summary: "the key/value store replicated by Raft (rsm.Server around raft.Node and kv.Store)",
		Register: func(r *tcp.Registry) error {
			if err := RegisterRaft(r); err != nil {
				return err
			}
			return RegisterRSM(r)
		},
		New: func(c tcp.NodeConfig) (sim.Node, error) {
			if err := decodeOptions(c.Cluster, &struct{}{}); err != nil {
				return nil, err
			}
			cfg := LiveRaftConfig()
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return raft.New(cfg, app) }, kv.New()), nil
		},
		ClientMessages: []string{"rsm.ClientRequest"},
		Try:            kvTry,
	})
}
