// Package quorumsuite grades a Dynamo-style quorum store server: ours
// (storage/quorum), or a student's. The clients are dsim's quorum.Client,
// so a student's server speaks quorum's messages (GetRequest, PutRequest,
// ReplicaRead, ReplicaWrite, Handoff, ...) and stores quorum.Siblings under
// vector clocks. Each test checks one guarantee of the configured N, R, W:
//
//   - ReadYourWrites (N=3, R=2, W=2, so R+W > N, with a strict quorum):
//     a client that wrote a value to its own key reads it back, or
//     something newer, through any coordinator, while 30% of the messages
//     between servers are lost;
//   - Convergence: clients write the same keys concurrently on a lossy
//     network; once the writes stop, the network heals and a read of each
//     key runs read repair, the N replicas of every key hold the same
//     versions, and those cover every acknowledged write (siblings, not
//     lost updates);
//   - HintedHandoff: a server is down while clients write; the stand-ins
//     that took its writes hand them over once it is back, with no read
//     to repair it: it then holds every acknowledged write of its keys.
//
// Homework grades them as parts A, B and C, refusing dsim's own
// quorum.Server; quorum.NewBroken's bugs show each test fails for its
// reason.
package quorumsuite

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/clock"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios/suite"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/quorum"
	"github.com/dsimlab/dsim/storage/ring"
)

// Implementation is a quorum store server: a sim.Node speaking quorum's
// messages that also shows what it stores for a key (the suite reads
// replicas directly to judge convergence and handoff).
type Implementation interface {
	sim.Node
	Get(key string) quorum.Siblings
}

// Constructor builds one server at every boot, with the test's Config.
type Constructor func(cfg quorum.Config) Implementation

// T is what a test needs of a *testing.T.
type T = suite.T

// Errors a failure wraps.
var (
	ErrStaleRead    = errors.New("read-your-writes broken: a read missed the client's own acknowledged write")
	ErrDiverged     = errors.New("replicas did not converge")
	ErrLostWrite    = errors.New("an acknowledged write was lost")
	ErrNoHandoff    = errors.New("a write taken for a down node never reached it (hinted handoff)")
	ErrUnavailable  = errors.New("the store answered too few operations")
	servers         = []sim.NodeID{"n1", "n2", "n3", "n4", "n5"}
	minAcknowledged = 20
)

// Test is one graded test.
type Test struct {
	Name, Doc string
	Run       func(t T, newServer Constructor, seed uint64, tracer sim.Tracer)
}

// Tests are the suite's tests.
var Tests = []Test{
	{Name: "ReadYourWrites", Doc: "with R+W > N (3, 2, 2) and a strict quorum, a client reads back its own acknowledged write through any coordinator, though replicas miss messages", Run: testReadYourWrites},
	{Name: "Convergence", Doc: "concurrent writes on a lossy network: once healed and read, the N replicas of a key agree and keep every acknowledged write (as siblings)", Run: testConvergence},
	{Name: "HintedHandoff", Doc: "a server is down while clients write; once back it receives, by hinted handoff alone, every acknowledged write of its keys", Run: testHintedHandoff},
}

// DefaultSeeds are the seeds tests run at.
var DefaultSeeds = []uint64{1, 2, 3, 4, 5}

// Config is the store's configuration in every test: quorum's default
// (N=3, R=2, W=2, sloppy quorum with hinted handoff, read repair).
func Config() quorum.Config { return quorum.DefaultConfig() }

// cluster is five servers and some clients.
type cluster struct {
	t       T
	w       *sim.World
	net     *network.Model
	cfg     quorum.Config
	clients []*quorum.Client
	ring    *ring.Ring
	flight  *suite.Flight
	seed    uint64
}

func newCluster(t T, newServer Constructor, seed uint64, tracer sim.Tracer, lossy bool, cfg quorum.Config) *cluster {
	net, err := network.New(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 10 * time.Millisecond}}})
	if err != nil {
		t.Fatalf("network: %v", err)
	}
	c := &cluster{t: t, net: net, cfg: cfg, flight: suite.NewFlight(5), seed: seed}
	var tr sim.Tracer = c.flight
	if tracer != nil {
		tr = sim.Tee(c.flight, tracer)
	}
	c.w = sim.NewWorld(sim.Config{Seed: seed, Network: net, Tracer: tr, LoseUnsyncedWrites: true})
	for _, id := range servers {
		c.w.AddNode(id, func() sim.Node { return newServer(c.cfg) })
	}
	c.ring = ring.MustNew(c.cfg.VNodes, servers...)
	if lossy {
		if err := net.SetLoss(network.AllLinks, 0.1); err != nil {
			t.Fatalf("network: %v", err)
		}
	}
	return c
}

// addClient adds a client with ops, issued while the world's clock is
// before until.
func (c *cluster) addClient(id sim.NodeID, ops func(k int) quorum.Op, until time.Duration) *quorum.Client {
	k := 0
	wl := quorum.WorkloadFunc(func() (quorum.Op, bool) {
		if c.w.Now() >= until {
			return quorum.Op{}, false
		}
		k++
		return ops(k), true
	})
	cl, err := quorum.NewClient(quorum.ClientConfig{Workload: wl, Clock: c.w.Now, N: c.cfg.N, VNodes: c.cfg.VNodes,
		AnyReplica: true, Pause: 5 * time.Millisecond})
	if err != nil {
		c.t.Fatalf("client: %v", err)
	}
	c.w.AddClient(id, func() sim.Node { return cl })
	c.clients = append(c.clients, cl)
	return cl
}

func (c *cluster) server(id sim.NodeID) Implementation {
	s, _ := c.w.Node(id).(Implementation)
	return s
}

func (c *cluster) fatalf(intent string, format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("%s\nthis test: %s\n%s%sseed %d, at %s of virtual time; replay: %s", fmt.Sprintf(format, args...), intent,
		c.flight.Logs(servers), c.flight.Report(servers), c.seed, sim.FormatTime(c.w.Now()), suite.ReplayCommand(c.t.Name()))
}

func (c *cluster) acknowledged() []quorum.Record {
	var out []quorum.Record
	for _, cl := range c.clients {
		for _, r := range cl.Records() {
			if r.OK {
				out = append(out, r)
			}
		}
	}
	return out
}

func testReadYourWrites(t T, newServer Constructor, seed uint64, tracer sim.Tracer) {
	const intent = "with R+W > N a read overlaps every write quorum: a client sees its own acknowledged writes"
	// A strict quorum (a sloppy one trades this guarantee for
	// availability), and replica traffic that is sometimes lost: a write
	// must still wait for W replicas.
	cfg := Config()
	cfg.SloppyQuorum = false
	c := newCluster(t, newServer, seed, tracer, false, cfg)
	for _, a := range servers {
		for _, b := range servers {
			if a != b {
				if err := c.net.SetLoss(network.Link{From: a, To: b}, 0.3); err != nil {
					t.Fatalf("network: %v", err)
				}
			}
		}
	}
	for i := 1; i <= 3; i++ {
		id := sim.NodeID(fmt.Sprintf("c%d", i))
		c.addClient(id, func(k int) quorum.Op {
			key := fmt.Sprintf("%s-k%d", id, ((k+1)/2)%3) // a put, then a get of the same key
			if k%2 == 1 {
				return quorum.Op{Kind: check.KVPut, Key: key, Value: fmt.Sprintf("%s-v%d", id, k)}
			}
			return quorum.Op{Kind: check.KVGet, Key: key}
		}, 3*time.Second)
	}
	c.w.RunFor(3500 * time.Millisecond)
	n := 0
	for i, cl := range c.clients {
		last := map[string]quorum.Record{}
		for _, r := range cl.Records() {
			if !r.OK {
				continue
			}
			n++
			switch r.Op.Kind {
			case check.KVPut:
				last[r.Op.Key] = r
			case check.KVGet:
				// The read must hold the write or one that supersedes it (a
				// later put the client gave up on may still have landed).
				if w, ok := last[r.Op.Key]; ok && !r.Siblings.Covers(w.Clock) {
					c.fatalf(intent, "%v: c%d wrote %q to %s (acknowledged at %s), then read %v from it at %s through %s",
						ErrStaleRead, i+1, w.Op.Value, r.Op.Key, sim.FormatTime(w.Return), r.Siblings.Values(), sim.FormatTime(r.Call), r.Coordinator)
				}
			}
		}
	}
	if n < minAcknowledged {
		c.fatalf(intent, "%v: %d operations acknowledged in 3s (a strict quorum of 2 of 3 replicas, all up)", ErrUnavailable, n)
	}
}

// sharedOps writes shared keys blind (no read first), so writes of two
// clients to one key are concurrent.
func sharedOps(id sim.NodeID) func(k int) quorum.Op {
	return func(k int) quorum.Op {
		return quorum.Op{Kind: check.KVPut, Key: fmt.Sprintf("k%d", k%4), Value: fmt.Sprintf("%s-v%d", id, k)}
	}
}

// checkCovered fails unless every node in holders(key) holds versions that
// cover each acknowledged put's clock.
func (c *cluster) checkCovered(intent string, err error, puts []quorum.Record, holders func(key string) []sim.NodeID) {
	c.t.Helper()
	for _, r := range puts {
		if r.Op.Kind != check.KVPut {
			continue
		}
		for _, id := range holders(r.Op.Key) {
			s := c.server(id)
			if s == nil {
				continue
			}
			if got := s.Get(r.Op.Key); !got.Covers(r.Clock) {
				c.fatalf(intent, "%v: %q written to %s at %s (acknowledged, clock %v) is not in what replica %s holds: %v",
					err, r.Op.Value, r.Op.Key, sim.FormatTime(r.Call), r.Clock, id, got.Values())
			}
		}
	}
}

func testConvergence(t T, newServer Constructor, seed uint64, tracer sim.Tracer) {
	const intent = "replicas that miss writes are repaired (read repair, hinted handoff); concurrent writes are kept as siblings, not lost"
	c := newCluster(t, newServer, seed, tracer, true, Config())
	for i := 1; i <= 3; i++ {
		id := sim.NodeID(fmt.Sprintf("c%d", i))
		c.addClient(id, sharedOps(id), 2*time.Second)
	}
	c.w.RunFor(2500 * time.Millisecond)
	if err := c.net.SetLoss(network.AllLinks, 0); err != nil {
		t.Fatalf("network: %v", err)
	}
	c.w.RunFor(time.Second) // hints handed over
	// One read of every key, which repairs the replicas behind.
	reader := c.addClient("reader", func(k int) quorum.Op { return quorum.Op{Kind: check.KVGet, Key: fmt.Sprintf("k%d", k%4)} }, c.w.Now()+200*time.Millisecond)
	_ = reader
	c.w.RunFor(time.Second)
	puts := c.acknowledged()
	if len(puts) < minAcknowledged {
		c.fatalf(intent, "%v: %d writes acknowledged in 2s", ErrUnavailable, len(puts))
	}
	prefs := func(key string) []sim.NodeID {
		p, err := c.ring.PreferenceList(key, c.cfg.N)
		if err != nil {
			t.Fatalf("ring: %v", err)
		}
		return p
	}
	c.checkCovered(intent, ErrLostWrite, puts, prefs)
	for k := range 4 {
		key := fmt.Sprintf("k%d", k)
		p := prefs(key)
		first := c.server(p[0]).Get(key)
		for _, id := range p[1:] {
			if got := c.server(id).Get(key); !sameVersions(got, first) {
				c.fatalf(intent, "%v: after healing and a read, %s holds %v of %s but %s holds %v", ErrDiverged, p[0], first.Values(), key, id, got.Values())
			}
		}
	}
}

// testHintedHandoff crashes two neighbouring servers while clients write:
// keys with both on their preference list cannot reach W=2 among their N=3
// replicas, so coordinators write to stand-ins with a hint (a ReplicaWrite
// whose Hint names a down node); the suite watches those deliveries. After
// the servers restart, with no reads to repair them, every version a
// stand-in took for one must reach it by handoff.
func testHintedHandoff(t T, newServer Constructor, seed uint64, tracer sim.Tracer) {
	const intent = "a sloppy quorum stays writable while a replica is down; the stand-ins owe it those writes and must hand them over"
	c, verdict := setupHandoff(t, newServer, seed, tracer)
	c.w.RunFor(handoffFor) // no reads after the restart: handoff alone
	if err := verdict(); err != nil {
		c.fatalf(intent, "%v", err)
	}
}

// handoffFor is how long the hinted handoff run lasts: the servers are down
// from 500ms to 2.5s, and have 2.5s more to receive their hints.
const handoffFor = 5 * time.Second

// setupHandoff builds the hinted handoff run: two replicas of one key down
// from 500ms to 2.5s while three clients write shared keys until 2.4s; the
// deliveries of ReplicaWrites with a Hint naming a down node are watched.
// verdict, once the run is over, says whether every hinted version reached
// its node.
func setupHandoff(t T, newServer Constructor, seed uint64, tracer sim.Tracer) (c *cluster, verdict func() error) {
	var down, down2 sim.NodeID // two replicas of one key, chosen below
	type hinted struct {
		node     sim.NodeID
		key      string
		versions quorum.Siblings
		at       time.Duration
		standIn  sim.NodeID
	}
	var hints []hinted
	watch := sim.TracerFunc(func(r *sim.Record) {
		if tracer != nil {
			tracer.Trace(r)
		}
		if m, ok := r.Msg.(quorum.ReplicaWrite); ok && r.Kind == sim.KindDeliver && (m.Hint == down || m.Hint == down2) {
			hints = append(hints, hinted{m.Hint, m.Key, m.Siblings, r.At, r.To})
		}
	})
	c = newCluster(t, newServer, seed, watch, false, Config())
	p, err := c.ring.PreferenceList(fmt.Sprintf("k%d", seed%4), c.cfg.N)
	if err != nil {
		t.Fatalf("ring: %v", err)
	}
	down, down2 = p[0], p[1]
	c.w.At(500*time.Millisecond, func() { c.w.Crash(down); c.w.Crash(down2) })
	c.w.At(2500*time.Millisecond, func() { c.w.Restart(down); c.w.Restart(down2) })
	for i := 1; i <= 3; i++ {
		id := sim.NodeID(fmt.Sprintf("c%d", i))
		c.addClient(id, sharedOps(id), 2400*time.Millisecond)
	}
	return c, func() error {
		if len(hints) == 0 {
			return fmt.Errorf("%w: while %s and %s were down no coordinator wrote to a stand-in for them (a ReplicaWrite with Hint naming one): with a sloppy quorum, a write that cannot reach W replicas of its preference list goes to the next healthy nodes", ErrNoHandoff, down, down2)
		}
		for _, h := range hints {
			s := c.server(h.node)
			if s == nil {
				return fmt.Errorf("%w: %s is down at the end", ErrNoHandoff, h.node)
			}
			if got := s.Get(h.key); !got.Covers(h.versions.Context()) {
				return fmt.Errorf("%w: %s took %v of %s for %s at %s; 2.5s after %s came back it holds only %v",
					ErrNoHandoff, h.standIn, h.versions.Values(), h.key, h.node, sim.FormatTime(h.at), h.node, got.Values())
			}
		}
		return nil
	}
}

// sameVersions reports whether two sibling sets hold the same values under
// equal clocks (stamps may differ: a retried write is stamped again).
func sameVersions(a, b quorum.Siblings) bool {
	if len(a) != len(b) {
		return false
	}
	for _, v := range a {
		found := false
		for _, w := range b {
			found = found || v.Value == w.Value && v.Clock.Compare(w.Clock) == clock.Equal
		}
		if !found {
			return false
		}
	}
	return true
}

// RunOne runs test at seed, failing t with a report.
func RunOne(t T, test Test, newServer Constructor, seed uint64, tracer sim.Tracer) {
	t.Helper()
	test.Run(t, newServer, seed, tracer)
}

// Run runs every test at each seed as parallel subtests.
func Run(t *testing.T, newServer Constructor, seeds ...uint64) {
	t.Helper()
	if len(seeds) == 0 {
		seeds = DefaultSeeds
	}
	suite.EachSeed(t, Tests, func(x Test) string { return x.Name }, seeds, func(t *testing.T, test Test, seed uint64) {
		RunOne(t, test, newServer, seed, nil)
	})
}

// Grade runs test at seed under a recorder.
func Grade(test Test, newServer Constructor, seed uint64) (failed bool, msgs []string) {
	return suite.Record(test.Name, func(t suite.T) { RunOne(t, test, newServer, seed, nil) })
}

// Homework grades a student's server: A ReadYourWrites, B Convergence, C
// HintedHandoff. It refuses dsim's own quorum.Server.
func Homework(t *testing.T, newServer Constructor, parts ...string) []suite.Outcome {
	t.Helper()
	return suite.Grade(t, Assignment(newServer), parts...)
}

// Assignment is the homework as scenarios/suite grades it.
func Assignment(newServer Constructor) suite.Assignment {
	a := suite.Assignment{
		Name: "quorumkv", Seeds: DefaultSeeds,
		Parts: []suite.Part{
			{Name: "A", Title: "quorums: read your writes", Points: 40},
			{Name: "B", Title: "siblings and read repair", Points: 30},
			{Name: "C", Title: "hinted handoff", Points: 30},
		},
		Reference: []string{"github.com/dsimlab/dsim/storage/quorum.Server"},
	}
	part := map[string]string{"ReadYourWrites": "A", "Convergence": "B", "HintedHandoff": "C"}
	for _, test := range Tests {
		a.Cases = append(a.Cases, suite.Case{Part: part[test.Name], Name: test.Name, Doc: test.Doc,
			Run: func(t suite.T, seed uint64, tracer sim.Tracer) { RunOne(t, test, newServer, seed, tracer) }})
	}
	a.Probe = func() []any {
		var out []any
		suite.Record("probe", func(t suite.T) {
			c := newCluster(t, newServer, 1, nil, false, Config())
			c.w.RunFor(100 * time.Millisecond)
			for _, id := range servers {
				if n := c.w.Node(id); n != nil {
					out = append(out, n)
				}
			}
		})
		return out
	}
	return a
}
