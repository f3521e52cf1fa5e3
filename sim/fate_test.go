package sim_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
)

// liar is a link model under which n1 tells n3 a different sequence number
// than it sent: Fate.Msg replaces the message for one destination.
type liar struct{}

func (liar) Route(_ time.Duration, from, to sim.NodeID, msg sim.Message, _ *rand.Rand) sim.Fate {
	if p, ok := msg.(Ping); ok && from == "n1" && to == "n3" {
		return sim.Fate{Delay: time.Millisecond, Msg: Ping{Seq: p.Seq + 100}}
	}
	return sim.Fate{Delay: time.Millisecond}
}

type seqLog struct{ got map[sim.NodeID][]int }

func (s *seqLog) Start(sim.Env) {}
func (s *seqLog) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if p, ok := msg.(Ping); ok {
		s.got[from] = append(s.got[from], p.Seq)
	}
}

func TestFateMsgReplacesTheDeliveredMessage(t *testing.T) {
	rec := &sim.Recorder{}
	w := sim.NewWorld(sim.Config{Seed: 1, Network: liar{}, Tracer: rec})
	logs := map[sim.NodeID]*seqLog{}
	for _, id := range []sim.NodeID{"n2", "n3"} {
		logs[id] = &seqLog{got: map[sim.NodeID][]int{}}
		w.AddNode(id, func() sim.Node { return logs[id] })
	}
	w.AddNode("n1", func() sim.Node { return &seqLog{got: map[sim.NodeID][]int{}} })
	w.At(time.Millisecond, func() {
		_ = w.Exec("n1", func(_ sim.Node, env sim.Env) {
			env.Send("n2", Ping{Seq: 1})
			env.Send("n3", Ping{Seq: 1})
		})
	})
	w.RunFor(10 * time.Millisecond)
	assert.Equal(t, []int{1}, logs["n2"].got["n1"])
	assert.Equal(t, []int{101}, logs["n3"].got["n1"], "n3 hears what the liar told it")
	assert.Equal(t, 1, rec.Count(sim.KindFault), "the swap is in the trace")
}
