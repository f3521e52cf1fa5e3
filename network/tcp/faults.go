package tcp

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Faults is what the transport does to messages between members, changed
// at run time by FaultRequests (`dsim fault`). It plays the part of
// package network's partitions, latency and loss on real sockets, for
// machines where tc and iptables are not available, such as a Pi without
// root.
//
// Faults apply to protocol messages between members only; clients and
// admin requests always pass, so a blocked cluster can still be inspected
// and healed. Each node applies them to what it sends and, for blocks, to
// what it receives, so a block holds even if one side missed the request.
type Faults struct {
	mu      sync.Mutex
	blocked map[pair]bool
	delay   map[pair]time.Duration
	drop    float64
	rng     *rand.Rand // for drop decisions; guarded by mu
}

// pair is an unordered pair of nodes: faults cut or slow both directions.
type pair struct{ a, b sim.NodeID }

func pairOf(a, b sim.NodeID) pair {
	if b < a {
		a, b = b, a
	}
	return pair{a, b}
}

func newFaults(rng *rand.Rand) *Faults {
	return &Faults{blocked: map[pair]bool{}, delay: map[pair]time.Duration{}, rng: rng}
}

// Apply carries out one request, or says what is wrong with it.
func (f *Faults) Apply(req FaultRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch req.Action {
	case "block", "unblock":
		if req.A == "" || req.B == "" || req.A == req.B {
			return fmt.Errorf("%s needs two different nodes", req.Action)
		}
		if req.Action == "block" {
			f.blocked[pairOf(req.A, req.B)] = true
		} else {
			delete(f.blocked, pairOf(req.A, req.B))
		}
	case "delay":
		if req.A == "" || req.B == "" || req.A == req.B {
			return fmt.Errorf("delay needs two different nodes")
		}
		if req.Delay < 0 || req.Delay > time.Minute {
			return fmt.Errorf("delay %v: want between 0 and 1m", req.Delay)
		}
		if req.Delay == 0 {
			delete(f.delay, pairOf(req.A, req.B))
		} else {
			f.delay[pairOf(req.A, req.B)] = req.Delay
		}
	case "drop":
		if !(req.Drop >= 0 && req.Drop <= 1) {
			return fmt.Errorf("drop %v: want a share between 0 and 1", req.Drop)
		}
		f.drop = req.Drop
	case "heal":
		clear(f.blocked)
		clear(f.delay)
		f.drop = 0
	case "":
		// no change: just report
	default:
		return fmt.Errorf("unknown fault %q (want block, unblock, delay, drop or heal)", req.Action)
	}
	return nil
}

// outgoing decides the fate of one message from a to b: lost, or delayed by
// how much.
func (f *Faults) outgoing(a, b sim.NodeID) (drop bool, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := pairOf(a, b)
	if f.blocked[p] {
		return true, 0
	}
	if f.drop > 0 && f.rng.Float64() < f.drop {
		return true, 0
	}
	return false, f.delay[p]
}

func (f *Faults) isBlocked(a, b sim.NodeID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocked[pairOf(a, b)]
}

// String lists the faults in force, sorted: "block n1-n2; delay n1-n3 50ms;
// drop 0.1", or "none".
func (f *Faults) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var parts []string
	for p := range f.blocked {
		parts = append(parts, fmt.Sprintf("block %s-%s", p.a, p.b))
	}
	for p, d := range f.delay {
		parts = append(parts, fmt.Sprintf("delay %s-%s %v", p.a, p.b, d))
	}
	sort.Strings(parts)
	if f.drop > 0 {
		parts = append(parts, fmt.Sprintf("drop %g", f.drop))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}
