package edge

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "zero-trust",
		Summary: "perimeter trust lets a compromised internal service read every customer record; signed per-request identity and least privilege refuse it",
		Doc: `Four internal services — frontend, orders, customers (which holds
the customer records) and recommendations — and an attacker on the
internet. The recommendations service has been compromised (a vulnerable
dependency, say): the attacker runs code inside the network. Every 100ms for
a second, each of five calls is made:

  frontend → orders      /orders      legitimate
  orders → customers     /address     legitimate: ship to the customer
  recommendations → customers /all    the compromised service, as itself
  recommendations → customers /all    the same, claiming to be orders
  internet → customers   /all         the attacker from outside

Three designs, each its own copy of the services:

  perimeter      a firewall keeps outsiders out; anything inside is
                 trusted (the network address is the identity).
  identity-only  every request carries the caller's certificate (signed by
                 the mesh's CA, ed25519) and the caller's signature over
                 the request; every service verifies both. Any
                 authenticated service may call anything.
  zero-trust     identity, plus least privilege: customers answers
                 /address to orders and nothing else to anyone.

Keys are derived from the seed; nothing in a request can be forged without
a private key.`,
		LookFor: `The table of calls against designs. perimeter: everything from inside is
allowed, so the compromised service reads all records, as itself or as
orders; only the outsider is refused. identity-only: the claim to be orders
is refused (its signature does not verify with orders' certificate) but
the compromised service still reads everything as itself. zero-trust: only
the two legitimate calls pass; records leaked: 0. "Assume breach": the
question is not whether the attacker is inside but what the inside lets it
do.`,
		Chapter: "security",
		For:     1500 * time.Millisecond,
		Setup:   setupZeroTrust,
	})
}

const (
	ztRecords = 100 // customer records /all returns
	ztRounds  = 10
)

// Cert binds a service name to its public key, signed by the mesh's CA.
type Cert struct {
	Name   string
	PubKey string // hex
	CASig  string // hex ed25519 signature over Name and PubKey
}

// SvcRequest is a call between services. Caller is who the caller says it
// is; Cert and Sig prove it (or not).
type SvcRequest struct {
	ID     int
	Caller string
	Path   string
	Cert   Cert
	Sig    string // hex ed25519 over Caller|To|Path|ID with the cert's key
}

// SvcReply answers a call; Records is how many customer records it carries.
type SvcReply struct {
	ID      int
	OK      bool
	Records int
	Why     string
}

func ztSeedKey(seed uint64, name string) ed25519.PrivateKey {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte("zero-trust " + name))
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}

func certBody(name, pub string) []byte { return []byte("cert|" + name + "|" + pub) }

func requestBody(caller string, to string, path string, id int) []byte {
	return []byte(fmt.Sprintf("req|%s|%s|%s|%d", caller, to, path, id))
}

// ztCall is one scripted call a node makes each round.
type ztCall struct {
	kind    string // the table's row
	to      string // logical service name
	path    string
	claimAs string // the caller name it claims; its own if empty
}

type ztTick struct{}

// ztService is one service (or the outside attacker) in one design.
type ztService struct {
	design  string
	name    string // logical: frontend, orders, customers, recommendations, internet
	prefix  string // node IDs are prefix+name
	key     ed25519.PrivateKey
	cert    Cert
	caPub   ed25519.PublicKey
	calls   []ztCall
	round   int
	next    int
	kindOf  map[int]string
	allowed map[string]int // per call kind, answered OK
	leaked  map[string]int // per call kind, customer records received
	served  int
	refused int
}

var ztInternal = map[string]bool{"frontend": true, "orders": true, "customers": true, "recommendations": true}

// ztPolicy is least privilege: which caller may call which path here.
var ztPolicy = map[string]map[string]string{
	"orders":    {"frontend": "/orders"},
	"customers": {"orders": "/address"},
}

func (s *ztService) Start(env sim.Env) {
	s.kindOf, s.allowed, s.leaked = map[int]string{}, map[string]int{}, map[string]int{}
	if len(s.calls) > 0 {
		env.SetTimer(time.Duration(env.Rand().Int64N(int64(20*time.Millisecond))), ztTick{})
	}
}

func (s *ztService) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case ztTick:
		if s.round >= ztRounds {
			return
		}
		s.round++
		for _, c := range s.calls {
			s.next++
			s.kindOf[s.next] = c.kind
			caller := s.name
			if c.claimAs != "" {
				caller = c.claimAs
			}
			req := SvcRequest{ID: s.next, Caller: caller, Path: c.path, Cert: s.cert}
			if s.key != nil {
				req.Sig = hex.EncodeToString(ed25519.Sign(s.key, requestBody(caller, c.to, c.path, s.next)))
			}
			env.Send(sim.NodeID(s.prefix+c.to), req)
		}
		env.SetTimer(100*time.Millisecond, ztTick{})
	case SvcRequest:
		source := strings.TrimPrefix(string(from), s.prefix)
		if why := s.admit(source, m); why != "" {
			s.refused++
			env.Send(from, SvcReply{ID: m.ID, Why: why})
			return
		}
		s.served++
		rec := 0
		switch m.Path {
		case "/all":
			rec = ztRecords
		case "/address":
			rec = 1
		}
		env.Send(from, SvcReply{ID: m.ID, OK: true, Records: rec})
	case SvcReply:
		if m.OK {
			k := s.kindOf[m.ID]
			s.allowed[k]++
			if k != "orders → customers /address" {
				s.leaked[k] += m.Records
			}
		}
	}
}

// admit says why a request is refused, or "" to serve it.
func (s *ztService) admit(source string, m SvcRequest) string {
	switch s.design {
	case "perimeter":
		if !ztInternal[source] {
			return "outside the perimeter"
		}
		return ""
	}
	// identity: the CA vouches for the certificate, the certificate names the
	// claimed caller, and the request is signed with the certificate's key.
	pub, err := hex.DecodeString(m.Cert.PubKey)
	casig, err2 := hex.DecodeString(m.Cert.CASig)
	sig, err3 := hex.DecodeString(m.Sig)
	switch {
	case err != nil || err2 != nil || err3 != nil || len(pub) != ed25519.PublicKeySize:
		return "no valid certificate"
	case !ed25519.Verify(s.caPub, certBody(m.Cert.Name, m.Cert.PubKey), casig):
		return "certificate not signed by the CA"
	case m.Cert.Name != m.Caller:
		return "certificate is " + m.Cert.Name + ", not " + m.Caller
	case !ed25519.Verify(ed25519.PublicKey(pub), requestBody(m.Caller, s.name, m.Path, m.ID), sig):
		return "bad request signature"
	}
	if s.design == "zero-trust" && ztPolicy[s.name][m.Caller] != m.Path {
		return m.Caller + " may not call " + s.name + m.Path
	}
	return ""
}

func (s *ztService) Inspect() map[string]string {
	return map[string]string{"design": s.design, "served": strconv.Itoa(s.served), "refused": strconv.Itoa(s.refused)}
}

var ztKinds = []string{
	"frontend → orders /orders",
	"orders → customers /address",
	"recommendations → customers /all",
	"recommendations as orders → customers /all",
	"internet → customers /all",
}

func setupZeroTrust(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 200 * time.Microsecond, Max: time.Millisecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	ca := ztSeedKey(o.Seed, "mesh CA")
	caPub := ca.Public().(ed25519.PublicKey)
	calls := map[string][]ztCall{
		"frontend":        {{kind: ztKinds[0], to: "orders", path: "/orders"}},
		"orders":          {{kind: ztKinds[1], to: "customers", path: "/address"}},
		"recommendations": {{kind: ztKinds[2], to: "customers", path: "/all"}, {kind: ztKinds[3], to: "customers", path: "/all", claimAs: "orders"}},
		"internet":        {{kind: ztKinds[4], to: "customers", path: "/all"}},
	}
	designs := []string{"perimeter", "identity-only", "zero-trust"}
	nodes := map[string][]*ztService{}
	for _, d := range designs {
		for _, name := range []string{"frontend", "orders", "customers", "recommendations", "internet"} {
			s := &ztService{design: d, name: name, prefix: d + "-", caPub: caPub, calls: calls[name]}
			if ztInternal[name] { // the outsider has no certificate from the mesh's CA
				s.key = ztSeedKey(o.Seed, name)
				pub := hex.EncodeToString(s.key.Public().(ed25519.PublicKey))
				s.cert = Cert{Name: name, PubKey: pub, CASig: hex.EncodeToString(ed25519.Sign(ca, certBody(name, pub)))}
			}
			cfg := *s
			idx := len(nodes[d])
			nodes[d] = append(nodes[d], nil)
			w.AddNode(sim.NodeID(d+"-"+name), func() sim.Node { n := cfg; nodes[d][idx] = &n; return &n })
		}
	}
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishZeroTrust(designs, nodes) }}, nil
}

func finishZeroTrust(designs []string, nodes map[string][]*ztService) scenarios.Result {
	var r scenarios.Result
	var c checks
	allowed := map[string]map[string]int{}
	leaked := map[string]int{}
	for _, d := range designs {
		allowed[d] = map[string]int{}
		for _, s := range nodes[d] {
			for k, n := range s.allowed {
				allowed[d][k] += n
			}
			for _, n := range s.leaked {
				leaked[d] += n
			}
		}
	}
	header := append([]string{"call (10 each)"}, designs...)
	var rows [][]string
	for _, k := range ztKinds {
		row := []string{k}
		for _, d := range designs {
			row = append(row, fmt.Sprintf("%d allowed", allowed[d][k]))
		}
		rows = append(rows, row)
	}
	row := []string{"customer records leaked"}
	for _, d := range designs {
		row = append(row, itoa(leaked[d]))
		r.Metrics = append(r.Metrics, scenarios.Metric{Name: metricName(d) + "_leaked_records", Value: float64(leaked[d]), Unit: "records"})
		for i, k := range ztKinds {
			r.Metrics = append(r.Metrics, scenarios.Metric{Name: fmt.Sprintf("%s_call%d_allowed", metricName(d), i+1), Value: float64(allowed[d][k]), Unit: "calls"})
		}
	}
	rows = append(rows, row)
	r.Summary = append(r.Summary, "which calls each design let through (the recommendations service is compromised):")
	r.Summary = append(r.Summary, table(header, rows)...)
	want := map[string][]int{ // allowed per call kind, of ztRounds
		"perimeter":     {10, 10, 10, 10, 0},
		"identity-only": {10, 10, 10, 0, 0},
		"zero-trust":    {10, 10, 0, 0, 0},
	}
	for _, d := range designs {
		for i, k := range ztKinds {
			if allowed[d][k] != want[d][i] {
				c.Failf("%s: %q allowed %d times, want %d", d, k, allowed[d][k], want[d][i])
			}
		}
	}
	if c.Err() == nil {
		r.Summary = append(r.Summary, fmt.Sprintf("the compromised service read %d customer records behind the perimeter, %d with identity alone, %d under zero trust; the legitimate calls passed in every design",
			leaked["perimeter"], leaked["identity-only"], leaked["zero-trust"]))
	}
	r.Err = c.Err()
	return r
}
