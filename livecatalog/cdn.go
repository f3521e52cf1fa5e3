package livecatalog

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/cdn"
)

// FetchRequest asks a CDN edge for Path (`dsim get PATH`).
type FetchRequest struct {
	ClientID string
	Seq      uint64
	Path     string
}

// FetchReply answers it: the content, whether the edge had it (Hit), and
// how full the edge's LRU is after the request.
type FetchReply struct {
	ClientID string
	Seq      uint64
	Path     string
	Value    string
	Outcome  string // "ok", or why not ("timeout": the origin did not answer)
	Hit      bool
	Edge     sim.NodeID
	Entries  int
	Capacity int
}

// cdnOptions are the cdn family's options in the cluster file.
type cdnOptions struct {
	Origin        sim.NodeID `json:"origin"` // default: the first member
	Capacity      int        `json:"capacity"`
	TTL           duration   `json:"ttl"`
	OriginDelay   duration   `json:"origin_delay"`
	OriginTimeout duration   `json:"origin_timeout"`
}

func cdnConfig(c tcp.Cluster) (cdnOptions, error) {
	o := cdnOptions{Origin: c.IDs()[0], Capacity: 100, TTL: duration(time.Minute), OriginDelay: duration(30 * time.Millisecond), OriginTimeout: duration(time.Second)}
	if err := decodeOptions(c, &o); err != nil {
		return o, err
	}
	switch _, member := c.Member(o.Origin); {
	case !member:
		return o, optionError("origin", "%q is not a member (members: %v)", o.Origin, c.IDs())
	case len(c.Members) < 2:
		return o, optionError("origin", "a CDN needs at least one edge besides the origin")
	case o.Capacity < 1:
		return o, optionError("capacity", "%d: want at least 1 entry", o.Capacity)
	case o.TTL <= 0:
		return o, optionError("ttl", "%v: want a positive duration such as \"1m\"", o.TTL)
	case o.OriginDelay < 0:
		return o, optionError("origin_delay", "%v: want a duration, not negative", o.OriginDelay)
	case o.OriginTimeout <= 0:
		return o, optionError("origin_timeout", "%v: want a positive duration", o.OriginTimeout)
	}
	return o, nil
}

// CDNEdges are the edges of a cdn cluster (every member but the origin).
func CDNEdges(c tcp.Cluster) ([]sim.NodeID, error) {
	o, err := cdnConfig(c)
	if err != nil {
		return nil, err
	}
	var edges []sim.NodeID
	for _, id := range c.IDs() {
		if id != o.Origin {
			edges = append(edges, id)
		}
	}
	return edges, nil
}

// edgeNode is a cdn.Edge that also speaks to `dsim get`: a FetchRequest
// becomes a service.Request for the edge, and the edge's answer becomes a
// FetchReply saying whether it was a hit.
type edgeNode struct {
	*cdn.Edge
	// hit remembers, per client request, whether it was served from the
	// cache: decided when it arrives, reported when it is answered.
	hit map[fetchKey]bool
}

type fetchKey struct {
	client sim.NodeID
	seq    uint64
}

// replyEnv is the edge's Env with Send rewritten: a service.Response to a
// client of this wrapper goes out as a FetchReply.
type replyEnv struct {
	sim.Env
	n *edgeNode
}

func (e replyEnv) Send(to sim.NodeID, msg sim.Message) {
	r, ok := msg.(service.Response)
	k := fetchKey{to, r.ID}
	hit, waiting := e.n.hit[k]
	if !ok || r.Caller != "get" || !waiting {
		e.Env.Send(to, msg)
		return
	}
	delete(e.n.hit, k)
	e.Env.Send(to, FetchReply{ClientID: string(to), Seq: r.ID, Path: r.Key, Value: r.Value, Outcome: r.Outcome.String(),
		Hit: hit, Edge: e.Env.ID(), Entries: e.n.Len(), Capacity: e.n.Capacity()})
}

func (n *edgeNode) Start(env sim.Env) {
	n.hit = map[fetchKey]bool{}
	n.Edge.Start(replyEnv{env, n})
}

func (n *edgeNode) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if m, ok := msg.(FetchRequest); ok {
		n.hit[fetchKey{from, m.Seq}] = n.Fresh(m.Path, env.Now())
		msg = service.Request{ID: m.Seq, Caller: "get", Key: m.Path}
	}
	n.Edge.Receive(replyEnv{env, n}, from, msg)
}

func (n *edgeNode) Inspect() map[string]string {
	out := n.Edge.Inspect()
	out["role"] = "edge"
	out["capacity"] = strconv.Itoa(n.Capacity())
	return out
}

// originNode is the origin: a service.Server whose content for a path is
// "content of PATH", after OriginDelay of work.
type originNode struct{ *service.Server }

func (o originNode) Inspect() map[string]string {
	out := o.Server.Inspect()
	out["role"] = "origin"
	return out
}

func init() {
	Register(tcp.Protocol{
		Name:    "cdn",
		Summary: "an origin and LRU edge caches (cdn.Edge over storage/cache); clients fetch through the nearest edge; options origin, capacity, ttl, origin_delay",
		Register: func(r *tcp.Registry) error {
			return registerAll(r, []named{
				{"service.Request", service.Request{}},
				{"service.Response", service.Response{}},
				{"cdn.FetchRequest", FetchRequest{}},
				{"cdn.FetchReply", FetchReply{}},
			})
		},
		New: func(c tcp.NodeConfig) (sim.Node, error) {
			o, err := cdnConfig(c.Cluster)
			if err != nil {
				return nil, err
			}
			if c.ID == o.Origin {
				delay := time.Duration(o.OriginDelay)
				s, err := service.NewServer(service.ServerConfig{Workers: 64, ServiceTime: service.DistributionFunc(func(*rand.Rand) time.Duration { return delay }),
					Value: func(r service.Request) string { return "content of " + r.Key }})
				if err != nil {
					return nil, err
				}
				return originNode{s}, nil
			}
			e, err := cdn.NewEdge(cdn.EdgeConfig{Capacity: o.Capacity, TTL: time.Duration(o.TTL), Origin: o.Origin, OriginTimeout: time.Duration(o.OriginTimeout), Coalesce: true})
			if err != nil {
				return nil, err
			}
			return &edgeNode{Edge: e}, nil
		},
		ClientMessages: []string{"cdn.FetchRequest"},
		Try:            []string{"get /index.html", "get /index.html   (again: a hit)"},
	})
}
