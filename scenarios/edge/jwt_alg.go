package edge

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "jwt-alg-confusion",
		Summary: "a verifier that trusts the token's alg accepts an HS256 token signed with the RS256 public key; a pinned verifier refuses it; revocation by a deny list, and its delay",
		Doc: `An issuer signs tokens with RS256: an RSA private key only it holds
(derived from the seed). Its public key is public — any client may fetch it
(a JWKS endpoint), which is fine for RS256: the public key can only verify.
Three API servers check tokens with that public key:

  trust-header        uses the algorithm the token's header names, with
                      the key it has: RS256 → RSA, HS256 → HMAC keyed with
                      the public key's PEM text (how several JWT libraries
                      behaved: CVE-2015-9235).
  pinned              accepts RS256 and nothing else.
  pinned-no-deny-list pinned, but keeps no deny list.

Mallory fetches the public key, writes herself a token {sub: mallory, role:
admin}, puts "alg": "HS256" in its header and signs it with HMAC keyed with
that public key, then asks each API for /admin ten times.

Meanwhile alice logs in (a token valid for 2s) and is phished at 200ms: a
thief uses her token on every API every 10ms. At 1s alice revokes it. The
issuer adds its ID to a deny list and pushes the list to the APIs every
250ms (the knob deny-sync), as a shared cache would spread it.`,
		LookFor: `Mallory's forged admin token: accepted 10 of 10 times by trust-header,
0 by the pinned verifiers. The stolen token: every API accepts it until the
deny list arrives — the window column, at most deny-sync plus a network
delay after the revocation at 1s — and then refuses it; without a deny
list it is accepted until it expires at about 2s. A stateless token cannot
be taken back; a deny list buys revocation at the price of a lookup and a
propagation delay.`,
		Chapter: "security",
		Knobs: []scenarios.Knob{
			{Name: "deny-sync", Kind: scenarios.KnobDuration, Default: "250ms", Min: float64(10 * time.Millisecond), Max: float64(time.Second), Doc: "how often the issuer pushes the deny list to the APIs"},
		},
		For:   3 * time.Second,
		Setup: setupJWT,
	})
}

const (
	jwtTTL       = 2 * time.Second
	jwtLeakAt    = 200 * time.Millisecond
	jwtRevokeAt  = time.Second
	jwtThiefStop = 2500 * time.Millisecond
	jwtForgeries = 10
)

// Messages of the JWT scenario.
type (
	// Login asks the issuer for a token for User.
	Login struct{ User string }
	// TokenIssued answers Login.
	TokenIssued struct {
		Token string
		JTI   string
		ExpMS int64
	}
	// GetJWKS asks the issuer for its public key.
	GetJWKS struct{}
	// JWKS is the issuer's public key, PEM text.
	JWKS struct{ PEM string }
	// Revoke asks the issuer to revoke token JTI.
	Revoke struct{ JTI string }
	// DenyList is every revoked token ID, pushed by the issuer.
	DenyList struct{ JTIs []string }
	// APIRequest asks an API for Resource, presenting Token.
	APIRequest struct {
		ID       int
		Token    string
		Resource string
	}
	// APIReply answers it; Why says why it was refused.
	APIReply struct {
		ID  int
		OK  bool
		Sub string
		Why string
	}
	// Leak hands a stolen token to the thief.
	Leak struct{ Token string }
)

type syncTick struct{}

func nowMS(env sim.Env) int64 { return env.Now().UnixMilli() }

// issuer signs RS256 tokens, hands out its public key and keeps the deny
// list, pushing it to the APIs every sync.
type issuer struct {
	key    *rsa.PrivateKey
	apis   []sim.NodeID
	sync   time.Duration
	issued int
	deny   []string // revoked token IDs, sorted
}

func (s *issuer) Start(env sim.Env) { env.SetTimer(s.sync, syncTick{}) }
func (s *issuer) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Login:
		s.issued++
		c := JWTClaims{Sub: m.User, Role: "user", Exp: nowMS(env) + jwtTTL.Milliseconds(), JTI: fmt.Sprintf("t%d", s.issued)}
		env.Send(from, TokenIssued{Token: SignRS256(s.key, c), JTI: c.JTI, ExpMS: c.Exp})
	case GetJWKS:
		env.Send(from, JWKS{PEM: PublicPEM(&s.key.PublicKey)})
	case Revoke:
		i := sort.SearchStrings(s.deny, m.JTI)
		if i == len(s.deny) || s.deny[i] != m.JTI {
			s.deny = append(s.deny[:i], append([]string{m.JTI}, s.deny[i:]...)...)
			env.Logf("token %s revoked; the APIs learn it with the next deny-list push", m.JTI)
		}
	case syncTick:
		if len(s.deny) > 0 {
			for _, a := range s.apis {
				env.Send(a, DenyList{JTIs: append([]string(nil), s.deny...)})
			}
		}
		env.SetTimer(s.sync, syncTick{})
	}
}
func (s *issuer) Inspect() map[string]string {
	return map[string]string{"issued": strconv.Itoa(s.issued), "revoked": strconv.Itoa(len(s.deny))}
}

// jwtAPI serves /account to any valid token and /admin to role admin.
type jwtAPI struct {
	verifier Verifier
	useDeny  bool
	deny     map[string]bool
	accepted int
	refused  map[string]int // by reason
}

func (a *jwtAPI) Start(sim.Env) { a.deny, a.refused = map[string]bool{}, map[string]int{} }
func (a *jwtAPI) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case DenyList:
		if a.useDeny {
			for _, j := range m.JTIs {
				a.deny[j] = true
			}
		}
	case APIRequest:
		c, err := a.verifier.Verify(m.Token, nowMS(env))
		if err == nil && a.deny[c.JTI] {
			err = ErrRevoked
		}
		if err == nil && m.Resource == "/admin" && c.Role != "admin" {
			err = errors.New("forbidden")
		}
		if err != nil {
			a.refused[err.Error()]++
			env.Send(from, APIReply{ID: m.ID, Why: err.Error()})
			return
		}
		a.accepted++
		env.Send(from, APIReply{ID: m.ID, OK: true, Sub: c.Sub})
	}
}
func (a *jwtAPI) Inspect() map[string]string {
	out := map[string]string{"accepted": strconv.Itoa(a.accepted), "deny list": strconv.Itoa(len(a.deny))}
	for why, n := range a.refused {
		out["refused: "+why] = strconv.Itoa(n)
	}
	return out
}

type leakTime struct{}
type revokeTime struct{}

// alice logs in, is phished at jwtLeakAt and revokes her token at
// jwtRevokeAt.
type alice struct {
	issuer, thief sim.NodeID
	tok           TokenIssued
}

func (u *alice) Start(env sim.Env) {
	env.Send(u.issuer, Login{User: "alice"})
	env.SetTimer(jwtLeakAt, leakTime{})
	env.SetTimer(jwtRevokeAt, revokeTime{})
}
func (u *alice) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case TokenIssued:
		u.tok = m
	case leakTime:
		env.Send(u.thief, Leak{Token: u.tok.Token})
	case revokeTime:
		env.Logf("alice finds her token stolen and revokes it")
		env.Send(u.issuer, Revoke{JTI: u.tok.JTI})
	}
}

func (u *alice) Inspect() map[string]string {
	return map[string]string{"token": u.tok.JTI, "expires": strconv.FormatInt(u.tok.ExpMS, 10)}
}

type thiefTick struct{}

// thief uses a stolen token on every API every 10ms, and records when each
// accepted it.
type thief struct {
	apis     []sim.NodeID
	token    string
	next     int
	target   map[int]sim.NodeID
	accepted map[sim.NodeID][]time.Duration // acceptance times per API
}

func (t *thief) Start(sim.Env) {
	t.target, t.accepted = map[int]sim.NodeID{}, map[sim.NodeID][]time.Duration{}
}
func (t *thief) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Leak:
		t.token = m.Token
		env.SetTimer(0, thiefTick{})
	case thiefTick:
		if since(env.Now()) >= jwtThiefStop {
			return
		}
		for _, a := range t.apis {
			t.next++
			t.target[t.next] = a
			env.Send(a, APIRequest{ID: t.next, Token: t.token, Resource: "/account"})
		}
		env.SetTimer(10*time.Millisecond, thiefTick{})
	case APIReply:
		if m.OK {
			a := t.target[m.ID]
			t.accepted[a] = append(t.accepted[a], since(env.Now()))
		}
	}
}

func (t *thief) Inspect() map[string]string {
	out := map[string]string{"has token": strconv.FormatBool(t.token != "")}
	for a, ts := range t.accepted {
		out["accepted by "+string(a)] = strconv.Itoa(len(ts))
	}
	return out
}

type forgeTick struct{}

// mallory fetches the public key, forges an HS256 admin token with it, and
// tries it jwtForgeries times on every API.
type mallory struct {
	issuer   sim.NodeID
	apis     []sim.NodeID
	forged   string
	tries    int
	next     int
	target   map[int]sim.NodeID
	accepted map[sim.NodeID]int
}

func (m *mallory) Start(env sim.Env) {
	m.target, m.accepted = map[int]sim.NodeID{}, map[sim.NodeID]int{}
	env.Send(m.issuer, GetJWKS{})
}
func (m *mallory) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch r := msg.(type) {
	case JWKS:
		m.forged = SignHS256([]byte(r.PEM), JWTClaims{Sub: "mallory", Role: "admin", Exp: nowMS(env) + time.Hour.Milliseconds(), JTI: "forged"})
		env.Logf("forged an HS256 admin token, HMAC keyed with the issuer's public key")
		env.SetTimer(0, forgeTick{})
	case forgeTick:
		if m.tries >= jwtForgeries {
			return
		}
		m.tries++
		for _, a := range m.apis {
			m.next++
			m.target[m.next] = a
			env.Send(a, APIRequest{ID: m.next, Token: m.forged, Resource: "/admin"})
		}
		env.SetTimer(100*time.Millisecond, forgeTick{})
	case APIReply:
		if r.OK {
			m.accepted[m.target[r.ID]]++
		}
	}
}

func (m *mallory) Inspect() map[string]string {
	out := map[string]string{"forged token": strconv.FormatBool(m.forged != ""), "tries": strconv.Itoa(m.tries)}
	for a, n := range m.accepted {
		out["accepted by "+string(a)] = strconv.Itoa(n)
	}
	return out
}

func setupJWT(o scenarios.Options) (*scenarios.Run, error) {
	sync := o.Knobs.Duration("deny-sync")
	key := SeedRSAKey(o.Seed, "jwt-alg-confusion issuer")
	pemText := PublicPEM(&key.PublicKey)
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 3 * time.Millisecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	names := []string{"trust-header", "pinned", "pinned-no-deny-list"}
	apis := make([]sim.NodeID, len(names))
	for i, n := range names {
		apis[i] = sim.NodeID("api-" + n)
		v := Verifier{Key: &key.PublicKey, KeyPEM: pemText, TrustHeader: n == "trust-header"}
		useDeny := n != "pinned-no-deny-list"
		w.AddNode(apis[i], func() sim.Node { return &jwtAPI{verifier: v, useDeny: useDeny} })
	}
	var th *thief
	var ml *mallory
	w.AddNode("issuer", func() sim.Node { return &issuer{key: key, apis: apis, sync: sync} })
	w.AddClient("alice", func() sim.Node { return &alice{issuer: "issuer", thief: "thief"} })
	w.AddClient("thief", func() sim.Node { th = &thief{apis: apis}; return th })
	w.AddClient("mallory", func() sim.Node { ml = &mallory{issuer: "issuer", apis: apis}; return ml })
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishJWT(names, apis, th, ml, sync) }}, nil
}

func finishJWT(names []string, apis []sim.NodeID, th *thief, ml *mallory, sync time.Duration) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	forged := map[string]int{}
	last := map[string]time.Duration{}
	after := map[string]int{}
	for i, n := range names {
		forged[n] = ml.accepted[apis[i]]
		for _, t := range th.accepted[apis[i]] {
			if t > jwtRevokeAt {
				after[n]++
			}
			last[n] = max(last[n], t)
		}
		window := "-"
		if last[n] > jwtRevokeAt {
			window = dur(last[n] - jwtRevokeAt)
		}
		rows = append(rows, []string{n, fmt.Sprintf("%d/%d", forged[n], ml.tries), itoa(len(th.accepted[apis[i]])), itoa(after[n]), window})
		m := metricName(n)
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: m + "_forged_accepted", Value: float64(forged[n]), Unit: "requests"},
			scenarios.Metric{Name: m + "_revoked_accepted", Value: float64(after[n]), Unit: "requests"},
			scenarios.Metric{Name: m + "_revocation_window", Value: max(last[n]-jwtRevokeAt, 0).Seconds(), Unit: "s"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("mallory's HS256 admin token signed with the RS256 public key; alice's token stolen at %s, revoked at %s, expiring at about %s; deny list pushed every %s:",
		jwtLeakAt, jwtRevokeAt, jwtTTL, sync))
	r.Summary = append(r.Summary, table([]string{"API", "forged admin accepted", "stolen token accepted", "after revocation", "window after revocation"}, rows)...)
	switch {
	case ml.tries != jwtForgeries || forged["trust-header"] != jwtForgeries:
		c.Failf("trust-header should accept the forged token every time: %d of %d", forged["trust-header"], ml.tries)
	case forged["pinned"]+forged["pinned-no-deny-list"] != 0:
		c.Failf("a pinned verifier accepted the forged token")
	case last["pinned"] <= jwtRevokeAt || last["pinned"]-jwtRevokeAt > sync+20*time.Millisecond:
		c.Failf("pinned with a deny list accepted the stolen token until %s after revocation; want within deny-sync (%s) plus a network delay", dur(last["pinned"]-jwtRevokeAt), sync)
	case last["pinned-no-deny-list"] < jwtTTL-30*time.Millisecond:
		c.Failf("without a deny list the stolen token should live until it expires (~%s), last accepted at %s", jwtTTL, dur(last["pinned-no-deny-list"]))
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("trusting the header let mallory in as admin %d times; pinning RS256 refused her every time; the deny list closed the stolen token %s after revocation, no deny list only at expiry (%s later)",
			forged["trust-header"], dur(last["pinned"]-jwtRevokeAt), dur(last["pinned-no-deny-list"]-jwtRevokeAt)))
	}
	r.Err = c.Err()
	return r
}
