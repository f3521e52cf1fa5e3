package quorum

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/ring"
)

// Server is one storage node of the quorum store, and, for any request a
// client sends it, that request's coordinator: any node can coordinate any
// key, whether it holds the key or not. (Clients send to the first node of
// the key's preference list, so usually the coordinator is a replica too.)
//
// Every server builds the same ring from the cluster's members, so all agree
// on every key's preference list without talking about it: membership is
// static here, where Dynamo spreads it by gossip.
type Server struct {
	cfg  Config
	bugs testingKnobs
	id   sim.NodeID
	ring *ring.Ring

	// data is what this replica stores, mirrored on its Disk under
	// "data/KEY" before any write is acknowledged.
	data map[string]Siblings
	// hints are versions this node holds for another that was down:
	// hints[intended][key], mirrored under "hint/INTENDED/KEY". A hint
	// is dropped once the intended node acknowledges its handoff.
	hints map[sim.NodeID]map[string]Siblings

	// ops are the requests this node coordinates, by id. Ids of one boot
	// start at boot<<32, so a late reply to an operation of an earlier
	// boot never matches one of this boot.
	ops    map[uint64]*operation
	nextOp uint64
	// suspect holds nodes that did not answer in time, until when (on this
	// node's clock). Hearing from a node clears its suspicion.
	suspect map[sim.NodeID]time.Time
	// local queues messages to this node itself: a coordinator that is
	// also a replica serves itself without the network, after the current
	// handler returns.
	local []sim.Message
}

// NewServer returns a server, or what is wrong with cfg.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg}, nil
}

type opKind uint8

const (
	opGet opKind = iota + 1
	opPut
)

// target is a replica an operation was sent to, and the preference-list
// node it stands in for ("" when it is that node itself).
type target struct {
	node sim.NodeID
	hint sim.NodeID
}

// operation is a request this node coordinates.
type operation struct {
	id      uint64
	kind    opKind
	client  sim.NodeID
	reqID   uint64
	key     string
	targets []target
	// replied lists the targets that answered the read (get) or acked the
	// write (put, or a get's write-back), each once, in order.
	replied []sim.NodeID
	// reads are the replicas' answers to a get, for read repair.
	reads map[sim.NodeID]Siblings
	// versions: for a put, what to store; for a get, the merge of what the
	// replicas returned so far.
	versions Siblings
	// writingBack: a get has its R answers and is writing them back to W
	// replicas before answering (Config.WriteBackReads).
	writingBack bool
	acks        []sim.NodeID // write-back acknowledgements
	answered    bool
	retried     bool // a sloppy quorum tried stand-ins already
	timer       sim.TimerID
}

const bootKey = "quorum/boot"

// Start loads what the disk holds, builds the ring and starts handing off
// hints.
func (s *Server) Start(env sim.Env) {
	s.id = env.ID()
	boot := uint64(1)
	if b, ok := env.Disk().Get(bootKey); ok {
		if n, err := strconv.ParseUint(string(b), 10, 64); err == nil {
			boot = n + 1
		}
	}
	env.Disk().Put(bootKey, []byte(strconv.FormatUint(boot, 10)))
	env.Disk().Sync()
	s.nextOp = boot << 32
	s.ops = map[uint64]*operation{}
	s.suspect = map[sim.NodeID]time.Time{}
	s.local = nil
	s.ring = ring.MustNew(s.cfg.VNodes, append(slices.Clone(env.Peers()), s.id)...)
	s.load(env.Disk())
	if s.cfg.SloppyQuorum {
		env.SetTimer(s.cfg.HandoffEvery, handoffTick{})
	}
}

// Receive dispatches one message, then serves the messages this node sent
// itself meanwhile.
func (s *Server) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	s.handle(env, from, msg)
	for len(s.local) > 0 {
		m := s.local[0]
		s.local = s.local[1:]
		s.handle(env, s.id, m)
	}
}

func (s *Server) handle(env sim.Env, from sim.NodeID, msg sim.Message) {
	if from != s.id {
		delete(s.suspect, from) // it is alive
	}
	switch m := msg.(type) {
	case GetRequest:
		s.handleGetRequest(env, from, m)
	case PutRequest:
		s.handlePutRequest(env, from, m)
	case ReplicaRead:
		s.handleReplicaRead(env, from, m)
	case ReplicaReadReply:
		s.handleReplicaReadReply(env, from, m)
	case ReplicaWrite:
		s.handleReplicaWrite(env, from, m)
	case ReplicaWriteAck:
		s.handleReplicaWriteAck(env, from, m)
	case Handoff:
		s.handleHandoff(env, from, m)
	case HandoffAck:
		s.handleHandoffAck(env, from, m)
	case opTimeout:
		s.handleOpTimeout(env, m)
	case handoffTick:
		s.handoff(env)
		env.SetTimer(s.cfg.HandoffEvery, handoffTick{})
	}
}

// send sends msg, or queues it for this node itself.
func (s *Server) send(env sim.Env, to sim.NodeID, msg sim.Message) {
	if to == s.id {
		s.local = append(s.local, msg)
		return
	}
	env.Send(to, msg)
}

// --- Coordinator ---

func (s *Server) handleGetRequest(env sim.Env, from sim.NodeID, m GetRequest) {
	op := s.begin(env, opGet, from, m.ReqID, m.Key)
	if op == nil {
		env.Send(from, GetReply{ReqID: m.ReqID, Key: m.Key, Err: ErrNoQuorum})
		return
	}
	op.reads = map[sim.NodeID]Siblings{}
	for _, t := range op.targets {
		s.send(env, t.node, ReplicaRead{OpID: op.id, Key: m.Key})
	}
}

func (s *Server) handlePutRequest(env sim.Env, from sim.NodeID, m PutRequest) {
	op := s.begin(env, opPut, from, m.ReqID, m.Key)
	if op == nil {
		env.Send(from, PutReply{ReqID: m.ReqID, Err: ErrNoQuorum})
		return
	}
	// The coordinator's clock stamps the version, for last-writer-wins.
	op.versions = Siblings{{Value: m.Value, Clock: m.Clock, Stamp: env.Now().UnixNano(), Writer: m.Writer}}
	for _, t := range op.targets {
		s.send(env, t.node, ReplicaWrite{OpID: op.id, Key: m.Key, Siblings: op.versions, Hint: t.hint})
	}
}

// begin registers an operation and picks its replicas, or returns nil if
// the ring cannot hold N replicas.
func (s *Server) begin(env sim.Env, kind opKind, client sim.NodeID, reqID uint64, key string) *operation {
	targets, err := s.targets(env, key, nil)
	if err != nil {
		env.Logf("cannot coordinate %q: %v", key, err)
		return nil
	}
	s.nextOp++
	op := &operation{id: s.nextOp, kind: kind, client: client, reqID: reqID, key: key, targets: targets}
	s.ops[op.id] = op
	op.timer = env.SetTimer(s.cfg.Timeout, opTimeout{OpID: op.id})
	return op
}

// targets picks the replicas for key: the first N nodes of its preference
// list. With a sloppy quorum, a node suspected to be down is replaced by
// the next healthy node further along the ring, which is told whom it
// stands in for. Nodes in skip were tried already and are not picked again.
func (s *Server) targets(env sim.Env, key string, skip []target) ([]target, error) {
	walk := s.ring.Successors(key)
	if len(walk) < s.cfg.N {
		return nil, fmt.Errorf("%d replicas wanted, %d nodes on the ring: %w", s.cfg.N, len(walk), ring.ErrTooFewNodes)
	}
	tried := func(n sim.NodeID) bool {
		return slices.ContainsFunc(skip, func(t target) bool { return t.node == n })
	}
	pref, spare := walk[:s.cfg.N], walk[s.cfg.N:]
	var out []target
	for _, p := range pref {
		if !s.cfg.SloppyQuorum || !s.suspected(env, p) {
			out = append(out, target{node: p})
			continue
		}
		for len(spare) > 0 && (s.suspected(env, spare[0]) || tried(spare[0])) {
			spare = spare[1:]
		}
		if len(spare) == 0 {
			out = append(out, target{node: p}) // nobody to stand in: try it anyway
			continue
		}
		out = append(out, target{node: spare[0], hint: p})
		spare = spare[1:]
	}
	return out, nil
}

func (s *Server) suspected(env sim.Env, n sim.NodeID) bool {
	until, ok := s.suspect[n]
	if ok && !env.Now().Before(until) {
		delete(s.suspect, n)
		return false
	}
	return ok
}

func (s *Server) handleReplicaReadReply(env sim.Env, from sim.NodeID, m ReplicaReadReply) {
	op, ok := s.ops[m.OpID]
	if !ok || op.kind != opGet || slices.Contains(op.replied, from) || !op.sentTo(from) {
		return // late, duplicated or unknown
	}
	op.replied = append(op.replied, from)
	op.reads[from] = m.Siblings
	op.versions = op.versions.Merge(m.Siblings, s.cfg.LastWriterWins)
	if !op.answered && !op.writingBack && len(op.replied) >= s.cfg.R {
		if s.cfg.WriteBackReads {
			// ABD: make what we return durable at a write quorum first, so
			// no later read can miss it.
			op.writingBack = true
			for _, t := range op.targets {
				s.send(env, t.node, ReplicaWrite{OpID: op.id, Key: op.key, Siblings: op.versions, Hint: t.hint})
			}
			return
		}
		s.answer(env, op, OK)
	}
	if op.answered && len(op.replied) == len(op.targets) {
		s.finish(env, op)
	}
}

func (s *Server) handleReplicaWriteAck(env sim.Env, from sim.NodeID, m ReplicaWriteAck) {
	op, ok := s.ops[m.OpID]
	if !ok || !op.sentTo(from) {
		return
	}
	acks := &op.replied
	if op.kind == opGet {
		if !op.writingBack {
			return
		}
		acks = &op.acks
	}
	if slices.Contains(*acks, from) {
		return
	}
	*acks = append(*acks, from)
	if !op.answered && (len(*acks) >= s.cfg.W || s.bugs.ackAfterOne && op.kind != opGet) {
		s.answer(env, op, OK)
	}
	if len(*acks) == len(op.targets) {
		s.finish(env, op)
	}
}

// handleOpTimeout ends the wait for replicas. An answered get now repairs
// the replicas that were behind. An unanswered operation, with a sloppy
// quorum, suspects the replicas that kept silent and tries stand-ins for
// them once; otherwise it fails.
func (s *Server) handleOpTimeout(env sim.Env, m opTimeout) {
	op, ok := s.ops[m.OpID]
	if !ok {
		return
	}
	if op.answered {
		s.finish(env, op)
		return
	}
	if s.cfg.SloppyQuorum && !op.retried {
		op.retried = true
		answered := op.replied
		if op.writingBack {
			answered = op.acks
		}
		for _, t := range op.targets {
			if !slices.Contains(answered, t.node) {
				s.suspect[t.node] = env.Now().Add(s.cfg.SuspectFor)
			}
		}
		fresh, _ := s.targets(env, op.key, op.targets)
		var added []target
		for _, t := range fresh {
			if !op.sentTo(t.node) {
				added = append(added, t)
			}
		}
		if len(added) > 0 {
			env.Logf("no quorum for %q within %v; trying stand-ins %v", op.key, s.cfg.Timeout, added)
			op.targets = append(op.targets, added...)
			for _, t := range added {
				switch {
				case op.kind == opPut || op.writingBack:
					s.send(env, t.node, ReplicaWrite{OpID: op.id, Key: op.key, Siblings: op.versions, Hint: t.hint})
				default:
					s.send(env, t.node, ReplicaRead{OpID: op.id, Key: op.key})
				}
			}
			op.timer = env.SetTimer(s.cfg.Timeout, opTimeout{OpID: op.id})
			return
		}
	}
	s.answer(env, op, ErrNoQuorum)
	s.finish(env, op)
}

// answer replies to the client, once.
func (s *Server) answer(env sim.Env, op *operation, err Err) {
	if op.answered {
		return
	}
	op.answered = true
	if op.kind == opGet {
		var sibs Siblings
		if err == OK {
			sibs = op.versions
		}
		env.Send(op.client, GetReply{ReqID: op.reqID, Key: op.key, Siblings: sibs, Err: err})
		return
	}
	env.Send(op.client, PutReply{ReqID: op.reqID, Err: err})
}

// finish forgets an operation; a read first repairs the replicas that
// answered with less than the merge.
func (s *Server) finish(env sim.Env, op *operation) {
	env.CancelTimer(op.timer)
	delete(s.ops, op.id)
	if op.kind != opGet || !s.cfg.ReadRepair || op.writingBack || len(op.versions) == 0 {
		return
	}
	for _, t := range op.targets {
		have, ok := op.reads[t.node]
		if ok && !have.Equal(op.versions) {
			env.Logf("read repair of %q on %s", op.key, t.node)
			s.send(env, t.node, ReplicaWrite{Key: op.key, Siblings: op.versions, Hint: t.hint})
		}
	}
}

func (op *operation) sentTo(n sim.NodeID) bool {
	return slices.ContainsFunc(op.targets, func(t target) bool { return t.node == n })
}

// --- Replica ---

func (s *Server) handleReplicaRead(env sim.Env, from sim.NodeID, m ReplicaRead) {
	s.send(env, from, ReplicaReadReply{OpID: m.OpID, Key: m.Key, Siblings: s.data[m.Key]})
}

func (s *Server) handleReplicaWrite(env sim.Env, from sim.NodeID, m ReplicaWrite) {
	s.store(env.Disk(), m.Key, m.Siblings)
	if m.Hint != "" && m.Hint != s.id && !s.bugs.forgetHints {
		if s.hints[m.Hint] == nil {
			s.hints[m.Hint] = map[string]Siblings{}
		}
		h := s.hints[m.Hint][m.Key].Merge(m.Siblings, s.cfg.LastWriterWins)
		s.hints[m.Hint][m.Key] = h
		env.Disk().Put(hintPath(m.Hint, m.Key), encode(h))
	}
	env.Disk().Sync() // durable before acknowledged
	if m.OpID != 0 {
		s.send(env, from, ReplicaWriteAck{OpID: m.OpID})
	}
}

// store merges versions into key's siblings and writes them to disk.
func (s *Server) store(d sim.Disk, key string, versions Siblings) {
	merged := s.data[key].Merge(versions, s.cfg.LastWriterWins)
	if s.bugs.replace {
		merged = versions // the bug: no merge
	}
	if merged.Equal(s.data[key]) {
		return
	}
	s.data[key] = merged
	d.Put(dataPrefix+key, encode(merged))
}

// --- Hinted handoff ---

// handoff offers every hint to its intended node. Offers to a node still
// down are lost and made again next time.
func (s *Server) handoff(env sim.Env) {
	for _, n := range sortedKeys(s.hints) {
		if s.suspected(env, n) {
			continue
		}
		for _, key := range sortedKeys(s.hints[n]) {
			env.Send(n, Handoff{Key: key, Siblings: s.hints[n][key]})
		}
	}
}

func (s *Server) handleHandoff(env sim.Env, from sim.NodeID, m Handoff) {
	s.store(env.Disk(), m.Key, m.Siblings)
	env.Disk().Sync()
	env.Send(from, HandoffAck{Key: m.Key, Siblings: m.Siblings})
}

func (s *Server) handleHandoffAck(env sim.Env, from sim.NodeID, m HandoffAck) {
	h, ok := s.hints[from][m.Key]
	if !ok || !h.Equal(m.Siblings) {
		return // a newer hint came meanwhile: hand that over next time
	}
	env.Logf("handed %q over to %s", m.Key, from)
	delete(s.hints[from], m.Key)
	if len(s.hints[from]) == 0 {
		delete(s.hints, from)
	}
	env.Disk().Delete(hintPath(from, m.Key))
	env.Disk().Sync()
}

// --- Disk ---

const (
	dataPrefix = "data/"
	hintPrefix = "hint/"
)

func hintPath(node sim.NodeID, key string) string { return hintPrefix + string(node) + "/" + key }

func encode(s Siblings) []byte {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("quorum: encoding siblings: %v", err)) // plain data always encodes
	}
	return b
}

// load reads the data and hints the disk holds.
func (s *Server) load(d sim.Disk) {
	s.data = map[string]Siblings{}
	s.hints = map[sim.NodeID]map[string]Siblings{}
	for _, k := range d.Keys() {
		b, _ := d.Get(k)
		var sibs Siblings
		if strings.HasPrefix(k, dataPrefix) || strings.HasPrefix(k, hintPrefix) {
			if err := json.Unmarshal(b, &sibs); err != nil {
				panic(fmt.Sprintf("quorum: %s on disk does not decode: %v", k, err)) // we wrote it
			}
		}
		switch {
		case strings.HasPrefix(k, dataPrefix):
			s.data[strings.TrimPrefix(k, dataPrefix)] = sibs
		case strings.HasPrefix(k, hintPrefix):
			node, key, _ := strings.Cut(strings.TrimPrefix(k, hintPrefix), "/")
			if s.hints[sim.NodeID(node)] == nil {
				s.hints[sim.NodeID(node)] = map[string]Siblings{}
			}
			s.hints[sim.NodeID(node)][key] = sibs
		}
	}
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// --- Views ---

// Get is what this replica stores for key, for tests and tools.
func (s *Server) Get(key string) Siblings { return s.data[key] }

// Hints counts the versions this node keeps for nodes that were down.
func (s *Server) Hints() int {
	n := 0
	for _, h := range s.hints {
		n += len(h)
	}
	return n
}

// Inspect describes the server for tools.
func (s *Server) Inspect() map[string]string {
	return map[string]string{
		"quorum.keys":       strconv.Itoa(len(s.data)),
		"quorum.hints":      strconv.Itoa(s.Hints()),
		"quorum.operations": strconv.Itoa(len(s.ops)),
		"quorum.suspects":   strconv.Itoa(len(s.suspect)),
	}
}

var _ sim.Node = (*Server)(nil)
