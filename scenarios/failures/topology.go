package failures

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/ring"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "fallacy-fixed-topology",
		Summary: "fallacy 5, topology doesn't change: a fourth cache joins; a fixed server list never uses it, modulo hashing moves 3/4 of the keys, a consistent-hash ring about 1/4",
		Doc: `Three cache servers hold 300 keys for a client; a miss costs a trip to
the database. The client asks for every key once before 1s (warming the
caches) and once after. At 1s a fourth cache server joins and a directory
node announces the new membership to every client. Three clients, each
with its own four caches:

  fixed-list  was configured with three servers and never reads the
              announcement: the topology "doesn't change".
  mod-n       reads it and places key k on server hash(k) mod N.
  ring        reads it and places keys on a consistent-hashing ring with
              64 virtual nodes per server (package storage/ring).

A key that now belongs to another server misses there: the database sees
it again, and the warmed copy on the old server is wasted.`,
		LookFor: `After the join: fixed-list misses nothing but the new server gets 0
requests — capacity bought and unused, and a removed server would be called
for ever. mod-n moves about 3/4 of the keys (the misses column), a cold
start for most of the cache. ring moves about 1/4 (1/N of the keys, all to
the new server), and the new server takes its quarter of the requests.`,
		Chapter: "failures",
		For:     2 * time.Second,
		Setup:   setupTopology,
	})
}

const (
	topoKeys = 300
	topoJoin = time.Second
)

// CacheGet asks a cache for Key.
type CacheGet struct{ Key string }

// CacheReply says whether Key was a hit.
type CacheReply struct {
	Key string
	Hit bool
}

// Members announces the cache servers, in order.
type Members struct{ Nodes []sim.NodeID }

// topoCache holds the keys it was asked for: the first request for a key
// is a miss (a database read), later ones hit.
type topoCache struct {
	keys     map[string]bool
	requests int
	misses   int
}

func (c *topoCache) Start(sim.Env) { c.keys = map[string]bool{} }
func (c *topoCache) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	g, ok := msg.(CacheGet)
	if !ok {
		return
	}
	c.requests++
	hit := c.keys[g.Key]
	if !hit {
		c.misses++
		c.keys[g.Key] = true
	}
	env.Send(from, CacheReply{Key: g.Key, Hit: hit})
}
func (c *topoCache) Inspect() map[string]string {
	return map[string]string{"keys": strconv.Itoa(len(c.keys)), "requests": strconv.Itoa(c.requests), "misses": strconv.Itoa(c.misses)}
}

type topoTick struct{}

// topoClient asks for every key once before the join and once after,
// placing each on a server by its policy.
type topoClient struct {
	policy  string // fixed-list, mod-n, ring
	members []sim.NodeID
	ring    *ring.Ring
	keys    []string
	i       int // requests sent
	// misses after the join, counted from the replies
	missesAfter, repliesAfter int
}

func (c *topoClient) Start(env sim.Env) {
	c.ring = ring.MustNew(64, c.members...)
	env.SetTimer(time.Millisecond, topoTick{})
}

func (c *topoClient) owner(key string) sim.NodeID {
	switch c.policy {
	case "ring":
		id, _ := c.ring.Owner(key) // the ring always has members
		return id
	default:
		return c.members[ring.Hash(key)%uint64(len(c.members))]
	}
}

func (c *topoClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case topoTick:
		if c.i >= 2*len(c.keys) {
			return
		}
		key := c.keys[c.i%len(c.keys)]
		c.i++
		env.Send(c.owner(key), CacheGet{Key: key})
		// the second pass starts after the join
		gap := topoJoin * 9 / 10 / topoKeys
		if c.i == len(c.keys) {
			gap = topoJoin + 10*time.Millisecond - since(env.Now())
		}
		env.SetTimer(gap, topoTick{})
	case Members:
		if c.policy == "fixed-list" {
			return // configured once, never changes
		}
		for _, id := range m.Nodes {
			if !contains(c.members, id) {
				c.members = append(c.members, id)
				_ = c.ring.Add(id) // a new member: cannot fail
				env.Logf("%s joined: %d servers now", id, len(c.members))
			}
		}
	case CacheReply:
		if c.i > len(c.keys) {
			c.repliesAfter++
			if !m.Hit {
				c.missesAfter++
			}
		}
	}
}

func (c *topoClient) Inspect() map[string]string {
	return map[string]string{"policy": c.policy, "servers": strconv.Itoa(len(c.members)), "misses after join": strconv.Itoa(c.missesAfter)}
}

func contains(ids []sim.NodeID, id sim.NodeID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// directory announces the membership when told to.
type directory struct{}

func (d *directory) Start(sim.Env)                            {}
func (d *directory) Receive(sim.Env, sim.NodeID, sim.Message) {}
func (d *directory) Inspect() map[string]string {
	return map[string]string{"role": "membership directory"}
}
func (d *directory) announce(env sim.Env, client sim.NodeID, nodes []sim.NodeID) {
	env.Send(client, Members{Nodes: nodes})
}

type topoVariant struct {
	policy string
	client *topoClient
	caches []*topoCache
}

func setupTopology(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: 200 * time.Microsecond, Max: 800 * time.Microsecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	// the key names come from the seed, so each seed places keys anew
	keys := make([]string, topoKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("user:%d", (o.Seed*7919+uint64(i)*104729)%1_000_003)
	}
	variants := []*topoVariant{{policy: "fixed-list"}, {policy: "mod-n"}, {policy: "ring"}}
	for _, v := range variants {
		v.caches = make([]*topoCache, 4)
		var ids []sim.NodeID
		for i := range 4 {
			id := sim.NodeID(fmt.Sprintf("%s-c%d", v.policy, i+1))
			ids = append(ids, id)
			w.AddNode(id, func() sim.Node { v.caches[i] = &topoCache{}; return v.caches[i] })
		}
		cid := sim.NodeID(v.policy + "-client")
		w.AddClient(cid, func() sim.Node {
			v.client = &topoClient{policy: v.policy, members: ids[:3:3], keys: keys}
			return v.client
		})
	}
	w.AddNode("directory", func() sim.Node { return &directory{} })
	w.At(topoJoin, func() {
		w.Logf("a fourth cache server joins each cluster; the directory announces it")
		for _, v := range variants {
			ids := []sim.NodeID{}
			for i := range 4 {
				ids = append(ids, sim.NodeID(fmt.Sprintf("%s-c%d", v.policy, i+1)))
			}
			_ = w.Exec("directory", func(n sim.Node, env sim.Env) { n.(*directory).announce(env, sim.NodeID(v.policy+"-client"), ids) })
		}
	})
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishTopology(variants) }}, nil
}

func finishTopology(variants []*topoVariant) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	moved := map[string]float64{}
	newShare := map[string]float64{}
	for _, v := range variants {
		cl := v.client
		moved[v.policy] = float64(cl.missesAfter) / float64(max(cl.repliesAfter, 1))
		newShare[v.policy] = float64(v.caches[3].requests) / float64(max(cl.repliesAfter, 1))
		rows = append(rows, []string{v.policy, itoa(len(cl.members)), fmt.Sprintf("%d/%d", cl.missesAfter, cl.repliesAfter), pct(cl.missesAfter, cl.repliesAfter), itoa(v.caches[3].requests)})
		m := metricName(v.policy)
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: m + "_moved", Value: moved[v.policy], Unit: "share"},
			scenarios.Metric{Name: m + "_new_server_share", Value: newShare[v.policy], Unit: "share"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("%d keys on 3 caches, warmed; at %s a fourth joins; then every key is asked for again:", topoKeys, topoJoin))
	r.Summary = append(r.Summary, table([]string{"client", "servers known", "misses after join", "moved", "requests to the new server"}, rows)...)
	switch {
	case newShare["fixed-list"] != 0:
		c.Failf("the fixed-list client sent %.0f%% of its requests to the new server", newShare["fixed-list"]*100)
	case moved["mod-n"] < 0.6:
		c.Failf("modulo hashing moved only %.0f%% of the keys; want about 75%%", moved["mod-n"]*100)
	case moved["ring"] < 0.1 || moved["ring"] > 0.45:
		c.Failf("the ring moved %.0f%% of the keys; want about 25%%", moved["ring"]*100)
	case variants[2].caches[3].misses != variants[2].client.missesAfter:
		c.Failf("the ring's misses after the join (%d) were not all on the new server (%d)", variants[2].client.missesAfter, variants[2].caches[3].misses)
	case variants[2].client.repliesAfter != topoKeys:
		c.Failf("the ring client had %d of %d answers after the join", variants[2].client.repliesAfter, topoKeys)
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("the fixed list left the new server idle; mod-N hashing moved %.0f%% of the keys, the ring %.0f%% (all to the new server)",
			moved["mod-n"]*100, moved["ring"]*100))
	}
	r.Err = c.Err()
	return r
}
