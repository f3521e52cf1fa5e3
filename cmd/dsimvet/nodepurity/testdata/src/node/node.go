package node

import (
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/dsimlab/dsim/sim"
)

type Gossip struct {
	mu    sync.Mutex
	seen  map[string]bool
	peers map[sim.NodeID]int
	start time.Time
}

type tick struct{}

func (g *Gossip) Start(env sim.Env) {
	g.start = time.Now() // want `time.Now reads the wall clock`
	go g.background()    // want `starts a goroutine`
	env.SetTimer(time.Second, tick{})
}

func (g *Gossip) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	g.mu.Lock()              // want `sync.Lock: a node never runs two handlers at once`
	defer g.mu.Unlock()      // want `sync.Unlock`
	for p := range g.peers { // want `ranges over a map and calls env.Send inside the loop`
		env.Send(p, msg)
	}
	if rand.IntN(2) == 0 { // want `rand.IntN draws from the process-wide random stream`
		g.flush()
	}
	g.gossipSorted(env, msg)
	_ = g.firstPeer()
	_ = g.peerList()
	_ = g.sortedPeerList()
	_ = g.count()
	_ = g.anyUnseen()
	_ = g.pickOne()
}

// anyUnseen returns a constant from inside a map range: whichever entry
// comes first, the answer is the same.
func (g *Gossip) anyUnseen() bool {
	for _, seen := range g.seen {
		if !seen {
			return true
		}
	}
	return false
}

// pickOne keeps the first key it meets: which one depends on map order.
func (g *Gossip) pickOne() string {
	var first string
	for k := range g.seen { // want `breaks out of the loop after keeping a key or value`
		first = k
		break
	}
	return first
}

// background is reached from Start: it is node code too.
func (g *Gossip) background() {
	time.Sleep(time.Millisecond) // want `time.Sleep reads the wall clock`
}

// flush is reached from Receive through a plain call.
func (g *Gossip) flush() {
	_ = os.WriteFile("seen", nil, 0o600) // want `os.WriteFile does file, process or network I/O`
}

// gossipSorted is the right way: sort the keys, then send.
func (g *Gossip) gossipSorted(env sim.Env, msg sim.Message) {
	peers := make([]sim.NodeID, 0, len(g.peers))
	for p := range g.peers {
		peers = append(peers, p)
	}
	sort.Slice(peers, func(i, j int) bool { return peers[i] < peers[j] })
	for _, p := range peers {
		env.Send(p, msg)
	}
}

func (g *Gossip) firstPeer() sim.NodeID {
	for p := range g.peers { // want `returns from inside the loop`
		return p
	}
	return ""
}

func (g *Gossip) peerList() []sim.NodeID {
	var out []sim.NodeID
	for p := range g.peers { // want `appends to out in map order and never sorts it`
		out = append(out, p)
	}
	return out
}

func (g *Gossip) sortedPeerList() []string {
	var out []string
	for p := range g.seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// count ranges over a map, but the order cannot escape a sum.
func (g *Gossip) count() int {
	n := 0
	for _, v := range g.peers {
		n += v
		for i := 0; i < 3; i++ {
			if i == v {
				break // breaks the inner loop only
			}
		}
	}
	return n
}

// notNodeCode is never reached from a node method: a script may use the
// wall clock.
func notNodeCode() time.Time { return time.Now() }
