package failures

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "fallacy-zero-transport-cost",
		Summary: "fallacy 7, transport cost is zero: verbose JSON orders cost 4–5× the bytes and egress and 30× the CPU of a compact binary encoding, and queue on a thin link",
		Doc: `A shop front sends 400 orders a second for 2 seconds to the order
service in another data centre, over a 200 KB/s link (the knob bandwidth).
Each order has a customer, a currency and 5–15 line items, drawn from the
seed. Two encodings of the very same orders:

  json    encoding/json of a struct with readable field names: the
          message's size is the length of that encoding, computed in the run.
  binary  a hand-written encoding: varints and length-prefixed strings
          (encoding/binary), also computed in the run.

Moving a message is priced three ways: the sender spends CPU encoding it and
the receiver decoding it (a cost model stated in the code: 20ns a byte each
way for JSON, 3ns for the binary codec; encoding/json's reflection is that
much slower per byte), the link carries it at its bandwidth, and the cloud
bills egress ($0.09 per GB, a typical list price).`,
		LookFor: `The bytes column: JSON orders are several times larger than the same
orders in binary. At 400 a second the JSON stream needs more than the link
carries, so its messages queue on the link and the p99 latency climbs to
seconds; the binary stream fits and stays at a few milliseconds. The CPU
column and the egress cost per billion orders scale with the bytes.`,
		Chapter: "failures",
		Knobs: []scenarios.Knob{
			{Name: "bandwidth", Kind: scenarios.KnobInt, Default: "200000", Min: 100000, Max: 100000000, Doc: "bytes per second of the link between the data centres"},
		},
		For:   8 * time.Second,
		Setup: setupTransport,
	})
}

const (
	transportRate   = 400
	transportSpan   = 2 * time.Second
	egressPerGB     = 0.09 // dollars
	jsonNsPerByte   = 20
	binaryNsPerByte = 3
)

// Order is what the shop sends, before encoding.
type Order struct {
	OrderID    int        `json:"order_id"`
	CustomerID string     `json:"customer_id"`
	Currency   string     `json:"currency"`
	Items      []LineItem `json:"line_items"`
}

// LineItem is one product in an order.
type LineItem struct {
	SKU        string `json:"product_sku"`
	Quantity   int    `json:"quantity"`
	PriceCents int    `json:"unit_price_cents"`
}

func encodeJSON(o Order) []byte {
	b, _ := json.Marshal(o) // plain struct: cannot fail
	return b
}

func encodeBinary(o Order) []byte {
	var b []byte
	b = binary.AppendUvarint(b, uint64(o.OrderID))
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	str(o.CustomerID)
	str(o.Currency)
	b = binary.AppendUvarint(b, uint64(len(o.Items)))
	for _, it := range o.Items {
		str(it.SKU)
		b = binary.AppendUvarint(b, uint64(it.Quantity))
		b = binary.AppendUvarint(b, uint64(it.PriceCents))
	}
	return b
}

// EncodedOrder is an order on the wire: its ID, its encoding and its
// length (the message's size on the link).
type EncodedOrder struct {
	ID       int
	Encoding string
	Bytes    int
	Sent     time.Duration
}

// Size is the message's size on the link.
func (e EncodedOrder) Size() int { return e.Bytes }

type orderTick struct{}
type encoded struct{ Msg EncodedOrder }
type decoded struct{ Msg EncodedOrder }

// orderSender encodes and sends transportRate orders a second; encoding an
// order keeps its CPU busy for nsPerByte per byte, one order at a time.
type orderSender struct {
	to        sim.NodeID
	encoding  string
	nsPerByte int
	sent      int
	bytes     int
	cpu       time.Duration // CPU time spent encoding
	busyUntil time.Duration
}

func (s *orderSender) Start(env sim.Env) { env.SetTimer(time.Millisecond, orderTick{}) }

func (s *orderSender) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	now := since(env.Now())
	switch m := msg.(type) {
	case orderTick:
		if now >= transportSpan {
			return
		}
		s.sent++
		rng := env.Rand()
		o := Order{OrderID: s.sent, CustomerID: fmt.Sprintf("cust-%06d", rng.IntN(1_000_000)), Currency: "JPY"}
		for range 5 + rng.IntN(11) {
			o.Items = append(o.Items, LineItem{SKU: fmt.Sprintf("SKU-%05d", rng.IntN(100_000)), Quantity: 1 + rng.IntN(3), PriceCents: 100 + rng.IntN(100_000)})
		}
		var b []byte
		if s.encoding == "json" {
			b = encodeJSON(o)
		} else {
			b = encodeBinary(o)
		}
		s.bytes += len(b)
		cost := time.Duration(len(b) * s.nsPerByte)
		s.cpu += cost
		start := max(now, s.busyUntil)
		s.busyUntil = start + cost
		env.SetTimer(s.busyUntil-now, encoded{Msg: EncodedOrder{ID: o.OrderID, Encoding: s.encoding, Bytes: len(b), Sent: now}})
		env.SetTimer(network.Exponential{Mean: time.Second / transportRate}.Sample(rng), orderTick{})
	case encoded:
		env.Send(s.to, m.Msg)
	}
}

func (s *orderSender) Inspect() map[string]string {
	return map[string]string{"encoding": s.encoding, "sent": strconv.Itoa(s.sent), "bytes": strconv.Itoa(s.bytes)}
}

// orderService decodes orders one at a time and records how long each took
// from the sender's tick to decoded.
type orderService struct {
	nsPerByte int
	busyUntil time.Duration
	cpu       time.Duration
	latencies []time.Duration
}

func (s *orderService) Start(sim.Env) {}
func (s *orderService) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	now := since(env.Now())
	switch m := msg.(type) {
	case EncodedOrder:
		cost := time.Duration(m.Bytes * s.nsPerByte)
		s.cpu += cost
		s.busyUntil = max(now, s.busyUntil) + cost
		env.SetTimer(s.busyUntil-now, decoded{Msg: m})
	case decoded:
		s.latencies = append(s.latencies, now-m.Msg.Sent)
	}
}
func (s *orderService) Inspect() map[string]string {
	return map[string]string{"decoded": strconv.Itoa(len(s.latencies))}
}

type transportVariant struct {
	encoding  string
	nsPerByte int
	sender    *orderSender
	service   *orderService
}

func setupTransport(o scenarios.Options) (*scenarios.Run, error) {
	bw := int64(o.Knobs.Int("bandwidth"))
	net, err := network.New(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 4 * time.Millisecond, Max: 6 * time.Millisecond}, Bandwidth: bw}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	variants := []*transportVariant{{encoding: "json", nsPerByte: jsonNsPerByte}, {encoding: "binary", nsPerByte: binaryNsPerByte}}
	for _, v := range variants {
		svc := sim.NodeID(v.encoding + "-orders")
		w.AddNode(svc, func() sim.Node { v.service = &orderService{nsPerByte: v.nsPerByte}; return v.service })
		w.AddNode(sim.NodeID(v.encoding+"-shop"), func() sim.Node {
			v.sender = &orderSender{to: svc, encoding: v.encoding, nsPerByte: v.nsPerByte}
			return v.sender
		})
	}
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishTransport(variants, bw) }}, nil
}

func finishTransport(variants []*transportVariant, bw int64) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	per := map[string]float64{}
	p99 := map[string]time.Duration{}
	for _, v := range variants {
		s := v.sender
		lat := v.service.latencies
		bytesPer := float64(s.bytes) / float64(max(s.sent, 1))
		per[v.encoding] = bytesPer
		p99[v.encoding] = service.Percentile(lat, 99)
		dollars := bytesPer * 1e9 / 1e9 * egressPerGB // per billion orders
		cpuPer := (s.cpu + v.service.cpu) / time.Duration(max(s.sent, 1))
		rows = append(rows, []string{v.encoding, fmt.Sprintf("%.0f", bytesPer), fmt.Sprintf("%.0f KB/s", float64(s.bytes)/transportSpan.Seconds()/1000),
			fmt.Sprintf("%d/%d", len(lat), s.sent), dur(service.Percentile(lat, 50)), dur(p99[v.encoding]), cpuPer.String(), fmt.Sprintf("$%.0f", dollars)})
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: v.encoding + "_bytes_per_order", Value: bytesPer, Unit: "B"},
			scenarios.Metric{Name: v.encoding + "_p99", Value: p99[v.encoding].Seconds(), Unit: "s"},
			scenarios.Metric{Name: v.encoding + "_egress_dollars_per_billion", Value: dollars, Unit: "$"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("about %d orders a second for %s over a %.0f KB/s link:", transportRate, transportSpan, float64(bw)/1000))
	r.Summary = append(r.Summary, table([]string{"encoding", "bytes/order", "offered", "arrived", "p50", "p99", "CPU/order", "egress per 1e9 orders"}, rows)...)
	switch {
	case per["json"] < 3*per["binary"]:
		c.Failf("JSON orders (%.0f bytes) should be over 3× the binary ones (%.0f)", per["json"], per["binary"])
	case p99["json"] < 10*p99["binary"]:
		c.Failf("JSON's p99 (%s) should be over 10× binary's (%s): the link should be the bottleneck for JSON", dur(p99["json"]), dur(p99["binary"]))
	case p99["binary"] > 50*time.Millisecond:
		c.Failf("binary's p99 was %s: want under 50ms", dur(p99["binary"]))
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("the same orders cost %.1f× the bytes in JSON; on this link that is a p99 of %s against %s",
			per["json"]/per["binary"], dur(p99["json"]), dur(p99["binary"])))
	}
	r.Err = c.Err()
	return r
}
