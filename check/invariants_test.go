package check_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/check"
)

func TestElectionSafety(t *testing.T) {
	var es check.ElectionSafety
	require.NoError(t, es.Observe("n1", 3, true))
	require.NoError(t, es.Observe("n1", 3, true), "the same leader seen again is fine")
	require.NoError(t, es.Observe("n2", 3, false))
	require.NoError(t, es.Observe("n3", 4, true), "a new leader in a later term is fine")

	err := es.Observe("n1", 4, true)
	require.ErrorIs(t, err, check.ErrElectionSafety)
	assert.EqualError(t, err, "election safety violated: two leaders in term 4: n1 and n3")

	leader, ok := es.Leader(3)
	assert.True(t, ok)
	assert.Equal(t, "n1", string(leader))
}

func TestStateMachineSafety(t *testing.T) {
	var sms check.StateMachineSafety
	require.NoError(t, sms.Applied("n1", 1, []byte("put x 1")))
	require.NoError(t, sms.Applied("n2", 1, []byte("put x 1")))
	require.NoError(t, sms.Applied("n1", 1, []byte("put x 1")), "re-applying the same command after a restart is fine")
	require.NoError(t, sms.Applied("n1", 2, []byte("put y 2")))

	err := sms.Applied("n3", 2, []byte("put y 3"))
	require.ErrorIs(t, err, check.ErrStateMachineSafety)
	assert.EqualError(t, err, `state machine safety violated: n1 applied "put y 2" at index 2 but n3 applied "put y 3" there`)

	err = sms.Applied("n1", 1, []byte("put x 9"))
	require.ErrorIs(t, err, check.ErrStateMachineSafety)
	assert.Contains(t, err.Error(), "n1 applied \"put x 1\" at index 1, and later \"put x 9\"", "a committed entry changed")
	assert.Equal(t, 2, sms.Indexes())
}

func entries(terms ...uint64) []check.LogEntry {
	var out []check.LogEntry
	for i, term := range terms {
		out = append(out, check.LogEntry{Index: uint64(i + 1), Term: term, Command: []byte{byte('a' + i), byte(term)}})
	}
	return out
}

func TestLogMatching(t *testing.T) {
	a := check.NodeLog{Node: "n1", Entries: entries(1, 1, 2, 3)}
	b := check.NodeLog{Node: "n2", Entries: entries(1, 1, 2, 2, 2)}
	require.NoError(t, check.LogMatching(a, b), "logs that diverge after their last common (index, term) are fine")
	require.NoError(t, check.LogMatching(b, a))

	bad := check.NodeLog{Node: "n3", Entries: entries(1, 1, 2)}
	bad.Entries[1].Command = []byte("other")
	err := check.LogMatching(a, bad)
	require.ErrorIs(t, err, check.ErrLogMatching)
	assert.Contains(t, err.Error(), "n1 and n3 both have an entry at index 3 in term 2, but differ at index 2")

	bad = check.NodeLog{Node: "n3", Entries: entries(1, 2, 2)}
	err = check.LogMatching(a, bad)
	require.ErrorIs(t, err, check.ErrLogMatching, "same (index, term) at 3 but different terms at 2")
}

func TestLeaderCompleteness(t *testing.T) {
	committed := []check.IndexTerm{{Index: 1, Term: 1}, {Index: 2, Term: 1}, {Index: 3, Term: 2}}

	require.NoError(t, check.LeaderCompleteness(committed, 3,
		check.NodeLog{Node: "n2", Entries: entries(1, 1, 2, 2)}))
	require.NoError(t, check.LeaderCompleteness(committed, 3,
		check.NodeLog{Node: "n2", SnapshotIndex: 2, Entries: entries(1, 1, 2)[2:]}),
		"entries folded into a snapshot count as present")

	err := check.LeaderCompleteness(committed, 3, check.NodeLog{Node: "n3", Entries: entries(1, 1)})
	require.ErrorIs(t, err, check.ErrLeaderCompleteness)
	assert.EqualError(t, err, "leader completeness violated: n3 became leader of term 3 without the entry committed at index 3 (term 2); its log ends at index 2")

	err = check.LeaderCompleteness(committed, 3, check.NodeLog{Node: "n3", Entries: entries(1, 1, 1)})
	require.ErrorIs(t, err, check.ErrLeaderCompleteness)
	assert.Contains(t, err.Error(), "with an entry of term 1 at index 3, where an entry of term 2 was committed")
}
