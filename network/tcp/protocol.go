package tcp

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// Protocol is what `dsim node --protocol NAME` can run: how to build the
// node and which message types it exchanges.
type Protocol struct {
	Name    string
	Summary string
	// Register declares the protocol's messages. Timer messages need no
	// registration: timers never cross the wire, they are delivered in
	// the process that set them, as Go values.
	Register func(r *Registry) error
	// New builds the node. It is called once per process: a restart is a
	// new process that finds its state on the Disk.
	New func() sim.Node
	// ClientMessages are the types a client may send (Config.ClientMessages).
	ClientMessages []string
}

// NewRegistry returns a Registry holding the runtime's messages and p's.
func (p Protocol) NewRegistry() (*Registry, error) {
	reg := NewRegistry()
	if err := p.Register(reg); err != nil {
		return nil, fmt.Errorf("protocol %s: %w", p.Name, err)
	}
	return reg, nil
}

var protocols = map[string]Protocol{}

// RegisterProtocol adds a protocol to the table `dsim node` looks in.
func RegisterProtocol(p Protocol) {
	if _, dup := protocols[p.Name]; dup {
		panic("tcp: protocol " + p.Name + " registered twice")
	}
	protocols[p.Name] = p
}

// LookupProtocol finds a protocol by name.
func LookupProtocol(name string) (Protocol, error) {
	p, ok := protocols[name]
	if !ok {
		return Protocol{}, fmt.Errorf("unknown protocol %q (known: %s)", name, strings.Join(ProtocolNames(), ", "))
	}
	return p, nil
}

// ProtocolNames lists the protocols, sorted.
func ProtocolNames() []string {
	names := make([]string, 0, len(protocols))
	for n := range protocols {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RegisterRaft declares Raft's RPCs as "raft.RequestVote" and so on.
func RegisterRaft(r *Registry) error {
	for _, m := range []struct {
		name string
		zero sim.Message
	}{
		{"raft.RequestVote", raft.RequestVote{}},
		{"raft.RequestVoteReply", raft.RequestVoteReply{}},
		{"raft.AppendEntries", raft.AppendEntries{}},
		{"raft.AppendEntriesReply", raft.AppendEntriesReply{}},
		{"raft.InstallSnapshot", raft.InstallSnapshot{}},
		{"raft.InstallSnapshotReply", raft.InstallSnapshotReply{}},
	} {
		if err := r.Register(m.name, m.zero); err != nil {
			return err
		}
	}
	return nil
}

// RegisterRSM declares the replicated state machine's client messages.
func RegisterRSM(r *Registry) error {
	if err := r.Register("rsm.ClientRequest", rsm.ClientRequest{}); err != nil {
		return err
	}
	return r.Register("rsm.ClientReply", rsm.ClientReply{})
}

// LiveRaftConfig is Raft's configuration on real machines: the defaults
// (PreVote, CheckQuorum, snapshots) with a longer election timeout than the
// simulator's, since a real process also waits for the scheduler, the
// garbage collector and fsync; one AppendEntries in flight per follower,
// so that under load the commands that arrive meanwhile travel, and are
// fsynced, together; and snapshots taken less often than in the simulator
// (taking one stops the node for as long as encoding and writing the whole
// state takes), but at the latest after 64 MiB of commands.
func LiveRaftConfig() raft.Config {
	c := raft.DefaultConfig()
	c.ElectionTimeout = 300 * time.Millisecond
	c.HeartbeatInterval = 50 * time.Millisecond
	c.MaxInflightAppends = 1
	c.SnapshotThreshold = 10000
	c.SnapshotThresholdBytes = 64 << 20
	c.SnapshotTrailingEntries = 1000
	return c
}

func init() {
	RegisterProtocol(Protocol{
		Name:    "raft-kv",
		Summary: "the key/value store replicated by Raft (rsm.Server around raft.Node and kv.Store)",
		Register: func(r *Registry) error {
			if err := RegisterRaft(r); err != nil {
				return err
			}
			return RegisterRSM(r)
		},
		New: func() sim.Node {
			cfg := LiveRaftConfig()
			return rsm.NewServer(func(app rsm.Applier) rsm.Replica { return raft.New(cfg, app) }, kv.New())
		},
		ClientMessages: []string{"rsm.ClientRequest"},
	})
}
