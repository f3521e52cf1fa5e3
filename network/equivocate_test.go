package network_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Vote is a message a liar might change.
type Vote struct {
	Round int
	For   string
}

// ballotBox records the votes each node received, by sender.
type ballotBox struct{ got map[sim.NodeID][]Vote }

func (b *ballotBox) Start(sim.Env) {}
func (b *ballotBox) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if v, ok := msg.(Vote); ok {
		b.got[from] = append(b.got[from], v)
	}
}

// voteWorld: n1 sends Vote{1, "a"} to n2..n5 at 1ms and 3ms; the schedule
// may make it lie in between.
func voteWorld(t *testing.T, seed uint64, schedule string, eq network.Equivocation) (map[sim.NodeID]*ballotBox, *sim.Recorder) {
	t.Helper()
	net := network.MustNew(network.Config{})
	if eq != nil {
		net.SetEquivocation(eq)
	}
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Seed: seed, Network: net, Tracer: rec})
	boxes := map[sim.NodeID]*ballotBox{}
	for _, id := range []sim.NodeID{"n1", "n2", "n3", "n4", "n5"} {
		boxes[id] = &ballotBox{got: map[sim.NodeID][]Vote{}}
		w.AddNode(id, func() sim.Node { return boxes[id] })
	}
	s, err := network.ParseSchedule(strings.NewReader(schedule))
	require.NoError(t, err)
	require.NoError(t, network.Play(w, net, s))
	for _, at := range []time.Duration{time.Millisecond, 3 * time.Millisecond} {
		w.At(at, func() {
			_ = w.Exec("n1", func(_ sim.Node, env sim.Env) {
				for _, p := range env.Peers() {
					env.Send(p, Vote{Round: 1, For: "a"})
				}
			})
		})
	}
	w.RunFor(10 * time.Millisecond)
	return boxes, rec
}

func TestEquivocateVerb(t *testing.T) {
	s, err := network.ParseSchedule(strings.NewReader("2ms equivocate n1\n5ms equivocate n1 off\n"))
	require.NoError(t, err)
	assert.Equal(t, network.Schedule{
		{At: 2 * time.Millisecond, Action: network.Equivocate{Node: "n1", On: true}},
		{At: 5 * time.Millisecond, Action: network.Equivocate{Node: "n1"}},
	}, s)
	assert.Equal(t, "# dsim fault schedule\n2ms equivocate n1\n5ms equivocate n1 off\n", s.String())
	_, err = network.ParseSchedule(strings.NewReader("1s equivocate n1 maybe"))
	assert.ErrorContains(t, err, `equivocate: want "equivocate A [off]"`)
}

// The default lie: peers in one camp hear the truth, the others a
// perturbed copy; before the verb everybody heard the truth.
func TestDefaultEquivocationSplitsThePeers(t *testing.T) {
	boxes, rec := voteWorld(t, 1, "2ms equivocate n1", nil)
	versions := map[Vote]int{}
	for _, id := range []sim.NodeID{"n2", "n3", "n4", "n5"} {
		got := boxes[id].got["n1"]
		require.Len(t, got, 2)
		assert.Equal(t, Vote{Round: 1, For: "a"}, got[0], "honest before the verb")
		versions[got[1]]++
	}
	assert.Len(t, versions, 2, "two versions of the second vote: %v", versions)
	assert.Contains(t, versions, Vote{Round: 2, For: "a*"})
	assert.Positive(t, rec.Count(sim.KindFault))
}

// A scenario's own lie, drawn from the seed: deterministic per seed.
func TestEquivocationIsDeterministic(t *testing.T) {
	coin := func(from, to sim.NodeID, msg sim.Message, rng *rand.Rand) sim.Message {
		v := msg.(Vote)
		if rng.IntN(2) == 0 {
			v.For = "b"
		}
		return v
	}
	heard := func(seed uint64) []string {
		boxes, _ := voteWorld(t, seed, "0s equivocate n1", coin)
		var out []string
		for _, id := range []sim.NodeID{"n2", "n3", "n4", "n5"} {
			for _, v := range boxes[id].got["n1"] {
				out = append(out, v.For)
			}
		}
		return out
	}
	assert.Equal(t, heard(7), heard(7))
	assert.Contains(t, heard(7), "b")
}

func TestResetMakesALiarHonest(t *testing.T) {
	boxes, _ := voteWorld(t, 1, "0s equivocate n1\n2ms reset", nil)
	for _, id := range []sim.NodeID{"n2", "n3", "n4", "n5"} {
		assert.Equal(t, Vote{Round: 1, For: "a"}, boxes[id].got["n1"][1])
	}
}
