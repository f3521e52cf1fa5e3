package suite

import (
	"fmt"
	"testing"
)

// EachSeed runs every test at each seed as parallel subtests named
// TEST/seed=N, the layout every grader's Run shares: `go test -run
// 'Raft/Election/seed=3'` picks one. name gives a test's name.
func EachSeed[Test any](t *testing.T, tests []Test, name func(Test) string, seeds []uint64, run func(t *testing.T, test Test, seed uint64)) {
	t.Helper()
	for _, test := range tests {
		t.Run(name(test), func(t *testing.T) {
			for _, seed := range seeds {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					t.Parallel()
					run(t, test, seed)
				})
			}
		})
	}
}
