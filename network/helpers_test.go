package network_test

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/require"
)

// Seq is the test message: a sequence number per sender.
type Seq struct{ N int }

// arrival is one message as a node received it.
type arrival struct {
	From sim.NodeID
	To   sim.NodeID
	N    int
	At   time.Duration
}

// lab is a world of silent nodes that remember what reaches them, on a
// network Model, with every trace record kept.
type lab struct {
	t     *testing.T
	w     *sim.World
	m     *network.Model
	rec   *sim.Recorder
	got   []arrival
	nodes []sim.NodeID
}

func newLab(t *testing.T, cfg network.Config, ids ...sim.NodeID) *lab {
	t.Helper()
	m, err := network.New(cfg)
	require.NoError(t, err)
	l := &lab{t: t, m: m, rec: &sim.Recorder{}, nodes: ids}
	l.w = sim.NewWorld(sim.Config{Seed: 1, Network: m, Tracer: l.rec})
	for _, id := range ids {
		l.w.AddNode(id, func() sim.Node {
			return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
				if s, ok := msg.(Seq); ok {
					l.got = append(l.got, arrival{From: from, To: env.ID(), N: s.N, At: l.w.Now()})
				}
			})
		})
	}
	l.w.RunFor(0) // boot everyone
	return l
}

// send has from send Seq{n} to to, now.
func (l *lab) send(from, to sim.NodeID, n int) {
	l.t.Helper()
	require.NoError(l.t, l.w.Exec(from, func(_ sim.Node, env sim.Env) { env.Send(to, Seq{N: n}) }))
}

// sendAll has every node send one message to every other node, then runs
// until they have all arrived or been dropped, and returns the directed
// pairs that got through, as "n1->n2".
func (l *lab) sendAll() map[string]bool {
	l.t.Helper()
	l.got = nil
	for _, from := range l.nodes {
		for _, to := range l.nodes {
			if from != to {
				l.send(from, to, 0)
			}
		}
	}
	l.w.RunFor(time.Second)
	through := map[string]bool{}
	for _, a := range l.got {
		through[string(a.From)+"->"+string(a.To)] = true
	}
	return through
}

// faults returns the text of every fault record so far.
func (l *lab) faults() []string {
	var out []string
	for _, r := range l.rec.Records {
		if r.Kind == sim.KindFault {
			out = append(out, r.Text)
		}
	}
	return out
}

// dropReasons counts drop records by reason.
func (l *lab) dropReasons() map[string]int {
	out := map[string]int{}
	for _, r := range l.rec.Records {
		if r.Kind == sim.KindDrop {
			out[r.Text]++
		}
	}
	return out
}

// pairs lists every directed pair among ids for which reach says yes.
func pairs(ids []sim.NodeID, reach func(from, to sim.NodeID) bool) map[string]bool {
	out := map[string]bool{}
	for _, from := range ids {
		for _, to := range ids {
			if from != to && reach(from, to) {
				out[string(from)+"->"+string(to)] = true
			}
		}
	}
	return out
}

var five = []sim.NodeID{"n1", "n2", "n3", "n4", "n5"}
