package consistency

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "consistency-models",
		Summary: "one workload against four replicated stores — linearizable, sequential, causal, eventual — and a checker for each model: the ladder of 003 §3, measured",
		Doc: `Four replicas r1–r4 of a key/value store, each with one client c1–c4
beside it. r1 and r3 share a data centre, as do r2 and r4 (1–2ms apart);
the two data centres are 30–40ms apart, and the path r1→r4 is slower,
60–70ms. The same workload runs against four stores, each its own set of
nodes:

  linearizable  r1 is the primary: every write and every read goes to it;
                it orders the writes and streams them to the others.
  sequential    the same primary orders the writes, but a read is answered
                by the client's own replica, which applies the primary's
                stream in order (a write returns once its own replica has
                applied it: the client reads its writes).
  causal        every replica takes writes locally and sends them with a
                vector clock; a replica applies a remote write only after
                everything its writer had seen (causal delivery).
  eventual      every replica takes writes locally and sends them on;
                each applies what arrives at once, the latest timestamp
                winning (last-writer-wins).

Eight rounds, each on fresh keys, play two classic patterns:
  IRIW   c1 writes x, c2 writes y; 10ms later c3 reads x then y, and c4
         reads y then x (independent reads of independent writes).
  chain  100ms in, c1 writes z; c3 reads z and then writes u; at 155ms c4
         reads u and then z (if c4 sees u, it must see z: u was written
         by someone who had seen z).
Each round's history goes to three checkers — porcupine for
linearizability, check.CheckSequential and check.CheckCausal — and at the
end the replicas' states are compared (eventual consistency is about them,
not about reads).`,
		LookFor: `The ladder table: rounds admitted by each model, per store. linearizable:
8/8 everywhere. sequential: not linearizable (c4 reads x as empty after c1's
write returned: stale, but everyone agrees on one order), sequential,
causal. causal: not sequential — c3 saw x and not y, c4 y and not x, so no
single order exists — but causal. eventual: not even causal — c4 saw u but
not z, an effect before its cause. Every store converges once writes stop.
And the price column: reads and writes get faster as the model gets weaker
(the linearizable store sends every read to the primary, a WAN round trip
for c2 and c4).`,
		Chapter: "consistency",
		For:     4500 * time.Millisecond,
		Setup:   setupModels,
	})
}

const (
	modelRounds = 8
	modelRound  = 500 * time.Millisecond
)

var modelStores = []string{"linearizable", "sequential", "causal", "eventual"}

// Messages between clients and replicas.
type (
	// RegGet asks a replica for Key.
	RegGet struct {
		ReqID uint64
		Key   string
	}
	// RegPut asks a replica to write Value to Key.
	RegPut struct {
		ReqID      uint64
		Key, Value string
	}
	// RegReply answers either.
	RegReply struct {
		ReqID uint64
		Value string
	}
)

// Messages of the primary-based stores.
type (
	// Forward takes a client's operation from its replica to the primary.
	Forward struct {
		ReqID      uint64
		Client     sim.NodeID
		Put        bool
		Key, Value string
	}
	// Forwarded answers a Forward: the sequence number a put got, or the
	// value a get read.
	Forwarded struct {
		ReqID  uint64
		Client sim.NodeID
		Seq    uint64
		Put    bool
		Value  string
	}
	// Apply is write Seq of the primary's stream.
	Apply struct {
		Seq        uint64
		Key, Value string
	}
)

// Messages of the causal and eventual stores.
type (
	// CausalWrite is a write with its writer's vector clock (one entry per
	// replica, in order); TS and Origin order concurrent writes to a key.
	CausalWrite struct {
		Origin     int
		VC         []uint64
		TS         uint64
		Key, Value string
	}
)

type pendingPut struct {
	client sim.NodeID
	reqID  uint64
	seq    uint64
}

type version struct {
	value  string
	ts     uint64
	origin int
}

// regReplica is one replica of one store.
type regReplica struct {
	store    string
	self     int          // index of this replica
	replicas []sim.NodeID // every replica, in order; replicas[0] is the primary
	// primary-based stores
	next    uint64           // the primary: the last sequence number given
	applied uint64           // writes of the stream applied, in order
	stream  map[uint64]Apply // writes received ahead of their turn
	waiting []pendingPut     // puts answered once applied here
	// causal and eventual stores
	vc      []uint64           // writes applied per origin (causal)
	lamport uint64             // the highest timestamp seen
	held    []CausalWrite      // remote writes not yet deliverable (causal)
	data    map[string]version // the replica's state
}

func (r *regReplica) Start(sim.Env) {
	r.stream, r.data = map[uint64]Apply{}, map[string]version{}
	r.vc = make([]uint64, len(r.replicas))
}

func (r *regReplica) primary() bool { return r.self == 0 }

func (r *regReplica) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case RegGet:
		if r.store == "linearizable" {
			r.forward(env, Forward{ReqID: m.ReqID, Client: from, Key: m.Key})
			return
		}
		env.Send(from, RegReply{ReqID: m.ReqID, Value: r.data[m.Key].value})
	case RegPut:
		switch r.store {
		case "linearizable", "sequential":
			r.forward(env, Forward{ReqID: m.ReqID, Client: from, Put: true, Key: m.Key, Value: m.Value})
		default:
			r.lamport++
			w := CausalWrite{Origin: r.self, TS: r.lamport, Key: m.Key, Value: m.Value}
			if r.store == "causal" {
				r.vc[r.self]++
				w.VC = slices.Clone(r.vc)
			}
			r.write(w)
			for i, peer := range r.replicas {
				if i != r.self {
					env.Send(peer, w)
				}
			}
			env.Send(from, RegReply{ReqID: m.ReqID})
		}
	case Forward: // at the primary
		r.serve(env, from, m)
	case Forwarded:
		if !m.Put {
			env.Send(m.Client, RegReply{ReqID: m.ReqID, Value: m.Value})
			return
		}
		r.waiting = append(r.waiting, pendingPut{client: m.Client, reqID: m.ReqID, seq: m.Seq})
		r.release(env)
	case Apply:
		r.stream[m.Seq] = m
		for {
			a, ok := r.stream[r.applied+1]
			if !ok {
				break
			}
			delete(r.stream, a.Seq)
			r.applied = a.Seq
			r.data[a.Key] = version{value: a.Value, ts: a.Seq}
		}
		r.release(env)
	case CausalWrite:
		if r.store == "eventual" {
			r.write(m)
			return
		}
		r.held = append(r.held, m)
		r.deliver(env)
	}
}

// forward sends a client's operation to the primary (or serves it here).
func (r *regReplica) forward(env sim.Env, f Forward) {
	if r.primary() {
		r.serve(env, env.ID(), f)
		return
	}
	env.Send(r.replicas[0], f)
}

// serve runs an operation at the primary: a put gets the next sequence
// number and goes out on the stream; a get reads the primary's state.
func (r *regReplica) serve(env sim.Env, origin sim.NodeID, f Forward) {
	if !f.Put {
		r.reply(env, origin, Forwarded{ReqID: f.ReqID, Client: f.Client, Value: r.data[f.Key].value})
		return
	}
	r.next++
	a := Apply{Seq: r.next, Key: f.Key, Value: f.Value}
	for _, peer := range r.replicas[1:] {
		env.Send(peer, a)
	}
	r.applied = a.Seq
	r.data[a.Key] = version{value: a.Value, ts: a.Seq}
	r.reply(env, origin, Forwarded{ReqID: f.ReqID, Client: f.Client, Seq: a.Seq, Put: true})
}

func (r *regReplica) reply(env sim.Env, origin sim.NodeID, f Forwarded) {
	if origin == env.ID() {
		r.Receive(env, origin, f)
		return
	}
	env.Send(origin, f)
}

// release answers the puts whose writes this replica has applied.
func (r *regReplica) release(env sim.Env) {
	keep := r.waiting[:0]
	for _, p := range r.waiting {
		if p.seq <= r.applied {
			env.Send(p.client, RegReply{ReqID: p.reqID})
		} else {
			keep = append(keep, p)
		}
	}
	r.waiting = keep
}

// write applies w if it is newer than what the key holds
// (last-writer-wins on timestamp, then origin).
func (r *regReplica) write(w CausalWrite) {
	r.lamport = max(r.lamport, w.TS)
	cur, ok := r.data[w.Key]
	if ok && (cur.ts > w.TS || (cur.ts == w.TS && cur.origin > w.Origin)) {
		return
	}
	r.data[w.Key] = version{value: w.Value, ts: w.TS, origin: w.Origin}
}

// deliver applies every held write whose causal past is here (causal
// delivery: the writer's clock is ours plus its own new write).
func (r *regReplica) deliver(env sim.Env) {
	for progress := true; progress; {
		progress = false
		for i, w := range r.held {
			ready := w.VC[w.Origin] == r.vc[w.Origin]+1
			for k := range w.VC {
				if k != w.Origin && w.VC[k] > r.vc[k] {
					ready = false
				}
			}
			if !ready {
				continue
			}
			r.vc[w.Origin]++
			r.write(w)
			r.held = slices.Delete(r.held, i, i+1)
			progress = true
			break
		}
	}
	if len(r.held) > 0 {
		env.Logf("holding %d write(s) until what their writers had seen arrives", len(r.held))
	}
}

func (r *regReplica) Inspect() map[string]string {
	out := map[string]string{"store": r.store, "keys": strconv.Itoa(len(r.data))}
	switch r.store {
	case "linearizable", "sequential":
		out["applied"] = strconv.FormatUint(r.applied, 10)
	case "causal":
		out["vector clock"] = fmt.Sprint(r.vc)
		out["held back"] = strconv.Itoa(len(r.held))
	}
	return out
}

// regAction is one operation a client runs at a time into a round.
type regAction struct {
	at         time.Duration
	put        bool
	key, value string
}

type regTick struct{ I int }

// regClient runs its actions one at a time and records each round's
// operations in that round's history.
type regClient struct {
	replica sim.NodeID
	actions []regAction
	clock   func() time.Duration
	hist    []*check.History // per round
	round   func(at time.Duration) int
	busy    bool
	queue   []int
	next    uint64
	cur     check.OpID
	curHist *check.History
	readLat []time.Duration
	putLat  []time.Duration
	started time.Duration
	curPut  bool
}

func (c *regClient) Start(env sim.Env) {
	for i, a := range c.actions {
		env.SetTimer(a.at, regTick{I: i})
	}
}

func (c *regClient) run(env sim.Env, i int) {
	if c.busy {
		c.queue = append(c.queue, i)
		return
	}
	a := c.actions[i]
	c.busy, c.next, c.started, c.curPut = true, c.next+1, c.clock(), a.put
	c.curHist = c.hist[c.round(a.at)]
	if a.put {
		c.cur = c.curHist.Invoke(env.ID(), check.KVInput{Op: check.KVPut, Key: a.key, Value: a.value}, c.clock())
		env.Send(c.replica, RegPut{ReqID: c.next, Key: a.key, Value: a.value})
		return
	}
	c.cur = c.curHist.Invoke(env.ID(), check.KVInput{Op: check.KVGet, Key: a.key}, c.clock())
	env.Send(c.replica, RegGet{ReqID: c.next, Key: a.key})
}

func (c *regClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case regTick:
		c.run(env, m.I)
	case RegReply:
		if !c.busy || m.ReqID != c.next {
			return
		}
		out := check.KVOutput{Value: m.Value}
		lat := c.clock() - c.started
		if c.curPut {
			out = check.KVOutput{OK: true}
			c.putLat = append(c.putLat, lat)
		} else {
			c.readLat = append(c.readLat, lat)
		}
		_ = c.curHist.Return(c.cur, out, c.clock()) // once, after its invocation
		c.busy = false
		if len(c.queue) > 0 {
			i := c.queue[0]
			c.queue = c.queue[1:]
			c.run(env, i)
		}
	}
}

func (c *regClient) Inspect() map[string]string {
	return map[string]string{"ops": strconv.FormatUint(c.next, 10), "busy": strconv.FormatBool(c.busy)}
}

// modelScript is the workload of client i (0-based) over every round.
func modelScript(i int) []regAction {
	var acts []regAction
	ms := time.Millisecond
	for n := range modelRounds {
		t := time.Duration(n)*modelRound + 10*ms
		k := func(name string) string { return fmt.Sprintf("%s%d", name, n+1) }
		v := func(name string) string { return fmt.Sprintf("%s%d", name, n+1) }
		switch i {
		case 0:
			acts = append(acts, regAction{at: t, put: true, key: k("x"), value: v("a")},
				regAction{at: t + 100*ms, put: true, key: k("z"), value: v("p")})
		case 1:
			acts = append(acts, regAction{at: t, put: true, key: k("y"), value: v("b")})
		case 2:
			acts = append(acts, regAction{at: t + 10*ms, key: k("x")}, regAction{at: t + 10*ms, key: k("y")},
				regAction{at: t + 110*ms, key: k("z")}, regAction{at: t + 110*ms, put: true, key: k("u"), value: v("q")})
		case 3:
			acts = append(acts, regAction{at: t + 10*ms, key: k("y")}, regAction{at: t + 10*ms, key: k("x")},
				regAction{at: t + 155*ms, key: k("u")}, regAction{at: t + 155*ms, key: k("z")})
		}
	}
	return acts
}

type modelStore struct {
	name     string
	replicas []*regReplica
	clients  []*regClient
	hist     []*check.History
}

func setupModels(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 200 * time.Microsecond, Max: 500 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	ms := time.Millisecond
	near, far, slow := network.Uniform{Min: ms, Max: 2 * ms}, network.Uniform{Min: 30 * ms, Max: 40 * ms}, network.Uniform{Min: 60 * ms, Max: 70 * ms}
	var stores []*modelStore
	for _, name := range modelStores {
		st := &modelStore{name: name, replicas: make([]*regReplica, 4), clients: make([]*regClient, 4)}
		for range modelRounds {
			st.hist = append(st.hist, check.NewHistory())
		}
		ids := make([]sim.NodeID, 4)
		for i := range ids {
			ids[i] = sim.NodeID(fmt.Sprintf("%s-r%d", name, i+1))
		}
		for i, id := range ids {
			w.AddNode(id, func() sim.Node {
				st.replicas[i] = &regReplica{store: name, self: i, replicas: ids}
				return st.replicas[i]
			})
		}
		for i := range ids {
			cid := sim.NodeID(fmt.Sprintf("%s-c%d", name, i+1))
			w.AddClient(cid, func() sim.Node {
				st.clients[i] = &regClient{replica: ids[i], actions: modelScript(i), clock: w.Now, hist: st.hist,
					round: func(at time.Duration) int { return int(at / modelRound) }}
				return st.clients[i]
			})
		}
		for a := range 4 {
			for b := range 4 {
				if a == b {
					continue
				}
				lat := far
				switch {
				case a%2 == b%2: // r1-r3, r2-r4: one data centre
					lat = near
				case a == 0 && b == 3: // r1→r4: the slow path
					lat = slow
				}
				if err := net.SetLatency(network.Link{From: ids[a], To: ids[b]}, lat); err != nil {
					return nil, err
				}
			}
		}
		stores = append(stores, st)
	}
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishModels(stores) }}, nil
}

func finishModels(stores []*modelStore) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	admitted := map[string][4]int{}
	for _, st := range stores {
		var adm [4]int // linearizable, sequential, causal, converged
		for n, h := range st.hist {
			lin, err := check.CheckKV(h, 0)
			if err != nil {
				c.Failf("%s round %d: %v", st.name, n+1, err)
				continue
			}
			seq, err := check.CheckSequential(h)
			if err != nil {
				c.Failf("%s round %d: %v", st.name, n+1, err)
				continue
			}
			cau, err := check.CheckCausal(h)
			if err != nil {
				c.Failf("%s round %d: %v", st.name, n+1, err)
				continue
			}
			if lin.Verdict == check.Linearizable {
				adm[0]++
			}
			if seq.OK {
				adm[1]++
			}
			if cau.OK {
				adm[2]++
			}
			if converged(st, n) {
				adm[3]++
			}
		}
		admitted[st.name] = adm
		var rl, pl []time.Duration
		for _, cl := range st.clients {
			rl = append(rl, cl.readLat...)
			pl = append(pl, cl.putLat...)
		}
		row := []string{st.name}
		for i, name := range []string{"linearizable", "sequential", "causal", "converged"} {
			row = append(row, fmt.Sprintf("%d/%d", adm[i], modelRounds))
			r.Metrics = append(r.Metrics, scenarios.Metric{Name: st.name + "_" + name, Value: float64(adm[i]), Unit: "rounds"})
		}
		row = append(row, dur(service.Percentile(rl, 50)), dur(service.Percentile(rl, 100)), dur(service.Percentile(pl, 50)), dur(service.Percentile(pl, 100)))
		rows = append(rows, row)
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: st.name + "_read_p50", Value: service.Percentile(rl, 50).Seconds(), Unit: "s"},
			scenarios.Metric{Name: st.name + "_write_p50", Value: service.Percentile(pl, 50).Seconds(), Unit: "s"},
		)
	}
	r.Summary = append(r.Summary, "rounds whose history each model admits, per store (checkers: porcupine, check.CheckSequential, check.CheckCausal; converged: every replica holds the same values at the end):")
	r.Summary = append(r.Summary, table([]string{"store", "linearizable", "sequential", "causal", "converged", "read p50", "read max", "write p50", "write max"}, rows)...)
	want := map[string][4]int{
		"linearizable": {modelRounds, modelRounds, modelRounds, modelRounds},
		"sequential":   {0, modelRounds, modelRounds, modelRounds},
		"causal":       {0, 0, modelRounds, modelRounds},
		"eventual":     {0, 0, 0, modelRounds},
	}
	for _, name := range modelStores {
		if admitted[name] != want[name] {
			c.Failf("%s store: rounds admitted (lin, seq, causal, converged) %v, want %v", name, admitted[name], want[name])
		}
	}
	if c.Err() == nil {
		r.Summary = append(r.Summary, "each store is admitted by its own model and every weaker one, and refused by every stronger one: the ladder, with the checkers' verdicts")
		r.Summary = append(r.Summary, example(stores))
	}
	r.Err = c.Err()
	return r
}

// converged says whether every replica of st holds the same value for each
// key of round n.
func converged(st *modelStore, n int) bool {
	for _, key := range []string{"x", "y", "z", "u"} {
		k := fmt.Sprintf("%s%d", key, n+1)
		v := st.replicas[0].data[k].value
		for _, rep := range st.replicas[1:] {
			if rep.data[k].value != v {
				return false
			}
		}
	}
	return true
}

// example quotes round 1 of the weaker stores: what the clients saw.
func example(stores []*modelStore) string {
	seen := func(st *modelStore, client sim.NodeID, key string) string {
		for _, op := range st.hist[0].Operations() {
			in := op.Input.(check.KVInput)
			if op.Client == client && in.Op == check.KVGet && in.Key == key && op.Returned {
				return fmt.Sprintf("%q", op.Output.(check.KVOutput).Value)
			}
		}
		return "?"
	}
	var s []string
	for _, st := range stores {
		c3, c4 := sim.NodeID(st.name+"-c3"), sim.NodeID(st.name+"-c4")
		s = append(s, fmt.Sprintf("%s: c3 read x1=%s y1=%s, c4 read y1=%s x1=%s, then u1=%s z1=%s", st.name,
			seen(st, c3, "x1"), seen(st, c3, "y1"), seen(st, c4, "y1"), seen(st, c4, "x1"), seen(st, c4, "u1"), seen(st, c4, "z1")))
	}
	return "round 1 — " + joinSemi(s)
}

func joinSemi(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "; "
		}
		out += x
	}
	return out
}
