package saga_test

import (
	"fmt"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/saga"
)

// An orchestrated shop whose warehouse is empty: the order is created and
// charged, the stock reservation fails, and the orchestrator compensates
// in reverse order.
func Example() {
	w := sim.NewWorld(sim.Config{Seed: 1})
	names := []sim.NodeID{"order", "payment", "inventory", "shipping"}
	var stages []saga.Stage
	for i, step := range saga.ShopSteps() {
		cfg := saga.ServiceConfig{Step: step, Observe: func(e saga.Effect) { fmt.Println(e.Service+":", e.What) }}
		if names[i] == "inventory" {
			cfg.Capacity = 1
		}
		stages = append(stages, saga.Stage{Service: names[i], Step: step})
		w.AddNode(names[i], func() sim.Node { return saga.NewService(cfg) })
	}
	w.Disk("inventory").Put("used", []byte("1")) // sold out
	w.AddNode("orch", func() sim.Node { return saga.NewOrchestrator(saga.OrchestratorConfig{Stages: stages}) })
	w.AddClient("client", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
			if m, ok := msg.(saga.SagaEnded); ok {
				fmt.Printf("%s completed=%v: %s\n", m.Saga, m.Completed, m.Reason)
			}
		})
	})
	w.At(0, func() {
		_ = w.Exec("client", func(_ sim.Node, env sim.Env) { env.Send("orch", saga.StartSaga{Saga: "s1"}) })
	})
	w.RunFor(time.Second)
	// Output:
	// order: create order
	// payment: charge payment
	// inventory: reserve stock failed
	// payment: refund payment
	// order: cancel order
	// s1 completed=false: reserve stock: none left (capacity 1)
}
