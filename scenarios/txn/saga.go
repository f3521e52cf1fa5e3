package txn

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/saga"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "saga",
		Summary: "an order saga, orchestrated and choreographed: inventory runs out, payment is refunded and the order cancelled",
		Doc: `Two copies of the same shop run side by side: order, payment, inventory
and shipping services, each with its own local transaction and
compensation. In one (o-*) an orchestrator drives every saga step by step;
in the other (c-*) the services react to each other's events: OrderCreated,
PaymentCharged, StockUnavailable, PaymentRefunded... The warehouse holds one
item. The first order goes through all four steps. The second is created
and charged, then inventory has nothing left: the completed steps are
compensated in reverse order, refund payment, then cancel order.

The network duplicates messages (20% of them, and every refund request),
as at-least-once delivery does. Look for "duplicate ignored" in the trace:
each service records what it did for each saga, so a second refund request
refunds nothing. The summary shows every saga's steps in order and checks
the end state: every saga is done at all four services or at none, so no
customer is charged without an order.`,
		LookFor: `the second order's completed steps undone in reverse order (refund
payment, then cancel order), in both the orchestrated and the
choreographed shop; "duplicate ignored" in the trace where at-least-once
delivery repeats a request, so nothing is refunded twice; and at the end
every saga done at all four services or at none.`,
		Chapter: "transactions",
		For:     time.Second,
		Setup:   setupSaga,
	})
}

// sagaShop is one copy of the shop: four services, perhaps an orchestrator.
type sagaShop struct {
	style    string
	entry    sim.NodeID // where StartSaga goes
	services []sim.NodeID
	sagas    []string
	ended    map[string]saga.SagaEnded
}

func setupSaga(o scenarios.Options) (*scenarios.Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency:   network.Uniform{Min: 2 * time.Millisecond, Max: 10 * time.Millisecond},
		Duplicate: 0.2,
	}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer, LoseUnsyncedWrites: true})
	var effects []saga.Effect
	observe := func(e saga.Effect) { effects = append(effects, e) }
	names := []string{"order", "payment", "inventory", "shipping"}
	steps := saga.ShopSteps()

	var shops []*sagaShop
	for _, style := range []string{"orchestrated", "choreographed"} {
		p := style[:1] + "-"
		sh := &sagaShop{style: style, ended: map[string]saga.SagaEnded{}}
		for _, n := range names {
			sh.services = append(sh.services, sim.NodeID(p+n))
		}
		var stages []saga.Stage
		for i, id := range sh.services {
			cfg := saga.ServiceConfig{Step: steps[i], Observe: observe}
			if names[i] == "inventory" {
				cfg.Capacity = 1 // one item in stock
			}
			if style == "choreographed" {
				cfg.Client = "client"
				if i > 0 {
					cfg.Prev = sh.services[i-1]
				}
				if i < len(sh.services)-1 {
					cfg.Next = sh.services[i+1]
				}
			}
			stages = append(stages, saga.Stage{Service: id, Step: steps[i]})
			w.AddNode(id, func() sim.Node { return saga.NewService(cfg) })
		}
		if style == "orchestrated" {
			sh.entry = "orchestrator"
			w.AddNode("orchestrator", func() sim.Node { return saga.NewOrchestrator(saga.OrchestratorConfig{Stages: stages}) })
			// Every refund request arrives twice.
			if err := net.SetDuplicate(network.Link{From: "orchestrator", To: sh.services[1]}, 1); err != nil {
				return nil, err
			}
		} else {
			sh.entry = sh.services[0]
			// Every StockUnavailable event, which triggers the refund,
			// arrives twice.
			if err := net.SetDuplicate(network.Link{From: sh.services[2], To: sh.services[1]}, 1); err != nil {
				return nil, err
			}
		}
		shops = append(shops, sh)
	}
	w.AddClient("client", func() sim.Node {
		return sim.NodeFunc(func(env sim.Env, from sim.NodeID, msg sim.Message) {
			m, ok := msg.(saga.SagaEnded)
			if !ok {
				return
			}
			for _, sh := range shops {
				for _, id := range sh.sagas {
					if id == m.Saga {
						if _, seen := sh.ended[id]; !seen {
							env.Logf("%s %s", id, map[bool]string{true: "completed", false: "compensated: " + m.Reason}[m.Completed])
						}
						sh.ended[id] = m
					}
				}
			}
		})
	})
	for _, sh := range shops {
		for i, at := range []time.Duration{10 * time.Millisecond, 150 * time.Millisecond} {
			id := fmt.Sprintf("%s-%d", sh.style[:4], i+1)
			sh.sagas = append(sh.sagas, id)
			w.At(at, func() {
				_ = w.Exec("client", func(_ sim.Node, env sim.Env) {
					env.Logf("places order %s (%s)", id, sh.style)
					env.Send(sh.entry, saga.StartSaga{Saga: id})
				})
			})
		}
	}

	story := func(id string) []string {
		var out []string
		for _, e := range effects {
			if e.Saga == id {
				out = append(out, e.What)
			}
		}
		return out
	}
	finish := func() scenarios.Result {
		var r scenarios.Result
		fail := func(err error) {
			if r.Err == nil {
				r.Err = err
			}
		}
		want := [][]string{
			{"create order", "charge payment", "reserve stock", "schedule shipment"},
			{"create order", "charge payment", "reserve stock failed", "refund payment", "cancel order"},
		}
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "style\tsaga\tend\tsteps and compensations, in order")
		refunds := 0
		for _, e := range effects {
			if e.What == saga.ChargePayment.Compensation {
				refunds++
			}
		}
		for _, sh := range shops {
			dups := 0
			for _, id := range sh.services {
				dups += w.Node(id).(*saga.Service).Duplicates
			}
			for i, id := range sh.sagas {
				completed, err := saga.Check(id, sh.services, func(n sim.NodeID) sim.Disk { return w.Disk(n) })
				if err != nil {
					fail(err)
				}
				// No charge without an order.
				if saga.ReadStatus(w.Disk(sh.services[1]), id) == saga.Done && saga.ReadStatus(w.Disk(sh.services[0]), id) != saga.Done {
					fail(fmt.Errorf("%s: the customer is charged and there is no order", id))
				}
				got := story(id)
				if strings.Join(got, "|") != strings.Join(want[i], "|") {
					fail(fmt.Errorf("%s ran %q, want %q", id, got, want[i]))
				}
				end := "completed"
				if !completed {
					end = "compensated"
				}
				if _, ok := sh.ended[id]; !ok {
					fail(fmt.Errorf("%s: the client never heard how it ended", id))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", sh.style, id, end, strings.Join(got, " → "))
			}
			r.Metrics = append(r.Metrics, scenarios.Metric{Name: sh.style + "_duplicates_ignored", Value: float64(dups), Unit: "msgs"})
			if dups == 0 {
				fail(fmt.Errorf("%s: no duplicate reached a service", sh.style))
			}
		}
		tw.Flush()
		r.Summary = strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		r.Metrics = append(r.Metrics, scenarios.Metric{Name: "refunds", Value: float64(refunds), Unit: "refunds"})
		if refunds != 2 {
			fail(fmt.Errorf("%d refunds for the two failed sagas", refunds))
		}
		o, _ := r.Metric("orchestrated_duplicates_ignored")
		c, _ := r.Metric("choreographed_duplicates_ignored")
		r.Summary = append(r.Summary,
			fmt.Sprintf("duplicates ignored: %.0f orchestrated, %.0f choreographed; every refund request came twice, each payment was refunded once", o, c))
		if r.Err == nil {
			r.Summary = append(r.Summary, "consistent: each saga is done at all four services or at none; nobody is charged without an order")
		}
		return r
	}
	return &scenarios.Run{World: w, Net: net, Finish: finish}, nil
}
