// Package broadcastsuite grades a broadcast node, as a ladder in the spirit
// of Fly.io's Gossip Glomers: ours (package gossip/glomers), or a student's.
// Nodes n1..nN take the client messages of package glomers (Broadcast, Read, Add,
// ReadCounter) and talk to each other however they like. The rungs:
//
//	A SingleNode   one node keeps every value it is told and reads them back
//	B MultiNode    five nodes: every value reaches every node
//	C Partition    five nodes split in two while values arrive: after the
//	               heal every node has every value
//	D Efficiency   five nodes, no faults: node-to-node messages per
//	               broadcast stay under MaxMessagesPerOp, and values arrive
//	               everywhere within MaxSpread
//	E GCounter     a grow-only counter on five nodes through a partition:
//	               every node reads the exact total
//
// Homework grades each rung as a part, refusing dsim's glomers.Node.
package broadcastsuite

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dsimlab/dsim/gossip/glomers"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios/suite"
	"github.com/dsimlab/dsim/sim"
)

// Constructor builds one node at every boot.
type Constructor func() sim.Node

// T is what a test needs of a *testing.T.
type T = suite.T

// Limits of Efficiency.
const (
	// MaxMessagesPerOp bounds node-to-node messages per broadcast, with
	// five nodes: a push to each peer costs 4, a little anti-entropy on top
	// is fine; forwarding every value to every peer costs 20.
	MaxMessagesPerOp = 10
	// MaxSpread bounds how long after its Broadcast a value may take to be
	// at every node, on a healthy network.
	MaxSpread = 500 * time.Millisecond
)

// Errors a failure wraps.
var (
	ErrMissing    = errors.New("a node is missing values")
	ErrInvented   = errors.New("a node reports values nobody broadcast")
	ErrUnanswered = errors.New("a node did not answer")
	ErrTooMany    = errors.New("too many messages per broadcast")
	ErrSlow       = errors.New("values spread too slowly")
	ErrWrongCount = errors.New("the counter's total is wrong")
)

// Test is one rung of the ladder.
type Test struct {
	Name, Part, Doc string
	Run             func(t T, c *Cluster)
	Nodes           int
}

// Tests are the ladder, in order.
var Tests = []Test{
	{Name: "SingleNode", Part: "A", Nodes: 1, Doc: "one node keeps every broadcast value and reads them all back", Run: testSingleNode},
	{Name: "MultiNode", Part: "B", Nodes: 5, Doc: "five nodes: a value broadcast at any node reaches every node", Run: testMultiNode},
	{Name: "Partition", Part: "C", Nodes: 5, Doc: "values broadcast on both sides of a partition reach every node once it heals", Run: testPartition},
	{Name: "Efficiency", Part: "D", Nodes: 5, Doc: fmt.Sprintf("no faults: at most %d node-to-node messages per broadcast, every value everywhere within %v", MaxMessagesPerOp, MaxSpread), Run: testEfficiency},
	{Name: "GCounter", Part: "E", Nodes: 5, Doc: "a grow-only counter through a partition: every node reads the exact total once healed", Run: testGCounter},
}

// DefaultSeeds are the seeds tests run at.
var DefaultSeeds = []uint64{1, 2, 3, 4, 5}

// Cluster is the nodes and one client "c1".
type Cluster struct {
	t      T
	W      *sim.World
	Net    *network.Model
	Nodes  []sim.NodeID
	client *client
	flight *suite.Flight
	seed   uint64
	intent string
	// peerMsgs counts node-to-node sends.
	peerMsgs int
}

// client sends requests and keeps the replies by request ID.
type client struct {
	next    uint64
	replies map[uint64]sim.Message
}

func (c *client) Start(sim.Env) {}
func (c *client) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	var id uint64
	switch m := msg.(type) {
	case glomers.BroadcastOK:
		id = m.ID
	case glomers.ReadOK:
		id = m.ID
	case glomers.AddOK:
		id = m.ID
	case glomers.CounterOK:
		id = m.ID
	default:
		return
	}
	if _, dup := c.replies[id]; !dup {
		c.replies[id] = msg
	}
}

func (c *Cluster) Trace(r *sim.Record) {
	if r.Kind == sim.KindSend && slices.Contains(c.Nodes, r.From) && slices.Contains(c.Nodes, r.To) {
		c.peerMsgs++
	}
}

func newCluster(t T, newNode Constructor, n int, seed uint64, tracer sim.Tracer, intent string) *Cluster {
	net, err := network.New(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 10 * time.Millisecond}}})
	if err != nil {
		t.Fatalf("network: %v", err)
	}
	c := &Cluster{t: t, Net: net, flight: suite.NewFlight(5), seed: seed, intent: intent, client: &client{replies: map[uint64]sim.Message{}}}
	tr := sim.Tee(c, c.flight)
	if tracer != nil {
		tr = sim.Tee(c, c.flight, tracer)
	}
	c.W = sim.NewWorld(sim.Config{Seed: seed, Network: net, Tracer: tr})
	for i := 1; i <= n; i++ {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		c.Nodes = append(c.Nodes, id)
		c.W.AddNode(id, func() sim.Node { return newNode() })
	}
	c.W.AddClient("c1", func() sim.Node { return c.client })
	c.W.RunFor(time.Millisecond)
	return c
}

func (c *Cluster) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("%s\nthis test: %s\n%s%sseed %d, at %s of virtual time; replay: %s", fmt.Sprintf(format, args...), c.intent,
		c.flight.Logs(c.Nodes), c.flight.Report(c.Nodes), c.seed, sim.FormatTime(c.W.Now()), suite.ReplayCommand(c.t.Name()))
}

// send sends msg (built with a fresh request ID) from the client to node.
func (c *Cluster) send(node sim.NodeID, build func(id uint64) sim.Message) uint64 {
	c.client.next++
	id := c.client.next
	if err := c.W.Exec("c1", func(_ sim.Node, env sim.Env) { env.Send(node, build(id)) }); err != nil {
		c.fatalf("the client cannot send: %v", err)
	}
	return id
}

// broadcast sends value to node.
func (c *Cluster) broadcast(node sim.NodeID, value int) {
	c.send(node, func(id uint64) sim.Message { return glomers.Broadcast{ID: id, Value: value} })
}

// read asks every node for its values (messages from the client to the
// nodes are never lost) and returns them by node.
func (c *Cluster) read() map[sim.NodeID][]int {
	ids := map[sim.NodeID]uint64{}
	for _, n := range c.Nodes {
		ids[n] = c.send(n, func(id uint64) sim.Message { return glomers.Read{ID: id} })
	}
	c.W.RunFor(50 * time.Millisecond)
	out := map[sim.NodeID][]int{}
	for _, n := range c.Nodes {
		r, ok := c.client.replies[ids[n]].(glomers.ReadOK)
		if !ok {
			c.fatalf("%v: %s sent no ReadOK within 50ms of a Read (reply to the sender, with the request's ID)", ErrUnanswered, n)
		}
		out[n] = r.Values
	}
	return out
}

// checkAll fails unless every node holds exactly want.
func (c *Cluster) checkAll(want []int, when string) {
	c.t.Helper()
	got := c.read()
	for _, n := range c.Nodes {
		vs := got[n]
		var missing, extra []int
		for _, v := range want {
			if !slices.Contains(vs, v) {
				missing = append(missing, v)
			}
		}
		for _, v := range vs {
			if !slices.Contains(want, v) {
				extra = append(extra, v)
			}
		}
		if len(extra) > 0 {
			c.fatalf("%v: %s reads %v, which nobody broadcast", ErrInvented, n, extra)
		}
		if len(missing) > 0 {
			c.fatalf("%v: %s %s: it lacks %d of %d values, e.g. %v", ErrMissing, n, when, len(missing), len(want), missing[:min(5, len(missing))])
		}
	}
}

// split cuts every link between a and b, both ways; the client still
// reaches every node.
func (c *Cluster) split(a, b []sim.NodeID) {
	for _, x := range a {
		for _, y := range b {
			if err := c.Net.Cut(x, y); err != nil {
				c.fatalf("network: %v", err)
			}
			if err := c.Net.Cut(y, x); err != nil {
				c.fatalf("network: %v", err)
			}
		}
	}
}

func (c *Cluster) rand() func(n int) int {
	x := c.seed
	return func(n int) int {
		x = x*6364136223846793005 + 1442695040888963407
		return int((x >> 33) % uint64(n))
	}
}

func testSingleNode(t T, c *Cluster) {
	var want []int
	for v := range 20 {
		c.broadcast("n1", v*7)
		want = append(want, v*7)
		c.W.RunFor(2 * time.Millisecond)
	}
	c.W.RunFor(100 * time.Millisecond)
	c.checkAll(want, "right after the broadcasts")
}

func testMultiNode(t T, c *Cluster) {
	rnd := c.rand()
	var want []int
	for v := range 30 {
		c.broadcast(c.Nodes[rnd(len(c.Nodes))], 1000+v)
		want = append(want, 1000+v)
		c.W.RunFor(10 * time.Millisecond)
	}
	c.W.RunFor(time.Second)
	c.checkAll(want, "1s after the last broadcast")
}

func testPartition(t T, c *Cluster) {
	rnd := c.rand()
	c.split(c.Nodes[:2], c.Nodes[2:])
	var want []int
	for v := range 30 {
		c.broadcast(c.Nodes[rnd(len(c.Nodes))], 2000+v)
		want = append(want, 2000+v)
		c.W.RunFor(20 * time.Millisecond)
	}
	c.W.RunFor(500 * time.Millisecond)
	c.Net.Heal()
	c.W.RunFor(2 * time.Second)
	c.checkAll(want, "2s after the partition healed")
}

func testEfficiency(t T, c *Cluster) {
	rnd := c.rand()
	const ops = 50
	before := c.peerMsgs
	var want []int
	sentAt := map[int]time.Duration{}
	for v := range ops {
		c.broadcast(c.Nodes[rnd(len(c.Nodes))], 3000+v)
		want = append(want, 3000+v)
		sentAt[3000+v] = c.W.Now()
		c.W.RunFor(20 * time.Millisecond)
	}
	c.W.RunFor(MaxSpread)
	msgs := c.peerMsgs - before
	c.checkAll(want, fmt.Sprintf("%v after the last broadcast", MaxSpread))
	if per := float64(msgs) / ops; per > MaxMessagesPerOp {
		c.fatalf("%v: %d node-to-node messages for %d broadcasts over %s: %.1f per broadcast, more than %d (does every node forward every value to everyone?)",
			ErrTooMany, msgs, ops, sim.FormatTime(time.Duration(ops)*20*time.Millisecond+MaxSpread), per, MaxMessagesPerOp)
	}
	c.t.Logf("%d node-to-node messages for %d broadcasts: %.1f per broadcast", msgs, ops, float64(msgs)/ops)
}

func testGCounter(t T, c *Cluster) {
	rnd := c.rand()
	total := 0
	add := func(k int) {
		for range k {
			d := rnd(5)
			total += d
			c.send(c.Nodes[rnd(len(c.Nodes))], func(id uint64) sim.Message { return glomers.Add{ID: id, Delta: d} })
			c.W.RunFor(10 * time.Millisecond)
		}
	}
	add(20)
	c.split(c.Nodes[:2], c.Nodes[2:])
	add(20)
	c.W.RunFor(300 * time.Millisecond)
	c.Net.Heal()
	add(10)
	c.W.RunFor(2 * time.Second)
	ids := map[sim.NodeID]uint64{}
	for _, n := range c.Nodes {
		ids[n] = c.send(n, func(id uint64) sim.Message { return glomers.ReadCounter{ID: id} })
	}
	c.W.RunFor(50 * time.Millisecond)
	for _, n := range c.Nodes {
		r, ok := c.client.replies[ids[n]].(glomers.CounterOK)
		if !ok {
			c.fatalf("%v: %s sent no CounterOK within 50ms of a ReadCounter", ErrUnanswered, n)
		}
		if r.Value != total {
			c.fatalf("%v: %s reads %d, but the additions sum to %d (2s after the partition healed)", ErrWrongCount, n, r.Value, total)
		}
	}
}

// RunOne runs test at seed, failing t with a report.
func RunOne(t T, test Test, newNode Constructor, seed uint64, tracer sim.Tracer) {
	t.Helper()
	test.Run(t, newCluster(t, newNode, test.Nodes, seed, tracer, test.Doc))
}

// Run runs every test at each seed as parallel subtests.
func Run(t *testing.T, newNode Constructor, seeds ...uint64) {
	t.Helper()
	if len(seeds) == 0 {
		seeds = DefaultSeeds
	}
	suite.EachSeed(t, Tests, func(x Test) string { return x.Name }, seeds, func(t *testing.T, test Test, seed uint64) {
		RunOne(t, test, newNode, seed, nil)
	})
}

// Grade runs test at seed under a recorder.
func Grade(test Test, newNode Constructor, seed uint64) (failed bool, msgs []string) {
	return suite.Record(test.Name, func(t suite.T) { RunOne(t, test, newNode, seed, nil) })
}

// Homework grades a student's node rung by rung, parts A to E. It refuses
// dsim's own glomers.Node.
func Homework(t *testing.T, newNode Constructor, parts ...string) []suite.Outcome {
	t.Helper()
	return suite.Grade(t, Assignment(newNode), parts...)
}

// Assignment is the homework as scenarios/suite grades it.
func Assignment(newNode Constructor) suite.Assignment {
	a := suite.Assignment{
		Name: "broadcast", Seeds: DefaultSeeds,
		Parts: []suite.Part{
			{Name: "A", Title: "single node", Points: 10},
			{Name: "B", Title: "multi-node", Points: 20},
			{Name: "C", Title: "partitions", Points: 25},
			{Name: "D", Title: "efficiency", Points: 20},
			{Name: "E", Title: "grow-only counter", Points: 25},
		},
		Reference: []string{"github.com/dsimlab/dsim/gossip/glomers.Node", "github.com/dsimlab/dsim/gossip.Node"},
	}
	for _, test := range Tests {
		a.Cases = append(a.Cases, suite.Case{Part: test.Part, Name: test.Name, Doc: test.Doc,
			Run: func(t suite.T, seed uint64, tracer sim.Tracer) { RunOne(t, test, newNode, seed, tracer) }})
	}
	a.Probe = func() []any {
		var out []any
		suite.Record("probe", func(t suite.T) {
			c := newCluster(t, newNode, 3, 1, nil, "")
			c.W.RunFor(100 * time.Millisecond)
			for _, id := range c.Nodes {
				if n := c.W.Node(id); n != nil {
					out = append(out, n)
				}
			}
		})
		return out
	}
	return a
}
