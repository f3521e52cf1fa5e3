package scenarios

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// run executes a scenario and fails the test if it could not run.
func run(t *testing.T, name string, o Options) Result {
	t.Helper()
	s, err := Lookup(name)
	require.NoError(t, err)
	res, err := Execute(s, o)
	require.NoError(t, err)
	return res
}

// A prefix finds every scenario it starts, before any near miss by edit
// distance: "raft" means the raft-* scenarios, not "auth".
func TestLookupSuggestsScenariosByPrefix(t *testing.T) {
	_, err := Lookup("raft")
	require.ErrorIs(t, err, ErrUnknown)
	var raft []string
	for _, s := range All() {
		if strings.HasPrefix(s.Name, "raft-") {
			raft = append(raft, fmt.Sprintf("%q", s.Name))
		}
	}
	require.GreaterOrEqual(t, len(raft), 4)
	want := "did you mean " + strings.Join(raft[:len(raft)-1], ", ") + " or " + raft[len(raft)-1] + "?"
	assert.Contains(t, err.Error(), want)
	_, err = Lookup("lamp")
	assert.Contains(t, err.Error(), `did you mean "lamport"?`)
}

func TestLookupSuggestsTheClosestName(t *testing.T) {
	_, err := Lookup("brodcast")
	require.ErrorIs(t, err, ErrUnknown)
	assert.Contains(t, err.Error(), `did you mean "broadcast"?`)
	assert.Contains(t, err.Error(), "the scenarios are: ")
}

// A name like none of them gets the list, not a guess.
func TestLookupSuggestsNothingForAStranger(t *testing.T) {
	for _, name := range []string{"nope", "xyz", "paxos-kv-thing-else"} {
		_, err := Lookup(name)
		require.ErrorIs(t, err, ErrUnknown)
		assert.NotContains(t, err.Error(), "did you mean", name)
		assert.Contains(t, err.Error(), "the scenarios are: ", name)
	}
}
