package scenarios

import (
	"slices"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
)

// raftBugs are raft.NewBroken's deliberate bugs as --broken names them.
var raftBugs = map[string]raft.Bug{
	"commits-earlier-term-by-counting": raft.CommitsEarlierTermByCounting,
	"forgets-voted-for":                raft.ForgetsVotedFor,
	"grants-votes-without-log-check":   raft.GrantsVotesWithoutLogCheck,
}

// raftBrokenNames lists raftBugs' names, sorted, for Scenario.Broken.
func raftBrokenNames() []string {
	names := make([]string, 0, len(raftBugs))
	for name := range raftBugs {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// newRaft builds a Raft node, the broken one if Options.Broken names a
// bug ("" is correct Raft; Start has refused an unknown name already).
func newRaft(broken string, cfg raft.Config, app rsm.Applier) *raft.Node {
	if bug, ok := raftBugs[broken]; ok {
		return raft.NewBroken(cfg, app, bug)
	}
	return raft.New(cfg, app)
}
