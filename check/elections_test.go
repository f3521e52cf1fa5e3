package check_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/sim"
)

func TestElections(t *testing.T) {
	type obs struct {
		s       check.ElectionState
		restart bool // the node restarted before this observation
		want    error
	}
	st := func(node string, term uint64, voted string, leader, sent bool) check.ElectionState {
		return check.ElectionState{Node: sim.NodeID(node), Term: term, VotedFor: sim.NodeID(voted), Leader: leader, Sent: sent}
	}
	cases := []struct {
		name string
		obs  []obs
	}{
		{"a leader with a majority of its own term", []obs{
			{s: st("n1", 2, "n1", false, true)},
			{s: st("n2", 2, "n1", false, true)},
			{s: st("n1", 2, "n1", true, true)},
		}},
		{"votes from an earlier term do not count", []obs{
			{s: st("n1", 1, "n1", false, true)},
			{s: st("n2", 1, "n1", false, true)},
			{s: st("n1", 2, "n1", false, true)},
			{s: st("n1", 2, "n1", true, true), want: check.ErrLeaderWithoutMajority},
		}},
		{"term falls back after a restart, having been sent", []obs{
			{s: st("n1", 3, "", false, true)},
			{s: st("n1", 2, "", false, false), restart: true, want: check.ErrTermDecreased},
		}},
		{"term never told may be lost in a crash", []obs{
			{s: st("n1", 2, "", false, true)},
			{s: st("n1", 3, "", false, false)},
			{s: st("n1", 2, "", false, false), restart: true},
		}},
		{"term falls within one life", []obs{
			{s: st("n1", 3, "", false, false)},
			{s: st("n1", 2, "", false, false), want: check.ErrTermDecreased},
		}},
		{"a vote sent is not forgotten in a restart", []obs{
			{s: st("n1", 4, "n2", false, true)},
			{s: st("n1", 4, "", false, false), restart: true},
			{s: st("n1", 4, "n3", false, true), want: check.ErrDoubleVote},
		}},
		{"a vote never sent may be lost", []obs{
			{s: st("n1", 4, "n2", false, false)},
			{s: st("n1", 4, "n3", false, true), restart: true},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := check.NewElections(3)
			for i, o := range tc.obs {
				if o.restart {
					e.Restarted(o.s.Node)
				}
				err := e.Observe(o.s)
				if o.want == nil {
					require.NoErrorf(t, err, "observation %d", i)
				} else {
					require.ErrorIsf(t, err, o.want, "observation %d", i)
					t.Log(err)
				}
			}
		})
	}
}
