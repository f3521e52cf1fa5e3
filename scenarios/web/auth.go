package web

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "auth",
		Summary: "server-side sessions against signed tokens: lookups, revocation delay, and forged tokens refused",
		Doc: `Alice logs in three times and uses each credential against its own app
server, a request every 20ms or so:

  session          the app looks the session ID up in the session store
                   (the auth server) on every request
  token+denylist   the app verifies a signed token (HMAC-SHA256, expiring
                   2s after issue) by itself, and checks a deny list that
                   the auth server pushes to it every 500ms
  token            the same token, and no deny list

At 1.2s an administrator revokes Alice: the auth server deletes her sessions
and puts her tokens on the deny list. Mallory meanwhile logs in as herself
and tries forged tokens: algorithm "none" (no signature), an algorithm the
server does not use, Alice's name in her own token's claims, a token signed
with a guessed key, and, at 2.5s, her own token after it has expired — sent
to the token app and to a copy of it whose clock runs 1s behind.`,
		LookFor: `a session costs one lookup per request and is revoked at once; a
token costs none, and is revoked only when the next deny list arrives, or,
without one, when it expires. Every forged token is refused — except the
expired one at the server with the slow clock, which judges expiry by its
own clock: keep clocks in sync (NTP) or allow only a small leeway.`,
		Chapter: "security",
		For:     3 * time.Second,
		Setup:   setupAuth,
	})
}

const (
	authRevokeAt    = 1200 * time.Millisecond
	authTokenTTL    = 2 * time.Second
	authDenyEvery   = 500 * time.Millisecond
	authSkewedClock = -time.Second
)

// The auth protocol's messages.
type (
	// Login asks the auth server for a session and a token.
	Login struct{ User string }
	// LoginReply carries both credentials.
	LoginReply struct{ User, Session, Token string }
	// SessionLookup asks the session store who a session belongs to.
	SessionLookup struct {
		ID      uint64
		Session string
	}
	// SessionInfo answers it: Valid is false for an unknown or deleted
	// session.
	SessionInfo struct {
		ID    uint64
		Sub   string
		Valid bool
	}
	// DenyList is the auth server's list of revoked token IDs, pushed to
	// every token app.
	DenyList struct{ JTIs []string }
)

type denyTick struct{}

// authServer issues sessions and tokens, stores the sessions, and revokes.
type authServer struct {
	key      []byte
	apps     []sim.NodeID        // token apps that receive the deny list
	sessions map[string]string   // session ID -> user
	tokens   map[string][]string // user -> JTIs issued
	denied   []string            // revoked JTIs, sorted
	lookups  int
}

func (a *authServer) Start(env sim.Env) {
	a.sessions, a.tokens = map[string]string{}, map[string][]string{}
	env.SetTimer(authDenyEvery, denyTick{})
}

func (a *authServer) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Login:
		sid := fmt.Sprintf("s-%016x", env.Rand().Uint64())
		jti := fmt.Sprintf("t-%08x", env.Rand().Uint32())
		a.sessions[sid] = m.User
		a.tokens[m.User] = append(a.tokens[m.User], jti)
		tok := signToken(a.key, tokenHeader{Alg: tokenAlg}, tokenClaims{Sub: m.User, Exp: env.Now().Add(authTokenTTL).Unix(), JTI: jti})
		env.Send(from, LoginReply{User: m.User, Session: sid, Token: tok})
	case SessionLookup:
		a.lookups++
		sub, ok := a.sessions[m.Session]
		env.Send(from, SessionInfo{ID: m.ID, Sub: sub, Valid: ok})
	case denyTick:
		for _, app := range a.apps {
			env.Send(app, DenyList{JTIs: slices.Clone(a.denied)})
		}
		env.SetTimer(authDenyEvery, denyTick{})
	}
}

// revoke deletes user's sessions and denies its tokens.
func (a *authServer) revoke(env sim.Env, user string) {
	var gone []string
	for sid, u := range a.sessions {
		if u == user {
			gone = append(gone, sid)
		}
	}
	slices.Sort(gone) // map order must not show in the trace
	for _, sid := range gone {
		delete(a.sessions, sid)
	}
	a.denied = append(a.denied, a.tokens[user]...)
	slices.Sort(a.denied)
	env.Logf("revoked %s: %d sessions deleted, %d tokens denied", user, len(gone), len(a.tokens[user]))
}

// authApp is an app server that authenticates every request: by session
// lookup, or by verifying a token (and, with useDenyList, the deny list).
// A request's Key is its credential.
type authApp struct {
	scheme      string // "session" or "token"
	useDenyList bool
	key         []byte
	auth        sim.NodeID
	denied      map[string]bool
	waiting     map[uint64]waiter // requests waiting for a session lookup
	next        uint64
	requests    int
	lookups     int
	refused     map[string]int // reason -> count
}

func (a *authApp) Start(env sim.Env) {
	a.denied, a.waiting, a.refused = map[string]bool{}, map[uint64]waiter{}, map[string]int{}
}

func (a *authApp) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case service.Request:
		a.requests++
		w := waiter{from: from, req: m}
		if a.scheme == "session" {
			a.next++
			a.lookups++
			a.waiting[a.next] = w
			env.Send(a.auth, SessionLookup{ID: a.next, Session: m.Key})
			return
		}
		c, err := verifyToken(a.key, m.Key, env.Now())
		if err == nil && a.useDenyList && a.denied[c.JTI] {
			err = errors.New("revoked")
		}
		a.answer(env, w, c.Sub, err)
	case SessionInfo:
		w, ok := a.waiting[m.ID]
		if !ok {
			return
		}
		delete(a.waiting, m.ID)
		var err error
		if !m.Valid {
			err = errors.New("no such session")
		}
		a.answer(env, w, m.Sub, err)
	case DenyList:
		if a.useDenyList {
			for _, j := range m.JTIs {
				a.denied[j] = true
			}
		}
	}
}

func (a *authApp) answer(env sim.Env, w waiter, sub string, err error) {
	r := service.Response{ID: w.req.ID, Caller: w.req.Caller, Attempt: w.req.Attempt, Outcome: service.OK, Value: sub}
	if err != nil {
		reason := refusal(err)
		a.refused[reason]++
		r.Outcome, r.Value = service.Denied, reason
	}
	env.Send(w.from, r)
}

// refusal names the reason a credential was refused, for the tables.
func refusal(err error) string {
	for _, e := range []error{errAlgorithm, errSignature, errExpired, errMalformed} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return err.Error()
}

type userTick struct{}

// authUser logs in and then uses one credential, a request every 20ms or
// so, against one app, recording when it was last let in.
type authUser struct {
	name, scheme string
	app, auth    sim.NodeID
	cred         string
	next         uint64
	accepted     int
	lastOK       time.Duration // virtual time of the last accepted request's answer
	refusedBy    string        // the reason of the first refusal
}

func (u *authUser) Start(env sim.Env) { env.Send(u.auth, Login{User: u.name}) }

func (u *authUser) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case LoginReply:
		u.cred = m.Token
		if u.scheme == "session" {
			u.cred = m.Session
		}
		env.SetTimer(0, userTick{})
	case userTick:
		u.next++
		env.Send(u.app, service.Request{ID: u.next, Key: u.cred})
		env.SetTimer(15*time.Millisecond+time.Duration(env.Rand().Int64N(int64(10*time.Millisecond))), userTick{})
	case service.Response:
		if m.Outcome == service.OK {
			u.accepted++
			u.lastOK = env.Now().Sub(sim.Epoch)
		} else if u.refusedBy == "" {
			u.refusedBy = m.Value
		}
	}
}

// attack is one forged or stale token Mallory tries.
type attack struct {
	Name   string
	App    sim.NodeID
	Token  string
	Result string // "accepted" or the reason for refusal
}

type attackTime struct{ Late bool }

// mallory logs in as herself and then tries forged tokens.
type mallory struct {
	auth    sim.NodeID
	token   string
	attacks []attack
}

func (m *mallory) Start(env sim.Env) { env.Send(m.auth, Login{User: "mallory"}) }

func (m *mallory) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch r := msg.(type) {
	case LoginReply:
		m.token = r.Token
		env.SetTimer(1500*time.Millisecond-env.Now().Sub(sim.Epoch), attackTime{})
		env.SetTimer(2500*time.Millisecond-env.Now().Sub(sim.Epoch), attackTime{Late: true})
	case attackTime:
		if r.Late {
			m.try(env, "her own token, expired", "token-app", m.token)
			m.try(env, "her own token, expired, at the slow clock", "skewed-app", m.token)
			return
		}
		alice := tokenClaims{Sub: "alice", Exp: env.Now().Add(time.Hour).Unix(), JTI: "t-forged"}
		parts := strings.Split(m.token, ".")
		asAlice := strings.Split(signToken(nil, tokenHeader{Alg: tokenAlg}, alice), ".")
		m.try(env, `alg "none", unsigned`, "token-app", signToken(nil, tokenHeader{Alg: "none"}, alice))
		m.try(env, `alg "HS512"`, "token-app", signToken([]byte("guess"), tokenHeader{Alg: "HS512"}, alice))
		m.try(env, "alice's name in her own signed token", "token-app", parts[0]+"."+asAlice[1]+"."+parts[2])
		m.try(env, "signed with a guessed key", "token-app", signToken([]byte("secret"), tokenHeader{Alg: tokenAlg}, alice))
		m.try(env, "her own token, valid", "token-app", m.token)
	case service.Response:
		a := &m.attacks[r.ID-1]
		a.Result = "accepted"
		if r.Outcome != service.OK {
			a.Result = "refused: " + r.Value
		}
	}
}

func (m *mallory) try(env sim.Env, name string, app sim.NodeID, tok string) {
	m.attacks = append(m.attacks, attack{Name: name, App: app, Token: tok})
	env.Send(app, service.Request{ID: uint64(len(m.attacks)), Key: tok})
}

func setupAuth(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 500 * time.Microsecond, Max: 1500 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	key := []byte("the auth server's secret")
	auth := &authServer{key: key, apps: []sim.NodeID{"token-app", "skewed-app"}}
	w.AddNode("auth", func() sim.Node { return auth })
	apps := map[sim.NodeID]*authApp{
		"session-app": {scheme: "session", auth: "auth"},
		"token-app":   {scheme: "token", useDenyList: true, key: key, auth: "auth"},
		"plain-app":   {scheme: "token", key: key, auth: "auth"},
		"skewed-app":  {scheme: "token", useDenyList: true, key: key, auth: "auth"},
	}
	for _, id := range []sim.NodeID{"session-app", "token-app", "plain-app", "skewed-app"} {
		a := apps[id]
		w.AddNode(id, func() sim.Node { return a })
	}
	if err := net.Skew("skewed-app", authSkewedClock); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	users := []*authUser{
		{name: "alice", scheme: "session", app: "session-app", auth: "auth"},
		{name: "alice", scheme: "token+denylist", app: "token-app", auth: "auth"},
		{name: "alice", scheme: "token", app: "plain-app", auth: "auth"},
	}
	for i, u := range users {
		w.AddClient(sim.NodeID(fmt.Sprintf("alice%d", i+1)), func() sim.Node { return u })
	}
	mal := &mallory{auth: "auth"}
	w.AddClient("mallory", func() sim.Node { return mal })
	w.At(authRevokeAt, func() {
		w.Logf("an administrator revokes alice")
		_ = w.Exec("auth", func(n sim.Node, env sim.Env) { n.(*authServer).revoke(env, "alice") })
	})
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishAuth(auth, apps, users, mal) }}, nil
}

func finishAuth(auth *authServer, apps map[sim.NodeID]*authApp, users []*authUser, mal *mallory) scenarios.Result {
	var r scenarios.Result
	var check firstErr
	var rows [][]string
	delay := map[string]time.Duration{}
	for _, u := range users {
		app := apps[u.app]
		perReq := float64(app.lookups) / float64(max(1, app.requests))
		d := max(0, u.lastOK-authRevokeAt)
		delay[u.scheme] = d
		stopped := "revocation"
		if u.scheme == "token" {
			stopped = "expiry"
		}
		rows = append(rows, []string{u.scheme, fmt.Sprintf("%.2f", perReq), dur(d), stopped + " (" + u.refusedBy + ")"})
		name := strings.ReplaceAll(u.scheme, "+", "_")
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: name + "_lookups_per_request", Value: perReq, Unit: "lookups"},
			scenarios.Metric{Name: name + "_revocation_delay", Value: d.Seconds(), Unit: "s"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("alice revoked at %s; tokens expire %s after issue, the deny list is pushed every %s:", dur(authRevokeAt), dur(authTokenTTL), dur(authDenyEvery)))
	r.Summary = append(r.Summary, table([]string{"scheme", "lookups/request", "accepted after revocation for", "stopped by"}, rows)...)
	rows = nil
	accepted := 0
	for _, a := range mal.attacks {
		rows = append(rows, []string{a.Name, string(a.App), a.Result})
		if a.Result == "accepted" {
			accepted++
		}
	}
	r.Summary = append(r.Summary, "mallory's tokens:")
	r.Summary = append(r.Summary, table([]string{"token", "sent to", "verdict"}, rows)...)
	r.Metrics = append(r.Metrics, scenarios.Metric{Name: "forged_accepted", Value: float64(accepted), Unit: "tokens"},
		scenarios.Metric{Name: "session_store_lookups", Value: float64(auth.lookups), Unit: "lookups"})

	want := map[string]string{
		`alg "none", unsigned`:                      "refused: unexpected algorithm",
		`alg "HS512"`:                               "refused: unexpected algorithm",
		"alice's name in her own signed token":      "refused: bad signature",
		"signed with a guessed key":                 "refused: bad signature",
		"her own token, valid":                      "accepted",
		"her own token, expired":                    "refused: expired",
		"her own token, expired, at the slow clock": "accepted",
	}
	if len(mal.attacks) != len(want) {
		check.failf("mallory made %d attempts, want %d", len(mal.attacks), len(want))
	}
	for _, a := range mal.attacks {
		if a.Result != want[a.Name] {
			check.failf("mallory's %s at %s: %q, want %q", a.Name, a.App, a.Result, want[a.Name])
		}
	}
	switch {
	case delay["session"] > 10*time.Millisecond:
		check.failf("a revoked session was accepted for %s", dur(delay["session"]))
	case delay["token+denylist"] > authDenyEvery+10*time.Millisecond || delay["token+denylist"] < 50*time.Millisecond:
		check.failf("with a deny list pushed every %s a revoked token was accepted for %s", dur(authDenyEvery), dur(delay["token+denylist"]))
	case delay["token"] < delay["token+denylist"]+100*time.Millisecond:
		check.failf("without a deny list a revoked token should live until it expires; it was accepted for %s", dur(delay["token"]))
	}
	if check.err == nil {
		r.Summary = append(r.Summary, "sessions cost a lookup per request and revoke at once; tokens cost none and revoke at the next deny list, or at expiry without one; the slow clock accepted an expired token")
	}
	r.Err = check.err
	return r
}
