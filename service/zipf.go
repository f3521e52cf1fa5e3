package service

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"sort"
)

// Zipf draws ranks 1..N whose popularity follows Zipf's law with exponent 1:
// rank k is asked for 1/k as often as rank 1. Web objects, words and city
// sizes roughly follow it; it is why a small cache catches a large share of
// requests. The cumulative weights are a precomputed table of integers
// (weight of k = ⌊2^40/k⌋), and a draw is one rng.Uint64N and a binary
// search: no floating point, so the same seed gives the same ranks on every
// machine. (math/rand/v2's Zipf uses math.Exp and math.Log, whose last bits
// are not promised to agree across architectures.)
type Zipf struct {
	cdf []uint64 // cdf[i] = sum of the weights of ranks 1..i+1
}

// NewZipf returns a sampler over ranks 1..n.
func NewZipf(n int) (*Zipf, error) {
	if n < 1 || n > 1<<24 {
		return nil, fmt.Errorf("%w: Zipf over %d ranks, want 1..%d", ErrInvalidConfig, n, 1<<24)
	}
	z := &Zipf{cdf: make([]uint64, n)}
	var sum uint64
	for k := 1; k <= n; k++ {
		sum += (1 << 40) / uint64(k)
		z.cdf[k-1] = sum
	}
	return z, nil
}

// N is the number of ranks.
func (z *Zipf) N() int { return len(z.cdf) }

// Rank draws a rank in 1..N.
func (z *Zipf) Rank(rng *rand.Rand) int {
	u := rng.Uint64N(z.cdf[len(z.cdf)-1])
	return sort.Search(len(z.cdf), func(i int) bool { return z.cdf[i] > u }) + 1
}

// Share is the share of draws, in parts per million, that fall on ranks
// 1..k: the best hit ratio a cache holding the k most popular objects can
// reach.
func (z *Zipf) Share(k int) int {
	k = min(max(k, 0), len(z.cdf))
	if k == 0 {
		return 0
	}
	hi, lo := bits.Mul64(z.cdf[k-1], 1_000_000)
	q, _ := bits.Div64(hi, lo, z.cdf[len(z.cdf)-1]) // hi < divisor: the share is at most 10^6
	return int(q)
}
