package edge

import (
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/consensus/bft"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "byzantine",
		Summary: "one liar in five breaks Raft's agreement; Byzantine reliable broadcast with signed messages keeps agreement with f liars when n = 3f+1, not when n = 3f, and not without signatures",
		Doc: `Crash-tolerant consensus assumes a node follows the protocol or stops.
A Byzantine node does anything, worst of all telling different peers
different things (equivocating) and claiming others said what they did not
(forging). Two experiments, side by side.

Raft, five nodes. At 800ms the leader is compromised: the network makes
it equivocate (network.Model.Equivocate, the fault the schedule verb
"equivocate" plays), with a lie that knows Raft: in every AppendEntries to
the two highest-named followers, each command "set x=k" becomes
"set x=666". The leader's code
is unchanged and honest; what leaves it is not. It then proposes three
commands.

Byzantine reliable broadcast (package consensus/bft: signed echo
broadcast, Reiter 1994, with the certificate relayed), f liars among n
(the knobs f and n; n defaults to 3f+1). A node echoes — votes for — one
value per broadcast, signed with ed25519; a value is delivered with a
certificate of n−f signed echoes. The liars collude: n1, their origin,
sends value X to half the honest nodes and Y to the other half, signs
echoes for both with every liar's key, and pads each certificate up to a
quorum with echoes it forges for honest nodes of the other half. Every
honest node also broadcasts a value of its own. Three clusters:

  n (default 3f+1), signed   signatures checked
  n = 3f, signed             one node too few
  n = 3f+1, unsigned         signatures not checked (Config.SkipVerify)

Keys are derived from the seed and each node's name.`,
		LookFor: `Raft: the replicas apply different commands at the same log index —
"set x=1" on the leader and two followers, "set x=666" on the other two —
with one liar in five; Raft has no defence because it trusts the leader's
log. BFT with n = 3f+1 and signatures: every honest node delivers the same
value from the liar (X: the half that got Y refuses Y's certificate, whose
forged echoes fail verification, then delivers X when an honest node
relays it), the forged signatures are counted as refused, and every honest
broadcast is delivered. With n = 3f: two quorums of n−f = 2f overlap only
in the f liars, whose signatures are real: half the honest nodes deliver X,
half Y. Without signature checks, n = 3f+1 is not enough either: the forged
echoes make both certificates valid.`,
		Chapter: "security",
		Knobs: []scenarios.Knob{
			{Name: "f", Kind: scenarios.KnobInt, Default: "1", Min: 1, Max: 3, Doc: "Byzantine nodes in each BFT cluster (they collude)"},
			{Name: "n", Kind: scenarios.KnobInt, Default: "0", Min: 0, Max: 13, Doc: "size of the first BFT cluster; 0 means 3f+1"},
		},
		For:   2 * time.Second,
		Setup: setupByzantine,
	})
}

const (
	byzCompromise = 800 * time.Millisecond
	byzPropose    = 900 * time.Millisecond
)

// raftReplica is a Raft node that records what it applies.
type raftReplica struct {
	node    *raft.Node
	applied map[uint64]string
}

func (r *raftReplica) Start(env sim.Env) { r.node.Start(env) }
func (r *raftReplica) Receive(env sim.Env, from sim.NodeID, m sim.Message) {
	r.node.Receive(env, from, m)
}
func (r *raftReplica) Apply(env sim.Env, index uint64, cmd []byte) { r.applied[index] = string(cmd) }
func (r *raftReplica) Snapshot() []byte                            { return nil }
func (r *raftReplica) Restore(uint64, []byte)                      {}
func (r *raftReplica) Inspect() map[string]string {
	out := r.node.Inspect()
	out["applied"] = strconv.Itoa(len(r.applied))
	return out
}

// raftLie rewrites the commands of every AppendEntries to the followers in
// victims: a leader telling two followers a different log.
func raftLie(victims []sim.NodeID) network.Equivocation {
	return func(from, to sim.NodeID, msg sim.Message, _ *rand.Rand) sim.Message {
		ae, ok := msg.(raft.AppendEntries)
		if !ok || len(ae.Entries) == 0 || !slices.Contains(victims, to) {
			return msg
		}
		lie := ae
		lie.Entries = make([]raft.Entry, len(ae.Entries)) // a copy: the leader's log stays as it is
		for i, e := range ae.Entries {
			lie.Entries[i] = e
			if e.Command != nil {
				lie.Entries[i].Command = []byte(strings.SplitN(string(e.Command), "=", 2)[0] + "=666")
			}
		}
		return lie
	}
}

// liarOrigin is the colluding liars' origin: it equivocates, signs echoes
// with every liar's key, and forges echoes for honest nodes.
type liarOrigin struct {
	members    []sim.NodeID
	liarKeys   map[sim.NodeID]ed25519.PrivateKey
	quorum     int
	campA      []sim.NodeID // told X
	campB      []sim.NodeID // told Y
	realEchoes map[string][]bft.Echo
	forged     int
}

type liarTick struct{ Step int }

func (l *liarOrigin) Start(env sim.Env) {
	l.realEchoes = map[string][]bft.Echo{}
	env.SetTimer(time.Millisecond, liarTick{Step: 1})
	env.SetTimer(40*time.Millisecond, liarTick{Step: 2})
}

func (l *liarOrigin) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	me := env.ID()
	switch m := msg.(type) {
	case liarTick:
		if m.Step == 1 {
			l.tell(env, "X", l.campA)
			l.tell(env, "Y", l.campB)
			return
		}
		l.finalize(env, "X", l.campA, l.campB)
		l.finalize(env, "Y", l.campB, l.campA)
	case bft.Echo:
		if m.Origin == me && m.Seq == 1 {
			l.realEchoes[m.Value] = append(l.realEchoes[m.Value], m)
		}
	}
	// everything else (honest nodes' broadcasts): silence
}

func (l *liarOrigin) tell(env sim.Env, value string, camp []sim.NodeID) {
	me := env.ID()
	s := bft.Send{Origin: me, Seq: 1, Value: value, Sig: bft.Sign(l.liarKeys[me], bft.SendPayload(me, 1, value))}
	for _, id := range camp {
		env.Send(id, s)
	}
}

// finalize sends camp a certificate for value: the honest echoes it got,
// every liar's (validly signed: they collude), and forged ones for the
// other camp's honest nodes if that is still short of a quorum.
func (l *liarOrigin) finalize(env sim.Env, value string, camp, others []sim.NodeID) {
	me := env.ID()
	f := bft.Final{Origin: me, Seq: 1, Value: value}
	f.Echoes = append(f.Echoes, l.realEchoes[value]...)
	liars := make([]sim.NodeID, 0, len(l.liarKeys))
	for id := range l.liarKeys {
		liars = append(liars, id)
	}
	slices.Sort(liars)
	for _, id := range liars {
		f.Echoes = append(f.Echoes, bft.Echo{From: id, Origin: me, Seq: 1, Value: value, Sig: bft.Sign(l.liarKeys[id], bft.EchoPayload(me, 1, value))})
	}
	for _, id := range others {
		if len(f.Echoes) >= l.quorum {
			break
		}
		l.forged++
		f.Echoes = append(f.Echoes, bft.Echo{From: id, Origin: me, Seq: 1, Value: value, Sig: strings.Repeat("ab", ed25519.SignatureSize)})
	}
	env.Logf("certificate for %q: %d echoes (%d real from honest nodes, %d forged), to %v", value, len(f.Echoes), len(l.realEchoes[value]), l.forged, camp)
	for _, id := range camp {
		env.Send(id, f)
	}
}

func (l *liarOrigin) Inspect() map[string]string {
	return map[string]string{"role": "Byzantine origin", "forged echoes": strconv.Itoa(l.forged)}
}

// bftCluster is one BFT cluster of the scenario.
type bftCluster struct {
	name       string
	n, f       int
	skipVerify bool
	ids        []sim.NodeID
	liars      []sim.NodeID
	honest     []sim.NodeID
	nodes      map[sim.NodeID]*bft.Node
	origin     *liarOrigin
}

func addBFTCluster(w *sim.World, seed uint64, c *bftCluster) {
	secret := []byte("byzantine " + strconv.FormatUint(seed, 10) + " " + c.name)
	pub := map[sim.NodeID]ed25519.PublicKey{}
	priv := map[sim.NodeID]ed25519.PrivateKey{}
	for i := range c.n {
		id := sim.NodeID(fmt.Sprintf("%s-n%d", c.name, i+1))
		c.ids = append(c.ids, id)
		priv[id] = bft.DeriveKey(secret, id)
		pub[id] = priv[id].Public().(ed25519.PublicKey)
		if i < c.f {
			c.liars = append(c.liars, id)
		} else {
			c.honest = append(c.honest, id)
		}
	}
	sort.Slice(c.ids, func(i, j int) bool { return c.ids[i] < c.ids[j] })
	c.nodes = map[sim.NodeID]*bft.Node{}
	half := (len(c.honest) + 1) / 2
	liarKeys := map[sim.NodeID]ed25519.PrivateKey{}
	for _, id := range c.liars {
		liarKeys[id] = priv[id]
	}
	for i := range c.n {
		id := sim.NodeID(fmt.Sprintf("%s-n%d", c.name, i+1))
		if i == 0 {
			w.AddNode(id, func() sim.Node {
				c.origin = &liarOrigin{members: c.ids, liarKeys: liarKeys, quorum: c.n - c.f,
					campA: c.honest[:half], campB: c.honest[half:]}
				return c.origin
			})
			continue
		}
		cfg := bft.Config{Members: c.ids, F: c.f, Keys: pub, Key: priv[id], SkipVerify: c.skipVerify}
		w.AddNode(id, func() sim.Node { c.nodes[id] = bft.New(cfg); return c.nodes[id] })
	}
	for _, id := range c.honest {
		w.At(100*time.Millisecond, func() {
			_ = w.Exec(id, func(n sim.Node, env sim.Env) { n.(*bft.Node).Broadcast(env, "from "+string(id)) })
		})
	}
}

func setupByzantine(o scenarios.Options) (*scenarios.Run, error) {
	f, n := o.Knobs.Int("f"), o.Knobs.Int("n")
	if n == 0 {
		n = 3*f + 1
	}
	if n < f+2 {
		return nil, fmt.Errorf("n=%d with f=%d leaves fewer than two honest nodes to disagree; use n >= f+2 (or 0 for 3f+1)", n, f)
	}
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 3 * time.Millisecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})

	// Raft, five nodes
	rafts := map[sim.NodeID]*raftReplica{}
	raftIDs := []sim.NodeID{"raft-n1", "raft-n2", "raft-n3", "raft-n4", "raft-n5"}
	rc := raft.DefaultConfig()
	for _, id := range raftIDs {
		w.AddNode(id, func() sim.Node {
			r := &raftReplica{applied: map[uint64]string{}}
			r.node = raft.New(rc, r)
			rafts[id] = r
			return r
		})
	}
	var liar sim.NodeID
	var victims []sim.NodeID
	w.At(byzCompromise, func() {
		for _, id := range raftIDs {
			if rafts[id].node.Status().Role == raft.Leader {
				liar = id
			}
		}
		if liar == "" {
			w.Logf("no Raft leader to compromise at %s", byzCompromise)
			return
		}
		for _, id := range raftIDs {
			if id != liar {
				victims = append(victims, id)
			}
		}
		victims = victims[2:] // the two highest-named followers
		w.Logf("the Raft leader %s is compromised: it will tell %v a different log", liar, victims)
		net.SetEquivocation(raftLie(victims))
		_ = net.Equivocate(liar, true) // a known node
	})
	for i := range 3 {
		w.At(byzPropose+time.Duration(i)*50*time.Millisecond, func() {
			if liar == "" {
				return
			}
			_ = w.Exec(liar, func(n sim.Node, env sim.Env) {
				n.(*raftReplica).node.Propose(env, []byte(fmt.Sprintf("set x=%d", i+1)))
			})
		})
	}

	clusters := []*bftCluster{
		{name: fmt.Sprintf("bft%d", n), n: n, f: f},
		{name: fmt.Sprintf("bft%d", 3*f), n: 3 * f, f: f},
		{name: fmt.Sprintf("bft%d-unsigned", 3*f+1), n: 3*f + 1, f: f, skipVerify: true},
	}
	if clusters[0].name == clusters[1].name {
		clusters[1].name += "b"
	}
	// The BFT clusters run in a second world in step with the first (Raft
	// takes every member of its world as a peer); the trace is Raft's.
	bnet := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 1500 * time.Microsecond}}})
	bw := sim.NewWorld(sim.Config{Seed: o.Seed, Network: bnet})
	for _, c := range clusters {
		addBFTCluster(bw, o.Seed, c)
	}
	var tick func()
	tick = func() {
		bw.RunFor(w.Now() - bw.Now())
		w.After(10*time.Millisecond, tick)
	}
	w.At(0, tick)
	w.At(0, func() { w.Logf("Raft in this world; the BFT clusters run in step in a second world") })
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result {
		bw.RunFor(w.Now() - bw.Now())
		return finishByzantine(rafts, raftIDs, liar, clusters)
	}}, nil
}

func finishByzantine(rafts map[sim.NodeID]*raftReplica, ids []sim.NodeID, liar sim.NodeID, clusters []*bftCluster) scenarios.Result {
	var r scenarios.Result
	var c checks
	// Raft: the first index whose applied commands differ
	broken := uint64(0)
	var split []string
	maxIndex := uint64(0)
	for _, id := range ids {
		for i := range rafts[id].applied {
			maxIndex = max(maxIndex, i)
		}
	}
	for i := uint64(1); i <= maxIndex && broken == 0; i++ {
		by := map[string][]string{}
		for _, id := range ids {
			if cmd, ok := rafts[id].applied[i]; ok {
				by[cmd] = append(by[cmd], string(id))
			}
		}
		if len(by) > 1 {
			broken = i
			for _, cmd := range sortedKeys(by) {
				split = append(split, fmt.Sprintf("%q on %s", cmd, strings.Join(by[cmd], ", ")))
			}
		}
	}
	switch {
	case liar == "":
		c.Failf("no Raft leader had been elected by %s to compromise", byzCompromise)
	case broken == 0:
		c.Failf("the lying Raft leader %s did not make the replicas disagree", liar)
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("Raft, one liar (%s, the leader) in five: at log index %d the replicas applied %s", liar, broken, strings.Join(split, " but ")))
	}
	agreeMetric := 0.0
	if broken == 0 {
		agreeMetric = 1
	}
	r.Metrics = append(r.Metrics, scenarios.Metric{Name: "raft_agreement", Value: agreeMetric, Unit: "bool"})

	var rows [][]string
	for _, cl := range clusters {
		liarOrigin := cl.ids[0]
		values := map[string][]string{}
		honestOK, honestWant := 0, len(cl.honest)*len(cl.honest)
		bad, refused := 0, 0
		for _, id := range cl.honest {
			nd := cl.nodes[id]
			for _, d := range nd.Deliveries() {
				if d.Origin == liarOrigin {
					values[d.Value] = append(values[d.Value], string(id))
				} else if slices.Contains(cl.honest, d.Origin) {
					honestOK++
				}
			}
			b, ref, _ := nd.Stats()
			bad += b
			refused += ref
		}
		var got []string
		for _, v := range sortedKeys(values) {
			got = append(got, fmt.Sprintf("%s by %d", v, len(values[v])))
		}
		if len(got) == 0 {
			got = []string{"nothing"}
		}
		agree := len(values) <= 1
		sig := "checked"
		if cl.skipVerify {
			sig = "NOT checked"
		}
		agreeText := "kept"
		if !agree {
			agreeText = "BROKEN"
		}
		rows = append(rows, []string{cl.name, itoa(cl.n), itoa(cl.f), itoa(cl.n - cl.f), sig, strings.Join(got, ", "), agreeText,
			itoa(cl.origin.forged), itoa(bad), fmt.Sprintf("%d/%d", honestOK, honestWant)})
		m := strings.ReplaceAll(cl.name, "-", "_")
		a := 0.0
		if agree {
			a = 1
		}
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: m + "_agreement", Value: a, Unit: "bool"},
			scenarios.Metric{Name: m + "_bad_signatures", Value: float64(bad), Unit: "signatures"},
			scenarios.Metric{Name: m + "_honest_delivered", Value: float64(honestOK) / float64(max(honestWant, 1)), Unit: "share"},
			scenarios.Metric{Name: m + "_values_delivered", Value: float64(len(values)), Unit: "values"},
		)
		safe := cl.n >= 3*cl.f+1 && !cl.skipVerify
		switch {
		case safe && !agree:
			c.Failf("%s: n=%d ≥ 3f+1 with signatures checked, yet honest nodes delivered %s", cl.name, cl.n, strings.Join(got, ", "))
		case safe && honestOK != honestWant:
			c.Failf("%s: only %d of %d honest deliveries of honest broadcasts", cl.name, honestOK, honestWant)
		case safe && bad == 0 && cl.origin.forged > 0:
			c.Failf("%s: the liar forged %d echoes and no node refused a signature", cl.name, cl.origin.forged)
		case !safe && cl.n == 3*cl.f && agree:
			c.Failf("%s: with n = 3f the liars should split the honest nodes, but they agreed (%s)", cl.name, strings.Join(got, ", "))
		case cl.skipVerify && agree:
			c.Failf("%s: without signature checks the forged echoes should split the honest nodes (%s)", cl.name, strings.Join(got, ", "))
		}
	}
	r.Summary = append(r.Summary, "Byzantine reliable broadcast: the colluding liars' origin sends X to half the honest nodes and Y to the other half; what the honest nodes delivered:")
	r.Summary = append(r.Summary, table([]string{"cluster", "n", "f", "quorum", "signatures", "liar's broadcast delivered", "agreement", "echoes forged", "signatures refused", "honest broadcasts"}, rows)...)
	if c.Err() == nil {
		r.Summary = append(r.Summary, "n ≥ 3f+1 and signed messages: any two quorums share an honest node, who echoes once, and nobody can sign for it; take away either and the liars split the cluster")
	}
	r.Err = c.Err()
	return r
}
