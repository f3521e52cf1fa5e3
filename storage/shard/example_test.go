package shard_test

import (
	"fmt"

	"github.com/dsimlab/dsim/storage/shard"
)

// Time-ordered keys under range and hash sharding: every new key sorts
// after the last split point. (Zero-padded: "id-10000" sorts before
// "id-2500".)
func Example() {
	byRange, _ := shard.NewByRange([]string{"id-02500", "id-05000", "id-07500"})
	byHash, _ := shard.NewByHash(4)
	for _, s := range []shard.Sharder{byRange, byHash} {
		load := make([]int, s.Shards())
		for i := 10000; i < 10400; i++ {
			load[s.Shard(fmt.Sprintf("id-%05d", i))]++
		}
		fmt.Printf("%-5s %v max/mean %.2f\n", s.Name(), load, shard.Spread(load))
	}
	// Output:
	// range [0 0 0 400] max/mean 4.00
	// hash  [111 97 101 91] max/mean 1.11
}
