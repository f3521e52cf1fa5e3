package rsm

import (
	"maps"
	"strconv"

	"github.com/dsimlab/dsim/sim"
)

// Server is a cluster member: a Replica that orders commands, and the
// StateMachine they are applied to. It answers ClientRequests and hands
// every other message to the Replica. It is the Replica's Applier.
type Server struct {
	replica Replica
	machine StateMachine

	// sessions holds, per client, the highest sequence number applied and
	// its result. It is replicated state: it changes only in Apply and
	// Restore, so every replica has the same table at the same index.
	sessions map[string]session
	// applied is the index of the last command applied (or restored).
	applied uint64
	// pending maps a log index to the client request this server proposed
	// there and still owes an answer. Local, not replicated: lost at a crash,
	// and the client's retry covers that.
	pending map[uint64]pendingRequest
	// duplicates counts log entries that were not applied because their
	// session had already applied them.
	duplicates int
}

type pendingRequest struct {
	client sim.NodeID // where to send the reply
	id     string     // ClientID
	seq    uint64
}

// NewServer builds a server around a fresh state machine and the replica
// newReplica returns. newReplica receives the server, which is the Applier
// the replica must deliver committed commands to:
//
//	rsm.NewServer(func(app rsm.Applier) rsm.Replica { return raft.New(cfg, app) }, kv.New())
//
// Use it as a World node factory, so a restart builds both afresh and the
// replica rebuilds the state machine from its snapshot and log.
func NewServer(newReplica func(app Applier) Replica, machine StateMachine) *Server {
	s := &Server{
		machine:  machine,
		sessions: map[string]session{},
		pending:  map[uint64]pendingRequest{},
	}
	s.replica = newReplica(s)
	return s
}

// Replica is the consensus node inside the server, for inspection.
func (s *Server) Replica() Replica { return s.replica }

// Machine is the state machine inside the server, for inspection.
func (s *Server) Machine() StateMachine { return s.machine }

// Applied is the index of the last command applied to the state machine.
func (s *Server) Applied() uint64 { return s.applied }

// Start starts the replica.
func (s *Server) Start(env sim.Env) { s.replica.Start(env) }

// Receive handles client requests and passes everything else to the replica.
func (s *Server) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case ClientRequest:
		s.handleClientRequest(env, from, m)
	default:
		s.replica.Receive(env, from, msg)
	}
}

func (s *Server) handleClientRequest(env sim.Env, from sim.NodeID, req ClientRequest) {
	if sess, ok := s.sessions[req.ClientID]; ok && req.Seq <= sess.Seq {
		// Already applied: a retry whose first reply was lost. Answer from
		// the session without touching the log. (An older Seq than the
		// session's is a stray retry the client no longer waits for.)
		if req.Seq == sess.Seq {
			env.Send(from, ClientReply{ClientID: req.ClientID, Seq: req.Seq, Result: sess.Result})
		}
		return
	}
	cmd := encodeEntry(entry{ClientID: req.ClientID, Seq: req.Seq, Op: req.Op})
	index, ok, leader := s.replica.Propose(env, cmd)
	if !ok {
		env.Send(from, ClientReply{ClientID: req.ClientID, Seq: req.Seq, Err: ErrWrongLeader, Leader: leader})
		return
	}
	if index <= s.applied {
		// The replica committed and applied it inside Propose (a cluster
		// of one may): answer now, as settle would have.
		if sess := s.sessions[req.ClientID]; sess.Seq == req.Seq {
			env.Send(from, ClientReply{ClientID: req.ClientID, Seq: req.Seq, Result: sess.Result})
		} else {
			env.Send(from, ClientReply{ClientID: req.ClientID, Seq: req.Seq, Err: ErrWrongLeader, Leader: leader})
		}
		return
	}
	if old, taken := s.pending[index]; taken {
		// We proposed something at this index in an earlier term and it was
		// overwritten: it will never apply here.
		env.Send(old.client, ClientReply{ClientID: old.id, Seq: old.seq, Err: ErrWrongLeader})
	}
	s.pending[index] = pendingRequest{client: from, id: req.ClientID, seq: req.Seq}
}

// Apply runs one committed command: the Applier side of the server.
func (s *Server) Apply(env sim.Env, index uint64, cmd []byte) {
	if index <= s.applied {
		// The contract is once per index, in order; a replica that replays
		// must Restore first. Applying twice would corrupt the state.
		env.Logf("rsm: ignoring index %d: already applied up to %d", index, s.applied)
		return
	}
	s.applied = index
	if len(cmd) == 0 {
		return // a protocol's own no-op entry (a new Raft leader's first entry)
	}
	e, err := decodeEntry(cmd)
	if err != nil {
		// Every replica sees the same bytes and skips them alike, so the
		// replicas stay in step.
		env.Logf("rsm: skipping index %d: %v", index, err)
		s.settle(env, index, nil)
		return
	}
	var reply *ClientReply
	sess, seen := s.sessions[e.ClientID]
	switch {
	case !seen || e.Seq > sess.Seq:
		result := s.machine.Apply(e.Op)
		s.sessions[e.ClientID] = session{ClientID: e.ClientID, Seq: e.Seq, Result: result}
		reply = &ClientReply{ClientID: e.ClientID, Seq: e.Seq, Result: result}
	case e.Seq == sess.Seq:
		// A retry that reached the log twice: not applied again.
		s.duplicates++
		reply = &ClientReply{ClientID: e.ClientID, Seq: e.Seq, Result: sess.Result}
	default:
		// Older than the client's latest operation: the client has moved
		// on and nobody waits for this result, which is forgotten anyway.
		s.duplicates++
	}
	s.settle(env, index, reply)
}

// settle answers the client whose request this server proposed at index, if
// any. The reply for what applied there goes out only if it is the request
// proposed: another leader may have put a different entry at this index.
func (s *Server) settle(env sim.Env, index uint64, applied *ClientReply) {
	p, ok := s.pending[index]
	if !ok {
		return
	}
	delete(s.pending, index)
	if applied == nil || applied.ClientID != p.id || applied.Seq != p.seq {
		env.Send(p.client, ClientReply{ClientID: p.id, Seq: p.seq, Err: ErrWrongLeader})
		return
	}
	env.Send(p.client, *applied)
}

// Snapshot encodes the state machine together with the session table.
func (s *Server) Snapshot() []byte {
	return encodeSnapshot(s.sessions, s.machine.Snapshot())
}

// Restore replaces the state machine and the sessions with a snapshot
// covering commands 1..index. A snapshot that does not decode is a broken
// invariant (the replica hands back bytes Snapshot produced), so it panics.
func (s *Server) Restore(index uint64, snapshot []byte) {
	snap, err := decodeSnapshot(snapshot)
	if err != nil {
		panic(err.Error())
	}
	if err := s.machine.Restore(snap.Machine); err != nil {
		panic("rsm: restoring the state machine: " + err.Error())
	}
	s.sessions = make(map[string]session, len(snap.Sessions))
	for _, sess := range snap.Sessions {
		s.sessions[sess.ClientID] = sess
	}
	s.applied = index
	// Proposals at or below index were settled in the snapshot; their
	// clients will retry and be answered from the sessions.
	for i := range s.pending {
		if i <= index {
			delete(s.pending, i)
		}
	}
}

// Inspect merges the replica's own description (if it has one) with the
// server's: rsm.applied, rsm.sessions, rsm.pending, rsm.duplicates.
func (s *Server) Inspect() map[string]string {
	out := map[string]string{}
	if in, ok := s.replica.(sim.Inspector); ok {
		maps.Copy(out, in.Inspect())
	}
	out["rsm.applied"] = strconv.FormatUint(s.applied, 10)
	out["rsm.sessions"] = strconv.Itoa(len(s.sessions))
	out["rsm.pending"] = strconv.Itoa(len(s.pending))
	out["rsm.duplicates"] = strconv.Itoa(s.duplicates)
	return out
}

var _ Applier = (*Server)(nil)
var _ sim.Node = (*Server)(nil)
