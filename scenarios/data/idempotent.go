package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/broker"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "idempotent-consumer",
		Summary: "at-least-once delivery of payments: without deduplication a crash applies a payment twice; a processed-id table in the same transaction applies each once",
		Chapter: "messaging",
		Doc: `A producer publishes payment messages (pay-01: "acct-2 35", ...) to three
work queues at once, one per consumer, so the same payments meet three
ways of consuming them. A queue delivers at least once: a message not
acknowledged within the visibility timeout is delivered again.

Each consumer applies a payment to its account balances and writes a
ledger row (a local transaction on its disk), works on the message for
a few milliseconds, and then acknowledges it. They differ in how they
guard against a second delivery:

  no dedup                       applies every delivery;
  dedup, id written after        checks a processed-id table, but records
                                 the id in a second write, after the
                                 business change;
  dedup in the same transaction  writes the processed id in the same
                                 local transaction as the balance, as
                                 the seed's pseudo-code says ("track as
                                 processed, atomic with the business
                                 logic").

The script crashes each consumer in the middle of the same few payments:
after the business change, before the acknowledgement (and before the
second write). The consumer restarts 20ms later; the queue, having no
ack, delivers the message again after the visibility timeout.`,
		LookFor: `The table at the end, counted from each consumer's ledger on disk. Every
consumer got every payment at least once (at-least-once works). "no dedup"
and "dedup, id written after" show one payment applied twice per crash
(the balance is too high by those amounts); "dedup in the same
transaction" shows the same redeliveries and no payment applied twice:
the redelivered message finds its id already recorded, is skipped and
acknowledged. Exactly-once delivery is impossible here; exactly-once
effect is what the processed-id table buys.`,
		Knobs: []scenarios.Knob{
			{Name: "payments", Kind: scenarios.KnobInt, Default: "30", Min: 5, Max: 200, Doc: "how many payment messages the producer publishes"},
			{Name: "crashes", Kind: scenarios.KnobInt, Default: "3", Min: 0, Max: 10, Doc: "how many payments each consumer crashes in the middle of"},
			{Name: "visibility", Kind: scenarios.KnobDuration, Default: "100ms", Min: float64(time.Millisecond), Max: float64(2 * time.Second), Doc: "the queue's visibility timeout: how long it waits for an ack before delivering again"},
		},
		For:   5 * time.Second,
		Setup: setupIdempotent,
	})
}

const consumerRestartAfter = 20 * time.Millisecond

type idemLane struct {
	dedup    dedup
	queue    sim.NodeID
	consumer sim.NodeID
	crashed  map[string]bool
}

func setupIdempotent(o scenarios.Options) (*scenarios.Run, error) {
	n, crashes := o.Knobs.Int("payments"), o.Knobs.Int("crashes")
	visibility := o.Knobs.Duration("visibility")
	if crashes > n {
		return nil, fmt.Errorf("crashes=%d is more than payments=%d: crash at most once per payment", crashes, n)
	}
	w, net, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 13))
	var msgs []broker.Publish
	var expected int64
	for i := 1; i <= n; i++ {
		amt := int64(10 + rng.IntN(90))
		acct := fmt.Sprintf("acct-%d", 1+rng.IntN(3))
		expected += amt
		msgs = append(msgs, broker.Publish{ID: fmt.Sprintf("pay-%02d", i), Key: acct, Body: payment(acct, amt)})
	}
	// The payments each consumer crashes in the middle of.
	targets := map[string]bool{}
	for _, i := range rng.Perm(n)[:crashes] {
		targets[msgs[i].ID] = true
	}
	var lanes []*idemLane
	var queues []sim.NodeID
	for _, d := range []dedup{noDedup, separateDedup, atomicDedup} {
		name := [...]string{"none", "after", "atomic"}[d]
		l := &idemLane{dedup: d, queue: sim.NodeID("queue-" + name), consumer: sim.NodeID("consumer-" + name), crashed: map[string]bool{}}
		lanes = append(lanes, l)
		queues = append(queues, l.queue)
		w.AddNode(l.queue, func() sim.Node { return broker.NewQueue(broker.QueueConfig{VisibilityTimeout: visibility}) })
		w.AddNode(l.consumer, func() sim.Node {
			return &ledgerConsumer{queue: l.queue, dedup: d, work: 5 * time.Millisecond}
		})
	}
	w.AddClient("producer", func() sim.Node { return &producer{queues: queues, msgs: msgs, gap: 10 * time.Millisecond} })

	w.AfterStep(func() {
		for _, l := range lanes {
			c, ok := w.Node(l.consumer).(*ledgerConsumer)
			if !ok || c.current == "" || !targets[c.current] || l.crashed[c.current] {
				continue
			}
			l.crashed[c.current] = true
			w.Logf("%s crashes in the middle of %s: balance written, not yet acknowledged", l.consumer, c.current)
			w.Crash(l.consumer)
			id := l.consumer
			w.After(consumerRestartAfter, func() { w.Restart(id) })
		}
	})
	queue := func(l *idemLane) *broker.Queue { return w.Node(l.queue).(*broker.Queue) }
	done := func() bool {
		for _, l := range lanes {
			if queue(l).Counters().Acked < n || !w.Up(l.consumer) {
				return false
			}
		}
		return true
	}
	finish := func() scenarios.Result {
		var r scenarios.Result
		var f firstErr
		var rows [][]string
		for _, l := range lanes {
			applied, total := ledger(w.Disk(l.consumer))
			var twice []string
			missing := 0
			for _, m := range msgs {
				switch c := applied[m.ID]; {
				case c == 0:
					missing++
				case c > 1:
					twice = append(twice, m.ID)
				}
			}
			qc := queue(l).Counters()
			rows = append(rows, []string{l.dedup.String(), itoa(len(msgs)), itoa(qc.Redelivered), itoa(len(l.crashed)),
				itoa(len(twice)), fmt.Sprintf("%d (%+d)", total, total-expected)})
			key := [...]string{"none", "after", "atomic"}[l.dedup]
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: key + "_applied_twice", Value: float64(len(twice)), Unit: "payments"},
				scenarios.Metric{Name: key + "_redelivered", Value: float64(qc.Redelivered), Unit: "messages"},
				scenarios.Metric{Name: key + "_missing", Value: float64(missing), Unit: "payments"},
				scenarios.Metric{Name: key + "_excess", Value: float64(total - expected), Unit: "money"},
			)
			if missing > 0 {
				f.failf("%s: %d payments never applied: at-least-once delivery failed", l.dedup, missing)
			}
			if len(twice) > 0 {
				r.Summary = append(r.Summary, fmt.Sprintf("%s: applied twice: %s", l.dedup, strings.Join(twice, " ")))
			}
			switch {
			case l.dedup == atomicDedup && len(twice) > 0:
				f.failf("dedup in the same transaction applied %d payments twice: %s", len(twice), strings.Join(twice, " "))
			case l.dedup != atomicDedup && crashes > 0 && len(twice) == 0:
				f.failf("%s applied no payment twice after %d crashes: the lesson did not show", l.dedup, len(l.crashed))
			case crashes > 0 && len(l.crashed) == 0:
				f.failf("%s: no crash happened mid-message", l.consumer)
			}
		}
		head := table([]string{"consumer", "payments", "redelivered", "crashes", "applied twice", "total (vs expected)"}, rows)
		r.Summary = append(head, r.Summary...)
		r.Summary = append(r.Summary, fmt.Sprintf("expected total %d; the crashes hit %s", expected, strings.Join(sortedKeys(targets), " ")))
		r.Err = f.err
		return r
	}
	return &scenarios.Run{World: w, Net: net, Done: done, Finish: finish}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
