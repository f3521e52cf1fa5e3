package network_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDropNextLosesExactlyTheNextMessageOnItsLink(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2", "n3")
	require.NoError(t, l.m.DropNext(network.Link{From: "n1", To: "n2"}))
	assert.Equal(t, "drop-next on n1->n2 (1)", strings.Split(l.m.String(), "\n")[1])
	l.send("n2", "n1", 1) // the other direction is another link
	l.send("n1", "n3", 2)
	l.send("n1", "n2", 3) // this one is lost
	l.send("n1", "n2", 4)
	l.w.RunFor(time.Second)
	var got []int
	for _, a := range l.got {
		got = append(got, a.N)
	}
	assert.Equal(t, []int{1, 2, 4}, got, "only the first n1->n2 message after DropNext is lost")
	assert.Equal(t, map[string]int{"drop-next": 1}, l.dropReasons())
	assert.Equal(t, []string{"drop-next on n1->n2"}, l.faults())
	assert.Len(t, strings.Split(l.m.String(), "\n"), 2, "once taken, the drop is no longer pending")
}

func TestDropNextOnAllLinksTakesWhicheverMessageComesFirst(t *testing.T) {
	l := newLab(t, network.Config{}, five...)
	require.NoError(t, l.m.DropNext(network.AllLinks))
	require.NoError(t, l.m.DropNext(network.AllLinks))
	assert.Len(t, l.sendAll(), 18, "two calls drop the next two of the 20 messages")
	assert.Equal(t, map[string]int{"drop-next": 2}, l.dropReasons())
	assert.Len(t, l.sendAll(), 20, "and no more")
}

func TestDropNextIgnoresMessagesStoppedAnyway(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2", "n3")
	require.NoError(t, l.m.Isolate("n3"))
	require.NoError(t, l.m.DropNext(network.AllLinks))
	l.send("n1", "n3", 1) // stopped by the isolation: the drop is still armed
	l.send("n1", "n2", 2) // takes the drop
	l.send("n1", "n2", 3)
	l.w.RunFor(time.Second)
	require.Len(t, l.got, 1)
	assert.Equal(t, 3, l.got[0].N)
	assert.Equal(t, map[string]int{"isolated": 1, "drop-next": 1}, l.dropReasons())
}

func TestResetCancelsPendingDropsAndHealDoesNot(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2")
	require.NoError(t, l.m.DropNext(network.AllLinks))
	require.NoError(t, l.m.DropNext(network.Link{From: "n2", To: "n1"}))
	l.m.Heal()
	assert.Len(t, l.sendAll(), 0, "heal leaves both drops armed: n1->n2 takes the any-link one, n2->n1 its own")
	require.NoError(t, l.m.DropNext(network.AllLinks))
	l.m.Reset()
	assert.Len(t, l.sendAll(), 2, "reset disarms them")
}

func TestDropNextRejectsHalfALink(t *testing.T) {
	m := network.MustNew(network.Config{})
	assert.ErrorContains(t, m.DropNext(network.Link{From: "n1"}), "drop-next: link")
}

func TestDropNextInASchedule(t *testing.T) {
	s, err := network.ParseSchedule(strings.NewReader("1s drop-next\n2s drop-next n1->n2\n"))
	require.NoError(t, err)
	assert.Equal(t, network.Schedule{
		{At: time.Second, Action: network.DropNext{}},
		{At: 2 * time.Second, Action: network.DropNext{Link: network.Link{From: "n1", To: "n2"}}},
	}, s)
	assert.Equal(t, "# dsim fault schedule\n1s drop-next\n2s drop-next n1 -> n2\n", s.String())
	_, err = network.ParseSchedule(strings.NewReader("1s drop-next n1"))
	assert.ErrorContains(t, err, `line 1: drop-next: want "drop-next [A -> B]"`)

	l := newLab(t, network.Config{}, "n1", "n2")
	require.NoError(t, network.Play(l.w, l.m, network.Schedule{{At: time.Second, Action: network.DropNext{}}}))
	l.send("n1", "n2", 1) // before 1s: delivered
	l.w.RunFor(2 * time.Second)
	l.send("n1", "n2", 2) // after: lost
	l.send("n1", "n2", 3)
	l.w.RunFor(time.Second)
	var got []int
	for _, a := range l.got {
		got = append(got, a.N)
	}
	assert.Equal(t, []int{1, 3}, got)
}

// Past a few hundred nodes the model keeps only the links in use (a dense
// table would grow with the square of the nodes); faults on single links,
// and heal and reset over all of them, work the same. The state of a link
// set up while the table was dense survives the switch.
func TestManyNodesKeepPerLinkFaults(t *testing.T) {
	l := newLab(t, network.Config{}, "n1", "n2", "n3")
	require.NoError(t, l.m.DropNext(network.Link{From: "n1", To: "n2"}))
	for i := range 400 {
		l.w.AddNode(sim.NodeID(fmt.Sprintf("x%03d", i)), func() sim.Node { return sim.NodeFunc(func(sim.Env, sim.NodeID, sim.Message) {}) })
	}
	l.w.RunFor(0)
	for i := range 400 {
		l.send("n3", sim.NodeID(fmt.Sprintf("x%03d", i)), 1) // the model learns every node: sparse
	}
	require.NoError(t, l.m.DropNext(network.Link{From: "x001", To: "x399"}))
	l.send("n1", "n2", 2) // lost: armed while dense
	l.send("x001", "x399", 3)
	l.send("x001", "x399", 4)
	l.w.RunFor(time.Second)
	assert.Equal(t, map[string]int{"drop-next": 2}, l.dropReasons())
	require.NoError(t, l.m.DropNext(network.Link{From: "x002", To: "n3"}))
	l.m.Reset()
	l.send("x002", "n3", 5) // reset disarmed it
	l.w.RunFor(time.Second)
	assert.Equal(t, map[string]int{"drop-next": 2}, l.dropReasons())
}
