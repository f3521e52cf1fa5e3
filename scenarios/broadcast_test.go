package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Five nodes flood values over links that lose one message in five; the
// anti-entropy rounds repair the losses and every node ends with every value.
func TestBroadcastConvergesDespiteLoss(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		res := run(t, "broadcast", Options{Seed: seed})
		require.NoError(t, res.Err, "seed %d", seed)
		dropped, _ := res.Metric("messages_dropped")
		assert.Positive(t, dropped, "the network should have lost messages (seed %d)", seed)
		conv, ok := res.Metric("converge_time")
		require.True(t, ok)
		assert.Less(t, conv, 2.0, "five nodes should converge within two seconds (seed %d)", seed)
	}
}
