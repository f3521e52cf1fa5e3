package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

// PrimeLog writes what loadState reads back, and refuses what could not be
// a Raft log.
func TestPrimeLog(t *testing.T) {
	cases := []struct {
		name    string
		term    uint64
		entries []Entry
		wantErr string
	}{
		{"empty log", 3, nil, ""},
		{"figure 8's n1", 3, []Entry{{Index: 1, Term: 2}}, ""},
		{"commands and no-ops", 4, []Entry{{Index: 1, Term: 1}, {Index: 2, Term: 1, Command: []byte("x")}, {Index: 3, Term: 4}}, ""},
		{"index gap", 3, []Entry{{Index: 2, Term: 1}}, "indexes count from 1"},
		{"term goes back", 3, []Entry{{Index: 1, Term: 2}, {Index: 2, Term: 1}}, "never decrease"},
		{"term above the node's", 2, []Entry{{Index: 1, Term: 3}}, "never decrease"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := sim.NewMemDisk()
			err := PrimeLog(d, tc.term, "n2", tc.entries...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Empty(t, d.Keys(), "nothing written")
				return
			}
			require.NoError(t, err)
			p, err := loadState(d)
			require.NoError(t, err)
			assert.Equal(t, tc.term, p.Term)
			assert.Equal(t, sim.NodeID("n2"), p.VotedFor)
			assert.Equal(t, uint64(len(tc.entries)), p.log.lastIndex())
			for _, e := range tc.entries {
				assert.Equal(t, e, *p.log.entry(e.Index))
			}
			assert.Error(t, PrimeLog(d, tc.term, ""), "a disk with Raft state is refused")
		})
	}
}
