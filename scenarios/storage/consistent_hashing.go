package storage

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/ring"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "consistent-hashing",
		Summary: "adding or removing a node moves about 1/N of the keys; virtual nodes even out the load",
		Doc: `Ten nodes on a consistent-hash ring, and 20000 keys drawn from the seed.
For 1, 16 and 128 virtual nodes per node, the run measures the load (keys
per node: the largest and the smallest against the mean), then adds an
eleventh node and counts the keys that moved, then removes one of the ten
and counts again. For comparison it does the same with modulo hashing
(hash(key) % nodes), the obvious scheme that consistent hashing replaces.`,
		LookFor: `adding a node moves about 1/11 of the keys, removing one about
1/10, and every moved key moves to the new node (or away from the removed
one) and nowhere else. Modulo hashing moves almost all of them. With one
point per node the load is lopsided (the busiest node has two or three
times its share); with 128 virtual nodes per node it is within a few per
cent of even.`,
		Chapter: "storage",
		For:     time.Millisecond,
		Setup:   setupConsistentHashing,
	})
}

const (
	chNodes = 10
	chKeys  = 20000
)

// ringStats is what the scenario measures for one vnode count.
type ringStats struct {
	vnodes               int
	maxLoad, minLoad     float64 // keys of the busiest/idlest node over the mean
	movedAdd, movedRem   float64 // fraction of keys that changed owner
	strayAdd, strayRem   int     // keys that moved where they should not have
	addedNode, removedID sim.NodeID
}

func setupConsistentHashing(o scenarios.Options) (*scenarios.Run, error) {
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Tracer: o.Tracer})
	rng := rand.New(rand.NewPCG(o.Seed, 0x0c4))
	keys := make([]string, chKeys)
	for i := range keys {
		keys[i] = "user:" + strconv.FormatUint(rng.Uint64()%1_000_000_000, 10)
	}
	var nodes []sim.NodeID
	for i := 1; i <= chNodes; i++ {
		nodes = append(nodes, sim.NodeID(fmt.Sprintf("n%d", i)))
	}
	removed := nodes[rng.IntN(len(nodes))]
	var stats []ringStats
	var moduloAdd, moduloRem float64
	var setupErr error
	w.At(0, func() {
		w.Logf("%d nodes, %d keys; a key belongs to the first node clockwise from its hash", chNodes, chKeys)
		for _, v := range []int{1, 16, 128} {
			s, err := measureRing(v, nodes, keys, removed)
			if err != nil {
				setupErr = err
				return
			}
			stats = append(stats, s)
			w.Logf("%3d vnodes/node: busiest node %.2fx the mean load, idlest %.2fx; adding %s moved %.1f%% of keys (ideal %.1f%%), removing %s moved %.1f%% (ideal %.1f%%)",
				v, s.maxLoad, s.minLoad, s.addedNode, 100*s.movedAdd, 100.0/float64(chNodes+1), removed, 100*s.movedRem, 100.0/float64(chNodes))
		}
		moduloAdd, moduloRem = measureModulo(keys, chNodes)
		w.Logf("modulo hashing (hash %% nodes): adding a node moved %.1f%% of keys, removing one %.1f%%", 100*moduloAdd, 100*moduloRem)
	})
	finish := func() scenarios.Result {
		var r scenarios.Result
		if setupErr != nil {
			r.Err = setupErr
			return r
		}
		if len(stats) == 0 {
			r.Err = errors.New("the measurement did not run")
			return r
		}
		r.Summary = append(r.Summary,
			fmt.Sprintf("%d nodes, %d keys; ideal share moved: %.1f%% on adding an 11th node, %.1f%% on removing %s", chNodes, chKeys, 100.0/float64(chNodes+1), 100.0/float64(chNodes), removed),
			fmt.Sprintf("%-18s %9s %9s %11s %11s", "placement", "max/mean", "min/mean", "moved(add)", "moved(rem)"))
		for _, s := range stats {
			r.Summary = append(r.Summary, fmt.Sprintf("%-18s %9.2f %9.2f %10.1f%% %10.1f%%",
				fmt.Sprintf("ring, %d vnodes", s.vnodes), s.maxLoad, s.minLoad, 100*s.movedAdd, 100*s.movedRem))
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: fmt.Sprintf("max_over_mean_v%d", s.vnodes), Value: s.maxLoad, Unit: "ratio"},
				scenarios.Metric{Name: fmt.Sprintf("moved_add_v%d", s.vnodes), Value: s.movedAdd, Unit: "fraction"},
				scenarios.Metric{Name: fmt.Sprintf("moved_remove_v%d", s.vnodes), Value: s.movedRem, Unit: "fraction"},
			)
			if s.strayAdd+s.strayRem > 0 && r.Err == nil {
				r.Err = fmt.Errorf("%d vnodes: %d keys moved between old nodes on add, %d on remove", s.vnodes, s.strayAdd, s.strayRem)
			}
		}
		r.Summary = append(r.Summary, fmt.Sprintf("%-18s %9s %9s %10.1f%% %10.1f%%", "modulo hashing", "", "", 100*moduloAdd, 100*moduloRem),
			"every key that moved went to the new node, or came from the removed one")
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: "moved_add_modulo", Value: moduloAdd, Unit: "fraction"},
			scenarios.Metric{Name: "moved_remove_modulo", Value: moduloRem, Unit: "fraction"})
		many := stats[len(stats)-1]
		switch {
		case r.Err != nil:
		case many.movedAdd < 0.5/float64(chNodes+1) || many.movedAdd > 1.5/float64(chNodes+1):
			r.Err = fmt.Errorf("with %d vnodes adding a node moved %.1f%% of keys, far from 1/%d", many.vnodes, 100*many.movedAdd, chNodes+1)
		case many.movedRem < 0.5/float64(chNodes) || many.movedRem > 1.5/float64(chNodes):
			r.Err = fmt.Errorf("with %d vnodes removing a node moved %.1f%% of keys, far from 1/%d", many.vnodes, 100*many.movedRem, chNodes)
		case many.maxLoad >= stats[0].maxLoad:
			r.Err = fmt.Errorf("virtual nodes did not even the load out: max/mean %.2f with %d, %.2f with 1", many.maxLoad, many.vnodes, stats[0].maxLoad)
		case moduloAdd < 0.5:
			r.Err = fmt.Errorf("modulo hashing moved only %.1f%% of keys", 100*moduloAdd)
		}
		return r
	}
	return &scenarios.Run{World: w, Finish: finish}, nil
}

// measureRing builds a ring of nodes with v vnodes each and measures load
// and the keys that move when a node joins and when removed leaves.
func measureRing(v int, nodes []sim.NodeID, keys []string, removed sim.NodeID) (ringStats, error) {
	s := ringStats{vnodes: v, addedNode: sim.NodeID(fmt.Sprintf("n%d", len(nodes)+1)), removedID: removed}
	r, err := ring.New(v)
	if err != nil {
		return s, err
	}
	for _, n := range nodes {
		if err := r.Add(n); err != nil {
			return s, err
		}
	}
	owners := make([]sim.NodeID, len(keys))
	load := map[sim.NodeID]int{}
	for i, k := range keys {
		owners[i], _ = r.Owner(k)
		load[owners[i]]++
	}
	mean := float64(len(keys)) / float64(len(nodes))
	s.minLoad = float64(len(keys))
	for _, n := range nodes {
		s.maxLoad = max(s.maxLoad, float64(load[n])/mean)
		s.minLoad = min(s.minLoad, float64(load[n])/mean)
	}

	if err := r.Add(s.addedNode); err != nil {
		return s, err
	}
	moved := 0
	for i, k := range keys {
		o, _ := r.Owner(k)
		if o != owners[i] {
			moved++
			if o != s.addedNode {
				s.strayAdd++
			}
		}
	}
	s.movedAdd = float64(moved) / float64(len(keys))
	if err := r.Remove(s.addedNode); err != nil {
		return s, err
	}

	if err := r.Remove(removed); err != nil {
		return s, err
	}
	moved = 0
	for i, k := range keys {
		o, _ := r.Owner(k)
		if o != owners[i] {
			moved++
			if owners[i] != removed {
				s.strayRem++
			}
		}
	}
	s.movedRem = float64(moved) / float64(len(keys))
	return s, nil
}

// measureModulo is the fraction of keys whose node changes under
// hash(key) % n when n grows by one, and when it shrinks by one.
func measureModulo(keys []string, n int) (add, remove float64) {
	var a, r int
	for _, k := range keys {
		h := ring.Hash(k)
		if h%uint64(n) != h%uint64(n+1) {
			a++
		}
		if h%uint64(n) != h%uint64(n-1) {
			r++
		}
	}
	return float64(a) / float64(len(keys)), float64(r) / float64(len(keys))
}
