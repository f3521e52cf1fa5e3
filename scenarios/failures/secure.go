package failures

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "fallacy-secure-network",
		Summary: "fallacy 4, the network is secure: a compromised router rewrites payments to the attacker; an HMAC on every message makes the bank refuse them",
		Doc: `A shop sends 100 payment orders to its bank, one every 10ms. Every
message passes through a router in between, as every message on a real
network passes through switches, routers and proxies that somebody else
runs. This router is compromised: it rewrites the payee of about a third of
the orders (the knob tamper) to "mallory" and forwards them on.

  plaintext  the bank trusts what arrives: the network is "internal".
  hmac       shop and bank share a key (derived from the seed); the shop
             puts HMAC-SHA256 over every field of the order into it, and
             the bank refuses an order whose MAC does not match.

The router cannot forge a MAC without the key; it can still drop or delay
orders, which is why the MAC is for integrity and a retry is for delivery.`,
		LookFor: `plaintext: the bank pays mallory exactly as many orders as the router
tampered with. hmac: the router tampered with about as many, the bank
refused every one of them (refused = tampered) and paid mallory nothing.`,
		Chapter: "failures",
		Knobs: []scenarios.Knob{
			{Name: "tamper", Kind: scenarios.KnobFloat, Default: "0.3", Min: 0.01, Max: 1, Doc: "share of orders the router rewrites"},
		},
		For:   2 * time.Second,
		Setup: setupSecure,
	})
}

const (
	secureOrders = 100
	secureEvery  = 10 * time.Millisecond
)

// Payment orders Amount to be paid to Payee. MAC is hex HMAC-SHA256 over
// the other fields, or empty.
type Payment struct {
	ID     int
	Payee  string
	Amount int
	MAC    string
}

// paymentMAC is HMAC-SHA256(key, ID | Payee | Amount) in hex.
func paymentMAC(key []byte, p Payment) string {
	m := hmac.New(sha256.New, key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(p.ID))
	m.Write(b[:])
	m.Write([]byte(p.Payee))
	m.Write([]byte{0})
	binary.BigEndian.PutUint64(b[:], uint64(p.Amount))
	m.Write(b[:])
	return hex.EncodeToString(m.Sum(nil))
}

// seedKey derives a key for label from the world's seed: deterministic, so a
// run replays, and different per seed.
func seedKey(seed uint64, label string) []byte {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(label))
	return h.Sum(nil)
}

type payTick struct{}

// shop sends secureOrders payments to the bank through its router.
type shop struct {
	router sim.NodeID
	key    []byte // nil: no MAC
	sent   int
}

func (s *shop) Start(env sim.Env) { env.SetTimer(secureEvery, payTick{}) }
func (s *shop) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if _, ok := msg.(payTick); !ok || s.sent >= secureOrders {
		return
	}
	s.sent++
	p := Payment{ID: s.sent, Payee: "supplier-" + strconv.Itoa(1+env.Rand().IntN(5)), Amount: 10 + env.Rand().IntN(90)}
	if s.key != nil {
		p.MAC = paymentMAC(s.key, p)
	}
	env.Send(s.router, p)
	env.SetTimer(secureEvery, payTick{})
}
func (s *shop) Inspect() map[string]string { return map[string]string{"sent": strconv.Itoa(s.sent)} }

// router forwards payments to the bank, rewriting the payee of a share of
// them: the man in the middle.
type router struct {
	bank     sim.NodeID
	tamper   float64
	tampered int
}

func (r *router) Start(sim.Env) {}
func (r *router) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	p, ok := msg.(Payment)
	if !ok {
		return
	}
	if env.Rand().Float64() < r.tamper {
		p.Payee = "mallory"
		r.tampered++
	}
	env.Send(r.bank, p)
}
func (r *router) Inspect() map[string]string {
	return map[string]string{"tampered": strconv.Itoa(r.tampered)}
}

// bank pays orders; with a key it refuses orders whose MAC does not match.
type bank struct {
	key     []byte
	paid    map[string]int // amount paid per payee
	orders  int            // orders paid
	refused int
}

func (b *bank) Start(sim.Env) { b.paid = map[string]int{} }
func (b *bank) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	p, ok := msg.(Payment)
	if !ok {
		return
	}
	if b.key != nil && !hmac.Equal([]byte(p.MAC), []byte(paymentMAC(b.key, p))) {
		b.refused++
		env.Logf("order %d refused: its MAC does not match its contents", p.ID)
		return
	}
	b.orders++
	b.paid[p.Payee] += p.Amount
}
func (b *bank) Inspect() map[string]string {
	return map[string]string{"paid": strconv.Itoa(b.orders), "refused": strconv.Itoa(b.refused), "to mallory": strconv.Itoa(b.paid["mallory"])}
}

type secureVariant struct {
	name   string
	mac    bool
	router *router
	bank   *bank
}

func setupSecure(o scenarios.Options) (*scenarios.Run, error) {
	tamper := o.Knobs.Float("tamper")
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 2 * time.Millisecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	variants := []*secureVariant{{name: "plaintext"}, {name: "hmac", mac: true}}
	for _, v := range variants {
		var key []byte
		if v.mac {
			key = seedKey(o.Seed, "fallacy-secure-network shop-bank")
		}
		bankID, routerID := sim.NodeID(v.name+"-bank"), sim.NodeID(v.name+"-router")
		w.AddNode(bankID, func() sim.Node { v.bank = &bank{key: key}; return v.bank })
		w.AddNode(routerID, func() sim.Node { v.router = &router{bank: bankID, tamper: tamper}; return v.router })
		w.AddNode(sim.NodeID(v.name+"-shop"), func() sim.Node { return &shop{router: routerID, key: key} })
	}
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishSecure(variants) }}, nil
}

func finishSecure(variants []*secureVariant) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	for _, v := range variants {
		mallory := 0
		if v.bank.paid != nil {
			mallory = v.bank.paid["mallory"]
		}
		rows = append(rows, []string{v.name, itoa(v.router.tampered), itoa(v.bank.orders), itoa(v.bank.refused), itoa(mallory)})
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: v.name + "_tampered", Value: float64(v.router.tampered), Unit: "orders"},
			scenarios.Metric{Name: v.name + "_refused", Value: float64(v.bank.refused), Unit: "orders"},
			scenarios.Metric{Name: v.name + "_paid_to_mallory", Value: float64(mallory), Unit: "money"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("%d payment orders through a compromised router:", secureOrders))
	r.Summary = append(r.Summary, table([]string{"bank", "tampered", "paid", "refused", "paid to mallory"}, rows)...)
	plain, mac := variants[0], variants[1]
	switch {
	case plain.router.tampered == 0 || plain.bank.paid["mallory"] == 0:
		c.Failf("the router tampered with %d orders and mallory got %d: the attack did not show", plain.router.tampered, plain.bank.paid["mallory"])
	case mac.bank.paid["mallory"] != 0:
		c.Failf("with HMAC the bank still paid mallory %d", mac.bank.paid["mallory"])
	case mac.bank.refused != mac.router.tampered:
		c.Failf("with HMAC the bank refused %d orders but %d were tampered with", mac.bank.refused, mac.router.tampered)
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("trusting the network paid mallory %d; with a MAC every one of the %d tampered orders was refused",
			plain.bank.paid["mallory"], mac.router.tampered))
	}
	r.Err = c.Err()
	return r
}
