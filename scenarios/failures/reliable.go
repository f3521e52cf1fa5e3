package failures

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "fallacy-reliable-network",
		Summary: "fallacy 1, the network is reliable: on a lossy link deposits vanish, retries double-charge, idempotency keys fix both",
		Doc: `A client makes 200 deposits of 1 into a ledger, one every 5ms, over a
network that loses each message with the probability of the knob loss
(10% by default) in each direction. Three pairs of nodes run side by side:

  fire-and-forget  the client sends each deposit once and trusts the
                   network to carry it (fallacy 1).
  retry            the client resends a deposit every 20ms until it is
                   acknowledged; the ledger applies whatever arrives.
  retry+idempotent the same client; the ledger remembers the request IDs it
                   has applied and applies each one once (an idempotency
                   key), acknowledging a repeat without applying it again.

A lost deposit is money that vanished; a lost acknowledgement makes the
client resend a deposit the ledger already applied.`,
		LookFor: `fire-and-forget: about loss×200 deposits never reach the ledger and
about twice that many are never acknowledged, so the client cannot even tell
which. retry: every deposit acknowledged, but the balance is above 200 —
each lost acknowledgement became a second deposit. retry+idempotent: every
deposit acknowledged and the balance exactly 200; the ledger saw the repeats
(the "repeats seen" column) and ignored them.`,
		Chapter: "failures",
		Knobs: []scenarios.Knob{
			{Name: "loss", Kind: scenarios.KnobFloat, Default: "0.1", Min: 0.01, Max: 0.5, Doc: "probability that a message is lost, each way"},
		},
		For:   3 * time.Second,
		Setup: setupReliable,
	})
}

const (
	reliableDeposits = 200
	reliableEvery    = 5 * time.Millisecond
	reliableResend   = 20 * time.Millisecond
)

// Deposit asks the ledger to add Amount; ID is the client's request ID (the
// idempotency key).
type Deposit struct {
	ID     uint64
	Amount int
}

// DepositAck says the ledger has the deposit ID.
type DepositAck struct{ ID uint64 }

type depositTick struct{}
type depositResend struct{ ID uint64 }

// depositClient sends reliableDeposits deposits and, if retry is set,
// resends each until it is acknowledged.
type depositClient struct {
	ledger sim.NodeID
	retry  bool
	next   uint64          // the next request ID; IDs 1..next-1 are sent
	acked  map[uint64]bool // IDs acknowledged
	sends  int             // messages sent, resends included
}

func (c *depositClient) Start(env sim.Env) {
	c.acked = map[uint64]bool{}
	c.next = 1
	env.SetTimer(reliableEvery, depositTick{})
}

func (c *depositClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case depositTick:
		if c.next > reliableDeposits {
			return
		}
		c.send(env, c.next)
		c.next++
		env.SetTimer(reliableEvery, depositTick{})
	case depositResend:
		if !c.acked[m.ID] {
			c.send(env, m.ID)
		}
	case DepositAck:
		c.acked[m.ID] = true
	}
}

func (c *depositClient) send(env sim.Env, id uint64) {
	c.sends++
	env.Send(c.ledger, Deposit{ID: id, Amount: 1})
	if c.retry {
		env.SetTimer(reliableResend, depositResend{ID: id})
	}
}

func (c *depositClient) Inspect() map[string]string {
	return map[string]string{"sent": strconv.Itoa(int(c.next - 1)), "acked": strconv.Itoa(len(c.acked)), "messages": strconv.Itoa(c.sends)}
}

// ledger applies deposits. With idempotent set it applies each request ID
// once; it counts the repeats it sees either way.
type ledger struct {
	idempotent bool
	balance    int             // sum of the amounts applied
	seen       map[uint64]bool // request IDs received at least once
	repeats    int             // deposits received whose ID was seen before
}

func (l *ledger) Start(sim.Env) { l.seen = map[uint64]bool{} }

func (l *ledger) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	d, ok := msg.(Deposit)
	if !ok {
		return
	}
	repeat := l.seen[d.ID]
	l.seen[d.ID] = true
	if repeat {
		l.repeats++
	}
	if !repeat || !l.idempotent {
		l.balance += d.Amount
	}
	env.Send(from, DepositAck{ID: d.ID})
}

func (l *ledger) Inspect() map[string]string {
	return map[string]string{"balance": strconv.Itoa(l.balance), "distinct": strconv.Itoa(len(l.seen)), "repeats": strconv.Itoa(l.repeats)}
}

type reliableVariant struct {
	name              string
	retry, idempotent bool
	client            *depositClient
	ledger            *ledger
}

func setupReliable(o scenarios.Options) (*scenarios.Run, error) {
	loss := o.Knobs.Float("loss")
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: time.Millisecond, Max: 3 * time.Millisecond}, Loss: loss}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	variants := []*reliableVariant{
		{name: "fire-and-forget"},
		{name: "retry", retry: true},
		{name: "retry+idempotent", retry: true, idempotent: true},
	}
	for _, v := range variants {
		id := sim.NodeID(v.name + "-ledger")
		w.AddNode(id, func() sim.Node { v.ledger = &ledger{idempotent: v.idempotent}; return v.ledger })
		w.AddClient(sim.NodeID(v.name+"-client"), func() sim.Node {
			v.client = &depositClient{ledger: id, retry: v.retry}
			return v.client
		})
	}
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishReliable(variants, loss) }}, nil
}

func finishReliable(variants []*reliableVariant, loss float64) scenarios.Result {
	var r scenarios.Result
	var c checks
	rows := [][]string{}
	by := map[string]*reliableVariant{}
	for _, v := range variants {
		by[v.name] = v
		lost := reliableDeposits - len(v.ledger.seen)
		unacked := reliableDeposits - len(v.client.acked)
		rows = append(rows, []string{v.name, itoa(v.client.sends), itoa(lost), itoa(unacked), itoa(v.ledger.repeats), itoa(v.ledger.balance)})
		m := metricName(v.name)
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: m + "_balance", Value: float64(v.ledger.balance), Unit: "deposits"},
			scenarios.Metric{Name: m + "_lost", Value: float64(lost), Unit: "deposits"},
			scenarios.Metric{Name: m + "_unacked", Value: float64(unacked), Unit: "deposits"},
			scenarios.Metric{Name: m + "_messages", Value: float64(v.client.sends), Unit: "messages"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("%d deposits of 1 each over links that lose %.0f%% of messages each way (the right balance is %d):", reliableDeposits, loss*100, reliableDeposits))
	r.Summary = append(r.Summary, table([]string{"client/ledger", "messages", "never arrived", "never acked", "repeats seen", "balance"}, rows)...)
	ff, re, id := by["fire-and-forget"], by["retry"], by["retry+idempotent"]
	switch {
	case ff.ledger.balance >= reliableDeposits:
		c.Failf("fire-and-forget lost no deposit (balance %d): the lossy network did not show", ff.ledger.balance)
	case len(re.client.acked) != reliableDeposits || len(id.client.acked) != reliableDeposits:
		c.Failf("retrying clients should get every deposit acknowledged: %d and %d of %d", len(re.client.acked), len(id.client.acked), reliableDeposits)
	case re.ledger.balance <= reliableDeposits:
		c.Failf("retry without idempotency applied no deposit twice (balance %d)", re.ledger.balance)
	case id.ledger.balance != reliableDeposits:
		c.Failf("retry with idempotency keys should give balance exactly %d, got %d", reliableDeposits, id.ledger.balance)
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("trusting the network lost %d deposits; retrying alone applied %d twice; retries with idempotency keys gave exactly %d",
			reliableDeposits-ff.ledger.balance, re.ledger.balance-reliableDeposits, id.ledger.balance))
	}
	r.Err = c.Err()
	return r
}
