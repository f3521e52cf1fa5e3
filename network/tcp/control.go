package tcp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// ProtocolVersion is the wire version a Hello names. A node refuses a peer
// that speaks another one rather than misread its frames.
const ProtocolVersion = 1

// Who opens a connection, as a Hello says.
const (
	KindPeer   = "peer"   // another member: sends protocol messages
	KindClient = "client" // a client such as `dsim kv`: gets replies on the same connection
	KindAdmin  = "admin"  // `dsim status` and `dsim fault`
)

// The handshake. The side that dials sends Hello; the side that accepts
// answers Challenge; the dialer answers Proof; the acceptor says Welcome or
// Refused. With a shared secret, Challenge.MAC proves the acceptor knows it
// and Proof.MAC proves the dialer does, each over both fresh nonces, so a
// recorded proof is useless on the next connection. Without a secret the
// MACs are empty and the handshake only checks names and the version.
type Hello struct {
	Cluster string
	From    sim.NodeID
	To      sim.NodeID
	Version int
	Kind    string
	Nonce   []byte
}

// Challenge is the acceptor's answer to a Hello it accepts so far.
type Challenge struct {
	Nonce []byte
	MAC   []byte
}

// Proof is the dialer's answer to a Challenge.
type Proof struct{ MAC []byte }

// Welcome ends a successful handshake.
type Welcome struct{}

// Refused ends a failed one, saying why.
type Refused struct{ Reason string }

// Ping keeps an idle connection's read deadline from expiring, and lets a
// dead link (a cable pulled, a namespace's link down) be noticed.
type Ping struct{}

// StatusRequest asks a node for its Inspect() and the runtime's counters.
type StatusRequest struct{}

// StatusReply answers it. Inspect holds the node's own keys; the
// runtime's counters are under "tcp.".
type StatusReply struct {
	ID      sim.NodeID
	Inspect map[string]string
	Faults  string
}

// FaultRequest changes the transport's faults; see Faults.
type FaultRequest struct {
	Action string // "block", "unblock", "delay", "drop" or "heal"
	A, B   sim.NodeID
	Delay  time.Duration
	Drop   float64
}

// FaultReply says what faults are now in force, or why the request was refused.
type FaultReply struct {
	ID     sim.NodeID
	Faults string
	Err    string
}

var controlMessages = []struct {
	name string
	zero sim.Message
}{
	{"tcp.Hello", Hello{}},
	{"tcp.Challenge", Challenge{}},
	{"tcp.Proof", Proof{}},
	{"tcp.Welcome", Welcome{}},
	{"tcp.Refused", Refused{}},
	{"tcp.Ping", Ping{}},
	{"tcp.StatusRequest", StatusRequest{}},
	{"tcp.StatusReply", StatusReply{}},
	{"tcp.FaultRequest", FaultRequest{}},
	{"tcp.FaultReply", FaultReply{}},
}

// nonceSize is 128 bits of crypto/rand per side.
const nonceSize = 16

func newNonce() []byte {
	b := make([]byte, nonceSize)
	if _, err := rand.Read(b); err != nil {
		panic("tcp: crypto/rand failed: " + err.Error()) // never fails on supported systems
	}
	return b
}

// handshakeMAC is HMAC-SHA256 over a role word and the handshake's fields,
// each length-prefixed so no two field lists give the same bytes.
func handshakeMAC(secret []byte, role string, h Hello, acceptorNonce []byte) []byte {
	m := hmac.New(sha256.New, secret)
	for _, part := range [][]byte{[]byte(role), []byte(h.Cluster), []byte(h.From), []byte(h.To), []byte(h.Kind), h.Nonce, acceptorNonce} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		m.Write(n[:])
		m.Write(part)
	}
	return m.Sum(nil)
}
