package bft

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/dsimlab/dsim/sim"
)

// Send is step 1: the origin's value for instance (Origin, Seq).
type Send struct {
	Origin sim.NodeID
	Seq    uint64
	Value  string
	Sig    string // hex ed25519 by Origin over SendPayload
}

// Echo is step 2: From vouches that Origin sent it Value for instance Seq.
type Echo struct {
	From   sim.NodeID
	Origin sim.NodeID
	Seq    uint64
	Value  string
	Sig    string // hex ed25519 by From over EchoPayload
}

// Final is step 3: Value with a certificate of echoes.
type Final struct {
	Origin sim.NodeID
	Seq    uint64
	Value  string
	Echoes []Echo
}

// SendPayload and EchoPayload are the bytes signed.
func SendPayload(origin sim.NodeID, seq uint64, value string) []byte {
	return []byte("send|" + string(origin) + "|" + strconv.FormatUint(seq, 10) + "|" + value)
}

// EchoPayload is what an echo's signer signs.
func EchoPayload(origin sim.NodeID, seq uint64, value string) []byte {
	return []byte("echo|" + string(origin) + "|" + strconv.FormatUint(seq, 10) + "|" + value)
}

// Sign signs payload with key, in hex.
func Sign(key ed25519.PrivateKey, payload []byte) string {
	return hex.EncodeToString(ed25519.Sign(key, payload))
}

// DeriveKey derives node id's signing key from secret: deterministic, so a
// run replays; different for every node and every secret.
func DeriveKey(secret []byte, id sim.NodeID) ed25519.PrivateKey {
	h := sha256.New()
	h.Write(secret)
	h.Write([]byte{0})
	h.Write([]byte(id))
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}

// Config sets up a Node.
type Config struct {
	// Members are all n nodes, Byzantine ones included.
	Members []sim.NodeID
	// F is how many Byzantine nodes the quorums are sized for.
	F int
	// Keys are every member's public key; Key is this node's private key.
	Keys map[sim.NodeID]ed25519.PublicKey
	Key  ed25519.PrivateKey
	// SkipVerify accepts every signature unchecked: an unauthenticated
	// protocol, to show what forging does.
	SkipVerify bool
}

// ErrConfig wraps configuration errors.
var ErrConfig = errors.New("bft: invalid config")

// Validate reports what is wrong.
func (c Config) Validate() error {
	switch {
	case c.F < 0 || len(c.Members) <= c.F:
		return fmt.Errorf("%w: %d members cannot tolerate f=%d", ErrConfig, len(c.Members), c.F)
	case len(c.Key) != ed25519.PrivateKeySize:
		return fmt.Errorf("%w: no private key", ErrConfig)
	}
	for _, m := range c.Members {
		if len(c.Keys[m]) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: no public key for %s", ErrConfig, m)
		}
	}
	return nil
}

// Quorum is n−f: the most echoes a node can wait for when f never answer.
// It intersects every other quorum in an honest node only if n ≥ 3f+1.
func (c Config) Quorum() int { return len(c.Members) - c.F }

// Delivery is one value a node delivered.
type Delivery struct {
	Origin sim.NodeID
	Seq    uint64
	Value  string
}

type instance struct {
	origin sim.NodeID
	seq    uint64
}

// Node is an honest participant: it broadcasts its own values and echoes,
// delivers and relays everybody's.
type Node struct {
	cfg Config
	// seq numbers this node's own broadcasts.
	seq uint64
	// echoed is the one value this node echoed per instance: it never
	// echoes a second (invariant: set once, never changed).
	echoed map[instance]string
	// echoes are the echoes collected for this node's own instances, by
	// value and signer.
	echoes map[instance]map[string]map[sim.NodeID]Echo
	// finalSent marks own instances whose certificate went out.
	finalSent map[instance]bool
	// delivered is the value delivered per instance (set once).
	delivered  map[instance]string
	deliveries []Delivery
	// Counters for the curious: bad signatures and certificates refused,
	// and valid certificates for a value other than the one delivered
	// (proof that the origin equivocated).
	badSigs, badFinals, conflicts int
}

// New returns a node; it panics on a bad config (check Validate first).
func New(cfg Config) *Node {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg.Members = slices.Clone(cfg.Members)
	slices.Sort(cfg.Members)
	return &Node{cfg: cfg}
}

// Start resets the volatile state.
func (n *Node) Start(sim.Env) {
	n.echoed, n.echoes = map[instance]string{}, map[instance]map[string]map[sim.NodeID]Echo{}
	n.finalSent, n.delivered = map[instance]bool{}, map[instance]string{}
}

// Broadcast starts a broadcast of value with this node as origin.
func (n *Node) Broadcast(env sim.Env, value string) {
	n.seq++
	s := Send{Origin: env.ID(), Seq: n.seq, Value: value, Sig: Sign(n.cfg.Key, SendPayload(env.ID(), n.seq, value))}
	n.toAll(env, s)
}

// toAll sends msg to every member, itself included (handled at once).
func (n *Node) toAll(env sim.Env, msg sim.Message) {
	for _, m := range n.cfg.Members {
		if m == env.ID() {
			n.Receive(env, m, msg)
			continue
		}
		env.Send(m, msg)
	}
}

func (n *Node) verify(signer sim.NodeID, payload []byte, sig string) bool {
	if n.cfg.SkipVerify {
		return true
	}
	key, ok := n.cfg.Keys[signer]
	if !ok {
		return false
	}
	b, err := hex.DecodeString(sig)
	return err == nil && ed25519.Verify(key, payload, b)
}

// Receive dispatches on the message type: one handler per step.
func (n *Node) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Send:
		n.handleSend(env, from, m)
	case Echo:
		n.handleEcho(env, m)
	case Final:
		n.handleFinal(env, m)
	}
}

// handleSend is step 2: echo the origin's first value, once.
func (n *Node) handleSend(env sim.Env, from sim.NodeID, m Send) {
	if from != m.Origin || !n.verify(m.Origin, SendPayload(m.Origin, m.Seq, m.Value), m.Sig) {
		n.badSigs++
		return
	}
	in := instance{m.Origin, m.Seq}
	if _, done := n.echoed[in]; done {
		return // one echo per instance, whatever the origin says next
	}
	n.echoed[in] = m.Value
	e := Echo{From: env.ID(), Origin: m.Origin, Seq: m.Seq, Value: m.Value, Sig: Sign(n.cfg.Key, EchoPayload(m.Origin, m.Seq, m.Value))}
	if m.Origin == env.ID() {
		n.handleEcho(env, e)
		return
	}
	env.Send(m.Origin, e)
}

// handleEcho is step 3, at the origin: a quorum of echoes for one value
// becomes a certificate, sent to all.
func (n *Node) handleEcho(env sim.Env, m Echo) {
	if m.Origin != env.ID() || !n.verify(m.From, EchoPayload(m.Origin, m.Seq, m.Value), m.Sig) {
		n.badSigs++
		return
	}
	in := instance{m.Origin, m.Seq}
	if n.finalSent[in] {
		return
	}
	byValue := n.echoes[in]
	if byValue == nil {
		byValue = map[string]map[sim.NodeID]Echo{}
		n.echoes[in] = byValue
	}
	if byValue[m.Value] == nil {
		byValue[m.Value] = map[sim.NodeID]Echo{}
	}
	byValue[m.Value][m.From] = m
	if len(byValue[m.Value]) < n.cfg.Quorum() {
		return
	}
	n.finalSent[in] = true
	f := Final{Origin: m.Origin, Seq: m.Seq, Value: m.Value}
	for _, id := range n.cfg.Members { // in member order: deterministic
		if e, ok := byValue[m.Value][id]; ok {
			f.Echoes = append(f.Echoes, e)
		}
	}
	n.toAll(env, f)
}

// ValidCertificate counts the distinct members whose valid signature on
// the final's value is in its certificate, and says whether they reach a
// quorum.
func (n *Node) ValidCertificate(f Final) (int, bool) {
	seen := map[sim.NodeID]bool{}
	for _, e := range f.Echoes {
		if seen[e.From] || e.Origin != f.Origin || e.Seq != f.Seq || e.Value != f.Value || !slices.Contains(n.cfg.Members, e.From) {
			continue
		}
		if !n.verify(e.From, EchoPayload(f.Origin, f.Seq, f.Value), e.Sig) {
			n.badSigs++
			continue
		}
		seen[e.From] = true
	}
	return len(seen), len(seen) >= n.cfg.Quorum()
}

// handleFinal is step 4: deliver a certified value, once, and relay it.
func (n *Node) handleFinal(env sim.Env, m Final) {
	in := instance{m.Origin, m.Seq}
	if v, done := n.delivered[in]; done {
		if v != m.Value {
			if _, ok := n.ValidCertificate(m); ok {
				n.conflicts++
				env.Logf("a second valid certificate for %s#%d (%q, I delivered %q): %s equivocated", m.Origin, m.Seq, m.Value, v, m.Origin)
			}
		}
		return
	}
	if got, ok := n.ValidCertificate(m); !ok {
		n.badFinals++
		env.Logf("refused a certificate for %s#%d with %d valid signatures of the %d needed", m.Origin, m.Seq, got, n.cfg.Quorum())
		return
	}
	n.delivered[in] = m.Value
	n.deliveries = append(n.deliveries, Delivery{Origin: m.Origin, Seq: m.Seq, Value: m.Value})
	env.Logf("delivered %q from %s#%d", m.Value, m.Origin, m.Seq)
	for _, id := range n.cfg.Members {
		if id != env.ID() {
			env.Send(id, m)
		}
	}
}

// Deliveries lists what this node delivered, in order.
func (n *Node) Deliveries() []Delivery { return slices.Clone(n.deliveries) }

// Stats returns the refusals: bad signatures, certificates refused, and
// conflicting valid certificates seen after delivering.
func (n *Node) Stats() (badSigs, badFinals, conflicts int) {
	return n.badSigs, n.badFinals, n.conflicts
}

// Inspect describes the node for tools.
func (n *Node) Inspect() map[string]string {
	out := map[string]string{"delivered": strconv.Itoa(len(n.deliveries)), "bad signatures": strconv.Itoa(n.badSigs),
		"certificates refused": strconv.Itoa(n.badFinals), "quorum": strconv.Itoa(n.cfg.Quorum())}
	if n.cfg.SkipVerify {
		out["signatures"] = "NOT CHECKED"
	}
	return out
}
