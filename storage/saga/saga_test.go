package saga_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/saga"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

var services = []sim.NodeID{"order", "payment", "inventory", "shipping"}

type shop struct {
	w       *sim.World
	net     *network.Model
	effects []saga.Effect
	ended   map[string]saga.SagaEnded
	entry   sim.NodeID // where StartSaga goes
}

// newShop builds the four services with stock for `stock` orders, driven
// by an orchestrator or by choreography.
func newShop(t require.TestingT, seed uint64, orchestrated bool, stock int, link network.LinkConfig) *shop {
	net, err := network.New(network.Config{Link: link})
	require.NoError(t, err)
	s := &shop{w: sim.NewWorld(sim.Config{Seed: seed, Network: net, LoseUnsyncedWrites: true}), net: net, ended: map[string]saga.SagaEnded{}}
	observe := func(e saga.Effect) { s.effects = append(s.effects, e) }
	steps := saga.ShopSteps()
	var stages []saga.Stage
	for i, id := range services {
		cfg := saga.ServiceConfig{Step: steps[i], Observe: observe}
		if id == "inventory" {
			cfg.Capacity = stock
		}
		if !orchestrated {
			cfg.Client = "cl"
			if i > 0 {
				cfg.Prev = services[i-1]
			}
			if i < len(services)-1 {
				cfg.Next = services[i+1]
			}
		}
		stages = append(stages, saga.Stage{Service: id, Step: steps[i]})
		s.w.AddNode(id, func() sim.Node { return saga.NewService(cfg) })
	}
	s.entry = "order"
	if orchestrated {
		s.entry = "orch"
		s.w.AddNode("orch", func() sim.Node { return saga.NewOrchestrator(saga.OrchestratorConfig{Stages: stages}) })
	}
	s.w.AddClient("cl", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
			if m, ok := msg.(saga.SagaEnded); ok {
				s.ended[m.Saga] = m
			}
		})
	})
	return s
}

func (s *shop) start(at time.Duration, id string) {
	s.w.At(at, func() {
		_ = s.w.Exec("cl", func(_ sim.Node, env sim.Env) { env.Send(s.entry, saga.StartSaga{Saga: id}) })
	})
}

// story lists what happened to one saga, in order.
func (s *shop) story(id string) []string {
	var out []string
	for _, e := range s.effects {
		if e.Saga == id {
			out = append(out, e.What)
		}
	}
	return out
}

func (s *shop) check(id string) (bool, error) {
	return saga.Check(id, services, func(n sim.NodeID) sim.Disk { return s.w.Disk(n) })
}

func TestOutOfStockCompensatesInReverseOrder(t *testing.T) {
	for _, orchestrated := range []bool{true, false} {
		t.Run(fmt.Sprintf("orchestrated=%v", orchestrated), func(t *testing.T) {
			s := newShop(t, 1, orchestrated, 1, network.LinkConfig{})
			s.start(0, "s1")
			s.start(100*time.Millisecond, "s2")
			s.w.RunFor(time.Second)
			assert.Equal(t, []string{"create order", "charge payment", "reserve stock", "schedule shipment"}, s.story("s1"))
			assert.Equal(t, []string{"create order", "charge payment", "reserve stock failed", "refund payment", "cancel order"}, s.story("s2"))
			assert.True(t, s.ended["s1"].Completed)
			assert.False(t, s.ended["s2"].Completed)
			if orchestrated {
				assert.Contains(t, s.ended["s2"].Reason, "reserve stock: none left (capacity 1)")
			}
			done, err := s.check("s1")
			require.NoError(t, err)
			assert.True(t, done)
			done, err = s.check("s2")
			require.NoError(t, err)
			assert.False(t, done)
		})
	}
}

// Every Undo to payment arrives twice: the refund happens once.
func TestDuplicateRefundRequestRefundsOnce(t *testing.T) {
	s := newShop(t, 1, true, 1, network.LinkConfig{})
	s.w.Disk("inventory").Put("used", []byte("1")) // sold out: s1 fails at inventory
	require.NoError(t, s.net.SetDuplicate(network.Link{From: "orch", To: "payment"}, 1))
	s.start(0, "s1")
	// Undo before anything: s1 is compensated wherever it is asked.
	s.w.At(0, func() {
		_ = s.w.Exec("orch", func(_ sim.Node, env sim.Env) { env.Send("payment", saga.Undo{Saga: "early"}) })
	})
	s.w.RunFor(time.Second)
	pay := s.w.Node("payment").(*saga.Service)
	assert.Positive(t, pay.Duplicates, "payment saw the same request twice")
	refunds := 0
	for _, e := range s.effects {
		if e.What == "refund payment" {
			refunds++
		}
	}
	assert.Equal(t, 1, refunds)
	assert.Equal(t, []string{"create order", "charge payment", "reserve stock failed", "refund payment", "cancel order"}, s.story("s1"))
	assert.Equal(t, saga.Compensated, saga.ReadStatus(s.w.Disk("payment"), "early"), "an Undo that overtakes its Do cancels the saga here")
}

// An Undo that overtakes its Do: the late Do is refused, and nothing is
// charged.
func TestLateDoAfterUndoIsRefused(t *testing.T) {
	s := newShop(t, 1, true, 1, network.LinkConfig{})
	var answers []saga.DoneMsg
	s.w.AddClient("probe", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
			if m, ok := msg.(saga.DoneMsg); ok {
				answers = append(answers, m)
			}
		})
	})
	s.w.At(0, func() {
		_ = s.w.Exec("probe", func(_ sim.Node, env sim.Env) {
			env.Send("payment", saga.Undo{Saga: "x"})
			env.Send("payment", saga.Do{Saga: "x"})
		})
	})
	s.w.RunFor(100 * time.Millisecond)
	require.Len(t, answers, 1)
	assert.False(t, answers[0].OK)
	assert.Equal(t, "compensated already", answers[0].Reason)
	assert.Empty(t, s.effects, "no charge, no refund")
}

// The orchestrator crashes mid-saga and resumes from its record.
func TestOrchestratorResumesAfterACrash(t *testing.T) {
	s := newShop(t, 1, true, 0, network.LinkConfig{})
	require.NoError(t, s.net.Slow("inventory", network.Constant(20*time.Millisecond)))
	s.start(0, "s1")
	s.w.AfterStep(func() {
		if len(s.story("s1")) == 2 && s.w.Up("orch") && s.w.Now() < 50*time.Millisecond {
			s.w.Crash("orch")
			s.w.After(200*time.Millisecond, func() { s.w.Restart("orch") })
		}
	})
	s.w.RunFor(time.Second)
	assert.Equal(t, []string{"create order", "charge payment", "reserve stock", "schedule shipment"}, s.story("s1"))
	assert.True(t, s.ended["s1"].Completed)
}

// Whatever the network duplicates, delays or reorders, and whenever the
// orchestrator crashes, every saga ends all done or all undone, and no
// service applies an action or compensation twice.
func TestSagasEndConsistentUnderFaults(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		orchestrated := rapid.Bool().Draw(rt, "orchestrated")
		link := network.LinkConfig{
			Latency:   network.Uniform{Min: time.Millisecond, Max: 30 * time.Millisecond},
			Duplicate: rapid.Float64Range(0, 0.5).Draw(rt, "duplicate"),
			Reorder:   rapid.Bool().Draw(rt, "reorder"),
		}
		if orchestrated {
			// Only the orchestrator retries; choreography here trusts
			// at-least-once delivery, as it would trust its broker.
			link.Loss = rapid.Float64Range(0, 0.3).Draw(rt, "loss")
		}
		s := newShop(rt, rapid.Uint64().Draw(rt, "seed"), orchestrated, rapid.IntRange(1, 3).Draw(rt, "stock"), link)
		n := rapid.IntRange(1, 5).Draw(rt, "sagas")
		for i := range n {
			s.start(time.Duration(rapid.IntRange(0, 200).Draw(rt, "at"))*time.Millisecond, fmt.Sprint("s", i))
		}
		if orchestrated && rapid.Bool().Draw(rt, "crash") {
			at := time.Duration(rapid.IntRange(0, 300).Draw(rt, "crashAt")) * time.Millisecond
			s.w.At(at, func() { s.w.Crash("orch") })
			s.w.At(at+100*time.Millisecond, func() { s.w.Restart("orch") })
		}
		s.w.At(time.Second, func() { s.net.Reset() })
		s.w.RunFor(5 * time.Second)
		seen := map[saga.Effect]bool{}
		for _, e := range s.effects {
			e.At = time.Time{}
			if seen[e] {
				rt.Fatalf("%s applied %q twice for %s", e.Service, e.What, e.Saga)
			}
			seen[e] = true
		}
		for i := range n {
			id := fmt.Sprint("s", i)
			if _, err := s.check(id); err != nil {
				rt.Fatalf("%v; story %v", err, s.story(id))
			}
			if ps := s.story(id); len(ps) > 0 && ps[0] != "create order" {
				rt.Fatalf("%s began with %q", id, ps[0])
			}
		}
	})
}
