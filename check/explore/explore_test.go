package explore_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/dsimlab/dsim/check/explore"
	"github.com/dsimlab/dsim/sim"
)

// A register node records the writes it receives. Two writers each send
// one write at start, a's first. The invariant says b's write never
// arrives before a's, which breaks only when the network reorders them:
// one step away from the default order.
type register struct{ seen []string }

type write struct{ V string }

func (r *register) Start(sim.Env) {}
func (r *register) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if w, ok := msg.(write); ok {
		r.seen = append(r.seen, w.V)
	}
}

type writer struct{ v string }

func (w *writer) Start(env sim.Env)                        { env.Send("reg", write{w.v}) }
func (w *writer) Receive(sim.Env, sim.NodeID, sim.Message) {}

func model() explore.Model {
	return explore.Model{New: func() (*explore.Instance, error) {
		w := sim.NewWorld(sim.Config{Seed: 1})
		w.AddNode("wa", func() sim.Node { return &writer{"a"} })
		w.AddNode("wb", func() sim.Node { return &writer{"b"} })
		w.AddNode("reg", func() sim.Node { return &register{} })
		check := func() error {
			r, ok := w.Node("reg").(*register)
			if ok && len(r.seen) > 0 && r.seen[0] == "b" {
				return fmt.Errorf("b arrived before a")
			}
			return nil
		}
		return &explore.Instance{World: w, Check: check}, nil
	}, Crashable: []sim.NodeID{"reg"}}
}

func TestBFSFindsAShortestCounterexample(t *testing.T) {
	r, err := explore.Explore(explore.Config{Model: model(), Bounds: explore.Bounds{Depth: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Violation == nil {
		t.Fatal("no violation found")
	}
	if len(r.Path) != 1 || r.Path[0].Kind != explore.Deliver || r.Path[0].From != "wb" {
		t.Fatalf("path %v; want the one step that delivers b's write first", r.Path)
	}
	// The fates say so: b's write (sent second, id 2) arrives first, a's
	// after the end of the path.
	if len(r.Fates) != 2 || r.Fates[1].Msg != 2 || r.Fates[0].Arrive <= r.Fates[1].Arrive {
		t.Errorf("fates %+v", r.Fates)
	}
}

// threeWriters breaks when b's and c's writes both arrive before a's: two
// departures from the oldest-first order.
func threeWriters() explore.Model {
	return explore.Model{New: func() (*explore.Instance, error) {
		w := sim.NewWorld(sim.Config{Seed: 1})
		for _, v := range []string{"a", "b", "c"} {
			w.AddNode(sim.NodeID("w"+v), func() sim.Node { return &writer{v} })
		}
		w.AddNode("reg", func() sim.Node { return &register{} })
		check := func() error {
			r, ok := w.Node("reg").(*register)
			if ok && len(r.seen) >= 2 && r.seen[0] != "a" && r.seen[1] != "a" {
				return fmt.Errorf("a arrived last")
			}
			return nil
		}
		return &explore.Instance{World: w, Check: check}, nil
	}}
}

func TestDeviationBound(t *testing.T) {
	for _, tc := range []struct {
		devs  int
		found bool
	}{{1, false}, {2, true}, {0, true}} {
		r, err := explore.Explore(explore.Config{Model: threeWriters(), Bounds: explore.Bounds{Depth: 5, Deviations: tc.devs}})
		if err != nil {
			t.Fatal(err)
		}
		if (r.Violation != nil) != tc.found {
			t.Errorf("deviations %d: violation %v, want found=%v", tc.devs, r.Violation, tc.found)
		}
	}
}

func TestTheCorrectOrderAloneIsSafe(t *testing.T) {
	m := model()
	inner := m.New
	m.New = func() (*explore.Instance, error) {
		in, err := inner()
		in.Check = nil // nothing to break: count the states
		return in, err
	}
	r, err := explore.Explore(explore.Config{Model: m, Bounds: explore.Bounds{Depth: 10, Crashes: 1, Drops: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Violation != nil || !r.Complete {
		t.Fatalf("violation %v, complete %v", r.Violation, r.Complete)
	}
	if r.States < 10 {
		t.Errorf("only %d states with a crash and a drop allowed", r.States)
	}
	t.Logf("%d states, %d transitions", r.States, r.Edges)
}

// The result does not depend on how many workers expand the states.
func TestWorkersDoNotChangeTheResult(t *testing.T) {
	var results []explore.Result
	for _, n := range []int{1, 2, 4} {
		r, err := explore.Explore(explore.Config{Model: model(), Bounds: explore.Bounds{Depth: 6, Crashes: 1, Drops: 1, Duplicates: 1}, Workers: n})
		if err != nil {
			t.Fatal(err)
		}
		r.Elapsed = 0
		results = append(results, r)
	}
	for i := 1; i < len(results); i++ {
		if !reflect.DeepEqual(results[0], results[i]) {
			t.Errorf("workers changed the result:\n%+v\n%+v", results[0], results[i])
		}
	}
}

func TestDFSFindsItToo(t *testing.T) {
	r, err := explore.Explore(explore.Config{Model: model(), Bounds: explore.Bounds{Depth: 5}, Strategy: explore.DFS})
	if err != nil {
		t.Fatal(err)
	}
	if r.Violation == nil {
		t.Fatal("DFS found nothing")
	}
}

func TestDigestIgnoresMapOrderAndAddresses(t *testing.T) {
	type s struct {
		M map[string]int
		P *int
		T time.Time
	}
	x, y := 1, 1
	a := s{M: map[string]int{"a": 1, "b": 2, "c": 3}, P: &x, T: time.Unix(5, 0)}
	b := s{M: map[string]int{"c": 3, "b": 2, "a": 1}, P: &y, T: time.Unix(5, 0).UTC()}
	if explore.Digest(a) != explore.Digest(b) {
		t.Error("equal states digest differently")
	}
	b.M["a"] = 9
	if explore.Digest(a) == explore.Digest(b) {
		t.Error("different states digest the same")
	}
}
