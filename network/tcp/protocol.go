package tcp

import (
	"fmt"

	"github.com/dsimlab/dsim/sim"
)

// Protocol is what a process runs: how to build the node and which message
// types it exchanges. The runtime knows no protocol by name; the live
// catalog (package livecatalog) declares one Protocol per family and the
// command line picks one.
type Protocol struct {
	Name    string
	Summary string
	// Register declares the protocol's messages. Timer messages need no
	// registration: timers never cross the wire, they are delivered in
	// the process that set them, as Go values.
	Register func(r *Registry) error
	// New builds the node from its configuration: its id and the cluster
	// file, whose "options" hold what differs per family (quorum sizes,
	// which node is the origin, timeouts). It is called once per process:
	// a restart is a new process that finds its state on the Disk. An
	// error about the options wraps ErrClusterFile and names the field.
	New func(c NodeConfig) (sim.Node, error)
	// ClientMessages are the types a client may send (Config.ClientMessages).
	ClientMessages []string
	// Try lists client commands for the "Try, in another terminal" banner
	// of `dsim cluster local`, without the program name or --cluster:
	// "kv put x 1" is shown as "dsim kv --cluster FILE put x 1".
	Try []string
}

// NodeConfig is what Protocol.New builds a node from.
type NodeConfig struct {
	ID      sim.NodeID
	Cluster Cluster
}

// NewRegistry returns a Registry holding the runtime's messages and p's.
func (p Protocol) NewRegistry() (*Registry, error) {
	reg := NewRegistry()
	if p.Register == nil {
		return nil, fmt.Errorf("protocol %s: no Register", p.Name)
	}
	if err := p.Register(reg); err != nil {
		return nil, fmt.Errorf("protocol %s: %w", p.Name, err)
	}
	return reg, nil
}
