package paxosscenarios_test

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Same seed, same trace, byte for byte; another seed, another trace.
func TestDeterministic(t *testing.T) {
	for _, name := range []string{"paxos-basic", "paxos-duel", "paxos-acceptor-crash", "multipaxos-kv"} {
		t.Run(name, func(t *testing.T) {
			s, err := scenarios.Lookup(name)
			require.NoError(t, err)
			hash := func(seed uint64) string {
				h := sim.NewHasher()
				o := scenarios.Options{Seed: seed, Tracer: h}
				if name == "multipaxos-kv" {
					o.For = 3 * time.Second // past the leader crash, and quick
				}
				r, err := scenarios.Execute(s, o)
				require.NoError(t, err)
				require.NoError(t, r.Err)
				return h.Sum()
			}
			a := hash(1)
			assert.Equal(t, a, hash(1))
			assert.NotEqual(t, a, hash(2))
		})
	}
}
