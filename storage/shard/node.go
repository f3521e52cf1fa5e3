package shard

import (
	"strconv"

	"github.com/dsimlab/dsim/sim"
)

// Put stores Key=Value; the shard answers the client with PutAck.
type Put struct {
	Key, Value string
	// Client is who gets the PutAck (the router fills it in).
	Client sim.NodeID
}

// PutAck confirms a Put, naming the shard that stored it.
type PutAck struct {
	Key   string
	Shard sim.NodeID
}

// Scan asks for every key in [From, To).
type Scan struct {
	ID       string
	From, To string
	Client   sim.NodeID
}

// ScanPart is one shard's answer to a Scan; Of is how many parts to
// expect.
type ScanPart struct {
	ID    string
	Keys  []string
	Shard sim.NodeID
	Of    int
}

// Router sends each request to the shard the Sharder picks.
type Router struct {
	sharder Sharder
	shards  []sim.NodeID // shards[i] serves shard i
}

// NewRouter returns a router over the given shard servers, one per shard
// of s, in order. It panics if they differ in number: a wiring mistake.
func NewRouter(s Sharder, shards []sim.NodeID) *Router {
	if len(shards) != s.Shards() {
		panic("shard: router given " + strconv.Itoa(len(shards)) + " servers for " + strconv.Itoa(s.Shards()) + " shards")
	}
	return &Router{sharder: s, shards: shards}
}

func (r *Router) Start(sim.Env) {}

// Receive forwards writes to one shard and scans to those that may hold
// the range.
func (r *Router) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Put:
		m.Client = from
		env.Send(r.shards[r.sharder.Shard(m.Key)], m)
	case Scan:
		m.Client = from
		targets := r.sharder.ShardsFor(m.From, m.To)
		if len(targets) == 0 {
			env.Send(from, ScanPart{ID: m.ID, Of: 0})
			return
		}
		for _, s := range targets {
			env.Send(r.shards[s], scanAt{Scan: m, Of: len(targets)})
		}
	}
}

// scanAt is a Scan forwarded to one of Of shards.
type scanAt struct {
	Scan
	Of int
}

// Server is one shard: it stores keys on Disk and counts the writes it
// took.
type Server struct {
	// Writes counts the Puts this shard stored since it started: its load.
	Writes int
}

func (s *Server) Start(sim.Env) {}

// Receive stores writes and answers scans from its Disk.
func (s *Server) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Put:
		env.Disk().Put("k/"+m.Key, []byte(m.Value))
		s.Writes++
		env.Send(m.Client, PutAck{Key: m.Key, Shard: env.ID()})
	case scanAt:
		var keys []string
		for _, k := range env.Disk().Keys() { // sorted
			if key := k[2:]; key >= m.From && key < m.To {
				keys = append(keys, key)
			}
		}
		env.Send(m.Client, ScanPart{ID: m.ID, Keys: keys, Shard: env.ID(), Of: m.Of})
	}
}

// Inspect shows the load.
func (s *Server) Inspect() map[string]string {
	return map[string]string{"writes": strconv.Itoa(s.Writes)}
}
