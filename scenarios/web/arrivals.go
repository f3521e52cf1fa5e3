package web

import (
	"time"

	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

// arrivalCounter is a service that counts the requests it receives per 10ms,
// so bursts and waves show.
type arrivalCounter struct {
	*service.Server
	buckets map[time.Duration]int
}

func (a *arrivalCounter) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if _, ok := msg.(service.Request); ok {
		a.buckets[env.Now().Sub(sim.Epoch).Truncate(10*time.Millisecond)]++
	}
	a.Server.Receive(env, from, msg)
}

// peak is the most arrivals in one 10ms bucket in [from, to).
func peak(buckets map[time.Duration]int, from, to time.Duration) int {
	p := 0
	for t := from.Truncate(10 * time.Millisecond); t < to; t += 10 * time.Millisecond {
		p = max(p, buckets[t])
	}
	return p
}
