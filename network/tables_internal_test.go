package network

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func tableSum(q *quantiles) string {
	h := fnv.New64a()
	for _, v := range q {
		h.Write(binary.LittleEndian.AppendUint64(nil, uint64(v)))
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// The quantile tables are computed with math.Erfinv, math.Log1p and
// math.Pow, which may differ in the last bit between architectures; the
// rounding to millionths must hide that. These sums were taken on amd64:
// if this test fails on another machine, the rounding did not hide it, and
// traces would differ between machines.
func TestQuantileTablesAreTheSameOnEveryMachine(t *testing.T) {
	assert.Equal(t, "72af60ed9ad49d49", tableSum(normalTable), "normal")
	assert.Equal(t, "17458f4c1760a17d", tableSum(exponentialTable), "exponential")
	assert.Equal(t, "e474201e24e01dd0", tableSum(paretoTable(1.5)), "pareto 1.5")
}

// Each table entry, mapped back through the distribution function (a
// different formula from the one that built the table), gives its p.
func TestQuantileTablesInvertTheirDistributions(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    *quantiles
		cdf  func(x float64) float64
	}{
		{"normal", normalTable, func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }},
		{"exponential", exponentialTable, func(x float64) float64 { return -math.Expm1(-x) }},
		{"pareto 1.5", paretoTable(1.5), func(x float64) float64 { return 1 - math.Pow(x, -1.5) }},
	} {
		for i, v := range tc.q {
			if i > 0 && v < tc.q[i-1] {
				t.Fatalf("%s: table decreases at %d", tc.name, i)
			}
			p := (float64(i) + 0.5) / tableSize
			// Rounding to millionths moves x by 5e-7 at most; the density is
			// below 1.5 everywhere here.
			if got := tc.cdf(float64(v) / unit); math.Abs(got-p) > 1e-6 {
				t.Fatalf("%s: entry %d = %d gives p %v, want %v", tc.name, i, v, got, p)
			}
		}
	}
	assert.Equal(t, -normalTable[tableSize-1], normalTable[0], "the normal table is symmetric")
}
