package livecatalog

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/quorum"
)

// quorumOptions are quorum-kv's options in the cluster file: Dynamo's N, R
// and W, and the rest of quorum.Config.
type quorumOptions struct {
	N              int      `json:"n"`
	R              int      `json:"r"`
	W              int      `json:"w"`
	VNodes         int      `json:"vnodes"`
	SloppyQuorum   bool     `json:"sloppy_quorum"`
	ReadRepair     bool     `json:"read_repair"`
	LastWriterWins bool     `json:"last_writer_wins"`
	WriteBackReads bool     `json:"write_back_reads"`
	Timeout        duration `json:"timeout"`
	SuspectFor     duration `json:"suspect_for"`
	HandoffEvery   duration `json:"handoff_every"`
}

// quorumConfig reads and checks the options against the cluster: N can
// not exceed the members, R and W not N.
func quorumConfig(c tcp.Cluster) (quorum.Config, error) {
	d := quorum.DefaultConfig()
	o := quorumOptions{N: min(d.N, len(c.Members)), R: d.R, W: d.W, VNodes: d.VNodes, SloppyQuorum: d.SloppyQuorum, ReadRepair: d.ReadRepair,
		// Real disks and schedulers are slower than the simulator's: wait
		// longer before suspecting a replica.
		Timeout: duration(200 * time.Millisecond), SuspectFor: duration(d.SuspectFor), HandoffEvery: duration(d.HandoffEvery)}
	o.R, o.W = min(o.R, o.N), min(o.W, o.N)
	if err := decodeOptions(c, &o); err != nil {
		return quorum.Config{}, err
	}
	switch {
	case o.N < 1 || o.N > len(c.Members):
		return quorum.Config{}, optionError("n", "%d: want 1 to the number of members (%d)", o.N, len(c.Members))
	case o.R < 1 || o.R > o.N:
		return quorum.Config{}, optionError("r", "%d: want 1 to n (%d)", o.R, o.N)
	case o.W < 1 || o.W > o.N:
		return quorum.Config{}, optionError("w", "%d: want 1 to n (%d)", o.W, o.N)
	case o.VNodes < 1:
		return quorum.Config{}, optionError("vnodes", "%d: want at least 1", o.VNodes)
	case o.Timeout <= 0:
		return quorum.Config{}, optionError("timeout", "%v: want a positive duration such as \"200ms\"", o.Timeout)
	case o.SuspectFor < 0:
		return quorum.Config{}, optionError("suspect_for", "%v: want a duration, not negative", o.SuspectFor)
	case o.SloppyQuorum && o.HandoffEvery <= 0:
		return quorum.Config{}, optionError("handoff_every", "%v: a sloppy quorum needs a positive duration", o.HandoffEvery)
	}
	cfg := quorum.Config{N: o.N, R: o.R, W: o.W, VNodes: o.VNodes, SloppyQuorum: o.SloppyQuorum, ReadRepair: o.ReadRepair,
		LastWriterWins: o.LastWriterWins, WriteBackReads: o.WriteBackReads, Timeout: time.Duration(o.Timeout),
		SuspectFor: time.Duration(o.SuspectFor), HandoffEvery: time.Duration(o.HandoffEvery)}
	return cfg, cfg.Validate()
}

// quorumServer is quorum.Server with its configuration shown in Inspect,
// so `dsim status` says what N, R and W the node runs with.
type quorumServer struct {
	*quorum.Server
	cfg quorum.Config
}

func (s quorumServer) Inspect() map[string]string {
	out := s.Server.Inspect()
	out["quorum.nrw"] = fmt.Sprintf("N=%d R=%d W=%d", s.cfg.N, s.cfg.R, s.cfg.W)
	out["quorum.sloppy"] = fmt.Sprint(s.cfg.SloppyQuorum)
	return out
}

func init() {
	Register(tcp.Protocol{
		Name:    "quorum-kv",
		Summary: "the Dynamo-style store (quorum.Server): N/R/W, vector clocks, read repair, sloppy quorum and hinted handoff; options n, r, w, sloppy_quorum, ...",
		Register: func(r *tcp.Registry) error {
			return registerAll(r, []named{
				{"quorum.GetRequest", quorum.GetRequest{}},
				{"quorum.GetReply", quorum.GetReply{}},
				{"quorum.PutRequest", quorum.PutRequest{}},
				{"quorum.PutReply", quorum.PutReply{}},
				{"quorum.ReplicaRead", quorum.ReplicaRead{}},
				{"quorum.ReplicaReadReply", quorum.ReplicaReadReply{}},
				{"quorum.ReplicaWrite", quorum.ReplicaWrite{}},
				{"quorum.ReplicaWriteAck", quorum.ReplicaWriteAck{}},
				{"quorum.Handoff", quorum.Handoff{}},
				{"quorum.HandoffAck", quorum.HandoffAck{}},
			})
		},
		New: func(c tcp.NodeConfig) (sim.Node, error) {
			cfg, err := quorumConfig(c.Cluster)
			if err != nil {
				return nil, err
			}
			s, err := quorum.NewServer(cfg)
			if err != nil {
				return nil, err
			}
			return quorumServer{Server: s, cfg: cfg}, nil
		},
		ClientMessages: []string{"quorum.GetRequest", "quorum.PutRequest"},
		Try:            kvTry,
	})
}
