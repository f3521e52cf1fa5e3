package raft

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

// testNet is a small link model for these tests: FIFO links (like TCP) with
// a base latency plus seeded jitter, and a set of cut links for partitions.
type testNet struct {
	base, jitter time.Duration
	loss, dup    float64 // chance that a message is lost, or delivered twice
	cut          map[[2]sim.NodeID]bool
	last         map[[2]sim.NodeID]time.Duration // latest arrival per link, for FIFO
}

func newTestNet() *testNet {
	return &testNet{base: time.Millisecond, jitter: 4 * time.Millisecond,
		cut: map[[2]sim.NodeID]bool{}, last: map[[2]sim.NodeID]time.Duration{}}
}

func (t *testNet) Route(now time.Duration, from, to sim.NodeID, _ sim.Message, rng *rand.Rand) sim.Fate {
	k := [2]sim.NodeID{from, to}
	if t.cut[k] {
		return sim.Fate{Drop: true, Reason: "partition"}
	}
	if t.loss > 0 && rng.Float64() < t.loss {
		return sim.Fate{Drop: true, Reason: "loss"}
	}
	at := now + t.base
	if t.jitter > 0 {
		at += time.Duration(rng.Int64N(int64(t.jitter)))
	}
	at = max(at, t.last[k])
	t.last[k] = at
	f := sim.Fate{Delay: at - now}
	if t.dup > 0 && rng.Float64() < t.dup {
		f.Duplicate, f.DupDelay = true, f.Delay+t.base
		t.last[k] = at + t.base
	}
	return f
}

// testingT is what the harness needs of a *testing.T or a *rapid.T.
type testingT interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	FailNow()
}

// cluster is a simulated Raft cluster with checks that run all the time:
// every Apply is compared with what other nodes applied at that index, and
// after every event at most one leader per term is allowed.
type cluster struct {
	t   testingT
	w   *sim.World
	net *testNet
	ids []sim.NodeID
	cfg Config

	apps      map[sim.NodeID]*recorder // the current incarnation's state machine
	committed map[uint64]string        // index -> command, as first applied anywhere
	leaders   map[uint64]sim.NodeID    // term -> its leader
	commits   map[uint64]uint64        // index -> term of the entry first seen committed there
	checked   map[sim.NodeID]checkedUpTo
	elections int                 // leaders seen so far
	sends     func(r *sim.Record) // optional hook on every send

	// tolerant makes safety violations be recorded in violations instead
	// of failing the test: for showing that broken variants break.
	tolerant   bool
	violations []string
}

// unsafe reports a safety violation.
func (c *cluster) unsafe(format string, args ...any) {
	if !c.tolerant {
		c.t.Fatalf(format, args...)
	}
	c.violations = append(c.violations, fmt.Sprintf(format, args...))
}

func newCluster(t testingT, size int, seed uint64, cfg Config) *cluster {
	return newBrokenCluster(t, size, seed, cfg, 0)
}

// newBrokenCluster builds every node with NewBroken(bug), or New if bug is 0.
func newBrokenCluster(t testingT, size int, seed uint64, cfg Config, bug Bug) *cluster {
	c := &cluster{t: t, net: newTestNet(), cfg: cfg,
		apps: map[sim.NodeID]*recorder{}, committed: map[uint64]string{}, leaders: map[uint64]sim.NodeID{},
		commits: map[uint64]uint64{}, checked: map[sim.NodeID]checkedUpTo{}}
	c.w = sim.NewWorld(sim.Config{Seed: seed, Network: c.net, LoseUnsyncedWrites: true,
		Tracer: sim.TracerFunc(func(r *sim.Record) {
			if r.Kind == sim.KindSend && c.sends != nil {
				c.sends(r)
			}
		})})
	for i := 1; i <= size; i++ {
		id := sim.NodeID(fmt.Sprintf("n%d", i))
		c.ids = append(c.ids, id)
		c.w.AddNode(id, func() sim.Node {
			app := &recorder{c: c, id: id}
			c.apps[id] = app
			if bug != 0 {
				return NewBroken(cfg, app, bug)
			}
			return New(cfg, app)
		})
	}
	c.w.AfterStep(c.checkElectionSafety)
	c.w.AfterStep(c.checkCommitsStick)
	return c
}

// checkedUpTo is how far checkCommitsStick has looked at one incarnation
// of a node.
type checkedUpTo struct {
	n     *Node
	index uint64
}

// checkCommitsStick checks that an index, once committed anywhere, holds
// an entry of the same term everywhere it is committed. Unlike the check in
// recorder.Apply it sees no-op entries too.
func (c *cluster) checkCommitsStick() {
	for _, id := range c.ids {
		n := c.node(id)
		if n == nil {
			continue
		}
		ck := c.checked[id]
		if ck.n != n {
			ck = checkedUpTo{n: n}
		}
		for i := max(ck.index, n.log.prevIndex) + 1; i <= n.commitIndex && i <= n.log.lastIndex(); i++ {
			t := n.log.term(i)
			if first, ok := c.commits[i]; !ok {
				c.commits[i] = t
			} else if first != t {
				c.unsafe("%s committed index %d with term %d, committed before with term %d", id, i, t, first)
			}
			ck.index = i
		}
		c.checked[id] = ck
	}
}

func (c *cluster) checkElectionSafety() {
	for _, id := range c.ids {
		n := c.node(id)
		if n == nil || n.role != Leader {
			continue
		}
		if other, ok := c.leaders[n.term]; !ok {
			c.leaders[n.term] = id
			c.elections++
		} else if other != id {
			c.unsafe("two leaders in term %d: %s and %s", n.term, other, id)
		}
	}
}

// node is id's Raft node, or nil while it is crashed.
func (c *cluster) node(id sim.NodeID) *Node {
	n, _ := c.w.Node(id).(*Node)
	return n
}

// leader is the running leader of the highest term, or "".
func (c *cluster) leader() sim.NodeID {
	var best sim.NodeID
	var term uint64
	for _, id := range c.ids {
		if n := c.node(id); n != nil && n.role == Leader && n.term >= term {
			best, term = id, n.term
		}
	}
	return best
}

func (c *cluster) waitLeader() sim.NodeID {
	c.t.Helper()
	return c.waitLeaderAmong(c.ids)
}

// waitLeaderAmong runs until one of ids is the leader of the highest term.
func (c *cluster) waitLeaderAmong(ids []sim.NodeID) sim.NodeID {
	c.t.Helper()
	ok := c.w.RunUntil(func() bool { return slices.Contains(ids, c.leader()) }, 10*time.Second)
	require.True(c.t, ok, "none of %v became leader", ids)
	return c.leader()
}

// propose hands cmd to node id and reports whether it was accepted.
func (c *cluster) propose(id sim.NodeID, cmd string) (index uint64, ok bool) {
	c.t.Helper()
	require.NoError(c.t, c.w.Exec(id, func(n sim.Node, env sim.Env) {
		index, ok, _ = n.(*Node).Propose(env, []byte(cmd))
	}))
	return index, ok
}

// proposeAll proposes each command to the current leader, waiting 5ms
// between them.
func (c *cluster) proposeAll(cmds ...string) {
	c.t.Helper()
	for _, cmd := range cmds {
		_, ok := c.propose(c.waitLeader(), cmd)
		require.True(c.t, ok)
		c.w.RunFor(5 * time.Millisecond)
	}
}

// commit proposes cmd to whoever leads until some node applies it, as a
// client that retries on a timeout would. The command may be applied twice.
func (c *cluster) commit(cmd string) {
	c.t.Helper()
	applied := func() bool {
		for _, v := range c.committed {
			if v == cmd {
				return true
			}
		}
		return false
	}
	for range 20 {
		c.propose(c.waitLeader(), cmd)
		if c.w.RunUntil(applied, 500*time.Millisecond) {
			return
		}
	}
	c.t.Fatalf("%q never committed", cmd)
}

// waitApplied runs until every listed node has applied cmds, in this order,
// as its last len(cmds) commands.
func (c *cluster) waitApplied(ids []sim.NodeID, cmds ...string) {
	c.t.Helper()
	ok := c.w.RunUntil(func() bool {
		for _, id := range ids {
			if c.node(id) == nil || !hasSuffix(c.apps[id].commands(), cmds) {
				return false
			}
		}
		return true
	}, 10*time.Second)
	if !ok {
		for _, id := range ids {
			c.t.Logf("%s: %v", id, c.apps[id].commands())
		}
	}
	require.True(c.t, ok, "commands not applied everywhere")
}

func hasSuffix(got, want []string) bool {
	return len(got) >= len(want) && slices.Equal(got[len(got)-len(want):], want)
}

func (c *cluster) isolate(id sim.NodeID) {
	for _, o := range c.ids {
		if o != id {
			c.net.cut[[2]sim.NodeID{id, o}] = true
			c.net.cut[[2]sim.NodeID{o, id}] = true
		}
	}
	c.w.Fault("isolate %s", id)
}

// cutLink cuts the one-way link from -> to.
func (c *cluster) cutLink(from sim.NodeID, to ...sim.NodeID) {
	for _, t := range to {
		c.net.cut[[2]sim.NodeID{from, t}] = true
	}
	c.w.Fault("cut %s -> %v", from, to)
}

// campaign makes id start an election now, as if its timer fired.
func (c *cluster) campaign(id sim.NodeID) {
	c.t.Helper()
	require.NoError(c.t, c.w.Exec(id, func(n sim.Node, env sim.Env) { n.(*Node).campaign(env) }))
}

// partition cuts every link between the two groups.
func (c *cluster) partition(a, b []sim.NodeID) {
	for _, x := range a {
		for _, y := range b {
			c.net.cut[[2]sim.NodeID{x, y}] = true
			c.net.cut[[2]sim.NodeID{y, x}] = true
		}
	}
	c.w.Fault("partition %v | %v", a, b)
}

func (c *cluster) heal() {
	clear(c.net.cut)
	c.w.Fault("heal")
}

func (c *cluster) others(ids ...sim.NodeID) []sim.NodeID {
	var out []sim.NodeID
	for _, id := range c.ids {
		if !slices.Contains(ids, id) {
			out = append(out, id)
		}
	}
	return out
}

// logOf is a node's log as index:term pairs, snapshot boundary first.
func logOf(n *Node) []string {
	s := n.Status()
	out := []string{fmt.Sprintf("snap %d:%d", s.SnapshotIndex, s.SnapshotTerm)}
	for _, e := range s.Log {
		out = append(out, fmt.Sprintf("%d:%d", e.Index, e.Term))
	}
	return out
}

// recorder is the state machine of these tests: the list of commands
// applied, with their indices.
type recorder struct {
	c       *cluster
	id      sim.NodeID
	applied []appliedCmd
}

type appliedCmd struct {
	Index uint64
	Cmd   string
}

func (r *recorder) Apply(env sim.Env, index uint64, cmd []byte) {
	if n := len(r.applied); n > 0 && index <= r.applied[n-1].Index {
		r.c.unsafe("%s applied %d after %d", r.id, index, r.applied[n-1].Index)
	}
	if prev, ok := r.c.committed[index]; ok && prev != string(cmd) {
		r.c.unsafe("%s applied %q at %d where another node applied %q", r.id, cmd, index, prev)
		return
	}
	r.c.committed[index] = string(cmd)
	r.applied = append(r.applied, appliedCmd{index, string(cmd)})
}

func (r *recorder) Snapshot() []byte {
	b, err := json.Marshal(r.applied)
	if err != nil {
		panic(err)
	}
	return b
}

func (r *recorder) Restore(index uint64, snapshot []byte) {
	r.applied = nil
	if err := json.Unmarshal(snapshot, &r.applied); err != nil {
		r.c.t.Fatalf("%s: restore: %v", r.id, err)
	}
	if n := len(r.applied); n > 0 && r.applied[n-1].Index > index {
		r.c.t.Fatalf("%s: snapshot at %d holds index %d", r.id, index, r.applied[n-1].Index)
	}
}

func (r *recorder) commands() []string {
	out := make([]string, len(r.applied))
	for i, a := range r.applied {
		out[i] = a.Cmd
	}
	return out
}

func cmds(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

// seeds runs f once per seed as a subtest.
func seeds(t *testing.T, f func(t *testing.T, seed uint64)) {
	for seed := uint64(1); seed <= 10; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { f(t, seed) })
	}
}
