package web

import (
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/cdn"
)

// The caching proxy of the web lessons (CDN edges, the cache tier in front
// of a database) is cdn.Edge; these names keep the lessons short.
type (
	cacheNodeConfig = cdn.EdgeConfig
	cacheNode       = cdn.Edge
)

func newCacheNode(cfg cacheNodeConfig) (*cacheNode, error) { return cdn.NewEdge(cfg) }

var originValue = cdn.OriginValue

// waiter is a request waiting for an answer from a dependency.
type waiter struct {
	from sim.NodeID
	req  service.Request
}
