package raftsuite

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
)

// The operations of 6.5840's config.go, on virtual time: where the lab's
// tests sleep, these run the world.

// CheckOneLeader runs the world until exactly one running, connected node is
// leader, and returns it. It fails the test if none emerges in LeaderLimit.
func (c *Cluster) CheckOneLeader() int {
	c.t.Helper()
	leader := -1
	ok := c.RunUntil(func() bool {
		leader = -1
		for i := range c.ids {
			if !c.connected[i] {
				continue
			}
			if s, up := c.Status(i); up && s.Role == raft.Leader {
				if leader >= 0 {
					return false
				}
				leader = i
			}
		}
		return leader >= 0
	}, LeaderLimit)
	if !ok {
		c.fatalf("expected one leader among the connected nodes within %v, got none (%s)", LeaderLimit, c.describe())
	}
	return leader
}

// CheckNoLeader fails the test if any running, connected node is leader now.
func (c *Cluster) CheckNoLeader() {
	c.t.Helper()
	for i := range c.ids {
		if s, up := c.Status(i); up && c.connected[i] && s.Role == raft.Leader {
			c.fatalf("expected no leader among connected nodes, but %s leads term %d", c.ids[i], s.Term)
		}
	}
}

// CheckTerms fails the test unless every running, connected node is in the
// same term, and returns it.
func (c *Cluster) CheckTerms() uint64 {
	c.t.Helper()
	var term uint64
	for i := range c.ids {
		s, up := c.Status(i)
		if !up || !c.connected[i] {
			continue
		}
		if term == 0 {
			term = s.Term
		} else if s.Term != term {
			c.fatalf("connected nodes disagree on the term: %s", c.describe())
		}
	}
	return term
}

// describe renders every node's role and term, for failure messages.
func (c *Cluster) describe() string {
	var b bytes.Buffer
	for i, id := range c.ids {
		if i > 0 {
			b.WriteString(", ")
		}
		s, up := c.Status(i)
		switch {
		case !up:
			fmt.Fprintf(&b, "%s crashed", id)
		default:
			fmt.Fprintf(&b, "%s %s term %d commit %d", id, s.Role, s.Term, s.CommitIndex)
		}
		if !c.connected[i] {
			b.WriteString(" (disconnected)")
		}
	}
	return b.String()
}

// Start asks node i to append cmd (Propose through World.Exec). ok is false
// if i is crashed or not the leader. The term is i's term after the call.
func (c *Cluster) Start(i int, cmd []byte) (index, term uint64, ok bool) {
	n := c.Node(i)
	if n == nil {
		return 0, 0, false
	}
	err := c.w.Exec(c.ids[i], func(_ sim.Node, env sim.Env) {
		index, ok, _ = n.Propose(env, cmd)
		term = n.Status().Term
	})
	if err != nil {
		return 0, 0, false
	}
	return index, term, ok
}

// NCommitted reports how many nodes have applied index (directly or by
// restoring a snapshot covering it), and the command committed there (nil if
// no node applied a command at index yet).
func (c *Cluster) NCommitted(index uint64) (int, []byte) {
	cmd, ok := c.cmds[index]
	if !ok {
		return 0, nil
	}
	n := 0
	for i := range c.ids {
		if c.covered[i] >= index {
			n++
		}
	}
	return n, cmd
}

// Wait runs the world until at least n nodes have applied index, for at most
// limit, and returns the command committed there (nil if too few applied it).
func (c *Cluster) Wait(index uint64, n int, limit time.Duration) []byte {
	c.t.Helper()
	if c.RunUntil(func() bool { k, _ := c.NCommitted(index); return k >= n }, limit) {
		_, cmd := c.NCommitted(index)
		return cmd
	}
	return nil
}

// One submits cmd to a leader and waits until at least expected nodes applied
// it; it returns the index. Like 6.5840's one(): it tries each connected node
// in turn until one accepts, waits CommitLimit for the commit, and with retry
// submits again if the command was lost to a leader change. It fails the
// test if the command is not committed within OneLimit.
func (c *Cluster) One(cmd []byte, expected int, retry bool) uint64 {
	c.t.Helper()
	deadline := c.w.Now() + OneLimit
	starts := 0
	for c.w.Now() < deadline {
		index := uint64(0)
		for range c.ids {
			starts = (starts + 1) % len(c.ids)
			if !c.connected[starts] {
				continue
			}
			if i, _, ok := c.Start(starts, cmd); ok {
				index = i
				break
			}
		}
		if index != 0 {
			ok := c.RunUntil(func() bool {
				n, got := c.NCommitted(index)
				return n >= expected && bytes.Equal(got, cmd)
			}, min(CommitLimit, deadline-c.w.Now()))
			if ok {
				return index
			}
			if !retry {
				n, got := c.NCommitted(index)
				c.fatalf("One(%q) failed to reach agreement: %d of %d nodes applied index %d (command there: %q)", cmd, n, expected, index, got)
			}
		} else {
			c.RunFor(50 * time.Millisecond)
		}
	}
	c.fatalf("One(%q) failed to reach agreement of %d nodes within %v (%s)", cmd, expected, OneLimit, c.describe())
	return 0
}

// Disconnect cuts node i off from every other node (it keeps running).
func (c *Cluster) Disconnect(i int) {
	if !c.connected[i] {
		return
	}
	c.connected[i] = false
	if err := c.net.Isolate(c.ids[i]); err != nil {
		panic(fmt.Sprintf("raftsuite: network refused to isolate %s: %v", c.ids[i], err))
	}
}

// Connect undoes Disconnect(i).
func (c *Cluster) Connect(i int) {
	if c.connected[i] {
		return
	}
	c.connected[i] = true
	c.applyFaults()
}

// Partition splits the network into groups of node indexes (nodes named in
// no group form one more group), on top of Disconnect; Partition() with no
// groups ends it.
func (c *Cluster) Partition(groups ...[]int) {
	c.partition = nil
	for _, g := range groups {
		var ids []sim.NodeID
		for _, i := range g {
			ids = append(ids, c.ids[i])
		}
		c.partition = append(c.partition, ids)
	}
	c.applyFaults()
}

// Cut drops every message from node from to node to (one way).
func (c *Cluster) Cut(from, to int) {
	l := network.Link{From: c.ids[from], To: c.ids[to]}
	c.cuts = append(c.cuts, l)
	if err := c.net.Cut(l.From, l.To); err != nil {
		panic(fmt.Sprintf("raftsuite: network refused to cut %v: %v", l, err))
	}
}

// HealAll ends partitions and cuts and connects every node.
func (c *Cluster) HealAll() {
	c.partition, c.cuts = nil, nil
	for i := range c.connected {
		c.connected[i] = true
	}
	c.applyFaults()
}

// applyFaults makes the network match connected, partition and cuts. The
// network can only heal everything at once, so undoing one fault means
// healing and putting the others back.
func (c *Cluster) applyFaults() {
	c.net.Heal()
	must := func(err error) {
		if err != nil {
			panic(fmt.Sprintf("raftsuite: network refused a fault the harness built: %v", err))
		}
	}
	if len(c.partition) > 0 {
		must(c.net.Partition(c.partition...))
	}
	for _, l := range c.cuts {
		must(c.net.Cut(l.From, l.To))
	}
	for i, ok := range c.connected {
		if !ok {
			must(c.net.Isolate(c.ids[i]))
		}
	}
}

// Crash stops node i; its Disk keeps what it synced.
func (c *Cluster) Crash(i int) { c.w.Crash(c.ids[i]) }

// Restart boots a crashed node i again from its Disk (crashing it first if
// it is running), with a fresh state machine.
func (c *Cluster) Restart(i int) {
	c.w.Crash(c.ids[i])
	c.w.Restart(c.ids[i])
}

// SetUnreliable turns the unreliable network of 6.5840 on or off: 10% of
// messages lost, 1% duplicated, latency spread over 1–27ms, reordering.
func (c *Cluster) SetUnreliable(on bool) {
	c.unreliable = on
	c.applyLinks()
}

// SetLongReordering makes some messages take 200ms to 2.2s, as in 6.5840's
// Figure8Unreliable: very old messages arrive among new ones. (6.5840 delays
// two thirds of RPC replies only; a network does not know requests from
// replies, so here one message in four of either kind is delayed.)
func (c *Cluster) SetLongReordering(on bool) {
	c.longDelays = on
	c.applyLinks()
}

func (c *Cluster) applyLinks() {
	var lat network.Latency = network.Uniform{Min: time.Millisecond, Max: 3 * time.Millisecond}
	loss, dup, reorder := 0.0, 0.0, false
	if c.unreliable {
		lat = network.Uniform{Min: time.Millisecond, Max: 27 * time.Millisecond}
		loss, dup, reorder = 0.1, 0.01, true
	}
	if c.longDelays {
		lat, reorder = longReordering{}, true
	}
	must := func(err error) {
		if err != nil {
			panic(fmt.Sprintf("raftsuite: network refused a setting the harness built: %v", err))
		}
	}
	must(c.net.SetLatency(network.AllLinks, lat))
	must(c.net.SetLoss(network.AllLinks, loss))
	must(c.net.SetDuplicate(network.AllLinks, dup))
	must(c.net.SetReorder(network.AllLinks, reorder))
}

// longReordering is 6.5840's long reordering: one message in four waits
// 200ms plus up to 2s, the rest 1–27ms.
type longReordering struct{}

func (longReordering) Sample(rng *rand.Rand) time.Duration {
	if rng.IntN(4) == 0 {
		return 200*time.Millisecond + time.Duration(rng.IntN(1+rng.IntN(2000)))*time.Millisecond
	}
	return time.Millisecond + time.Duration(rng.Int64N(int64(26*time.Millisecond)))
}

func (longReordering) String() string { return "long-reordering(1/4: 200ms+0..2s, 3/4: 1..27ms)" }

// Messages is how many messages nodes have sent so far.
func (c *Cluster) Messages() uint64 { return c.w.Stats().Sent }

// Rand returns a random stream for the test's own choices (which node to
// crash, which command to send), derived from the seed apart from the
// world's streams. Each call starts the same stream afresh: call it once.
func (c *Cluster) Rand() *rand.Rand {
	return rand.New(rand.NewPCG(c.seed, 0x7261667473756974)) // "raftsuit"
}

// Cmd makes a command from a number, as 6.5840's tests use ints.
func Cmd(x int) []byte { return fmt.Appendf(nil, "%d", x) }

// MaxLogEntries bounds the log a node may keep in snapshot tests: compaction
// must keep it short.
const MaxLogEntries = 8 * SnapshotThreshold

// CheckLogSize fails the test if a running node keeps more than
// MaxLogEntries entries after its snapshot.
func (c *Cluster) CheckLogSize() {
	c.t.Helper()
	for i := range c.ids {
		if s, up := c.Status(i); up && len(s.Log) > MaxLogEntries {
			c.fatalf("%s keeps %d log entries after its snapshot at %d; with SnapshotThreshold %d it should compact", c.ids[i], len(s.Log), s.SnapshotIndex, c.cfg.SnapshotThreshold)
		}
	}
}
