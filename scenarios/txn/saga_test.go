package txn

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Both styles: the second order fails at inventory, is compensated in
// reverse order, and the end state is consistent; duplicates refund
// nothing twice.
func TestSagaCompensatesInReverseOrder(t *testing.T) {
	for _, seed := range fiveSeeds {
		res := run(t, "saga", seed)
		require.NoError(t, res.Err, "seed %d", seed)
		summary := strings.Join(res.Summary, "\n")
		for _, style := range []string{"orchestrated", "choreographed"} {
			assert.Regexp(t, style+` +`+style[:4]+`-2 +compensated +create order → charge payment → reserve stock failed → refund payment → cancel order`, summary)
			assert.Regexp(t, style+` +`+style[:4]+`-1 +completed +create order → charge payment → reserve stock → schedule shipment`, summary)
			assert.Positive(t, metric(t, res, style+"_duplicates_ignored"), "seed %d", seed)
		}
		assert.Equal(t, 2.0, metric(t, res, "refunds"), "one refund per failed saga, duplicates notwithstanding")
		assert.Contains(t, summary, "nobody is charged without an order")
	}
}
