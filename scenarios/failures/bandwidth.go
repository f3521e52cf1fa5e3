package failures

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/service"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "fallacy-infinite-bandwidth",
		Summary: "fallacy 3, bandwidth is infinite: full snapshots 50 times a second swamp a 1 MB/s link, updates arrive seconds late and heartbeats queue behind them; deltas fit",
		Doc: `A primary sends its state to a replica in another building over a link
of 1 MB/s (the knob bandwidth, in bytes per second): 50 updates a second
for 2 seconds, and a small heartbeat every 100ms on the same link. The
replica declares the primary dead if no heartbeat arrives for 300ms.

  snapshot  every update carries the whole state, about 100 KB (80–120 KB)
  delta     every update carries only what changed, about 1 KB (0.5–1.5 KB)

A message occupies the link for its size divided by the bandwidth, and
waits for the messages queued before it (package network's bandwidth).
Snapshots need 5 MB/s: five times what the link carries.`,
		LookFor: `With snapshots the link's queue grows by about 4 MB a second: each update
arrives later than the one before, the last ones seconds late or not within
the run; heartbeats wait in the same queue, so the replica suspects a healthy
primary (false suspicions > 0). With deltas every update arrives within a
few milliseconds and no heartbeat is late. The table's bytes column says
why: the offered load against 1 MB/s.`,
		Chapter: "failures",
		Knobs: []scenarios.Knob{
			{Name: "bandwidth", Kind: scenarios.KnobInt, Default: "1000000", Min: 100000, Max: 100000000, Doc: "bytes per second the link carries"},
		},
		For:   6 * time.Second,
		Setup: setupBandwidth,
	})
}

const (
	bwUpdates       = 100
	bwEvery         = 20 * time.Millisecond
	bwHeartbeat     = 100 * time.Millisecond
	bwSuspectAfter  = 300 * time.Millisecond
	bwHeartbeatSize = 64
)

// StateUpdate carries update Seq of the primary's state: Bytes long.
type StateUpdate struct {
	Seq   int
	Sent  time.Duration // virtual time of sending, for the replica's age count
	Bytes int
}

// Size is the message's size on the link.
func (u StateUpdate) Size() int { return u.Bytes }

// Heartbeat says the primary is alive.
type Heartbeat struct{ Sent time.Duration }

// Size is the message's size on the link.
func (Heartbeat) Size() int { return bwHeartbeatSize }

type updateTick struct{}
type heartbeatTick struct{}
type suspectCheck struct{}

// primary sends bwUpdates updates of a size drawn from [minSize, maxSize],
// and heartbeats for as long as it sends updates.
type primary struct {
	replica          sim.NodeID
	minSize, maxSize int
	seq              int
	bytes            int // update bytes sent
}

func (p *primary) Start(env sim.Env) {
	env.SetTimer(bwEvery, updateTick{})
	env.SetTimer(bwHeartbeat, heartbeatTick{})
}

func (p *primary) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	now := since(env.Now())
	switch msg.(type) {
	case updateTick:
		p.seq++
		size := p.minSize + env.Rand().IntN(p.maxSize-p.minSize+1)
		p.bytes += size
		env.Send(p.replica, StateUpdate{Seq: p.seq, Sent: now, Bytes: size})
		if p.seq < bwUpdates {
			env.SetTimer(bwEvery, updateTick{})
		}
	case heartbeatTick:
		env.Send(p.replica, Heartbeat{Sent: now})
		if p.seq < bwUpdates {
			env.SetTimer(bwHeartbeat, heartbeatTick{})
		}
	}
}

func (p *primary) Inspect() map[string]string {
	return map[string]string{"sent": strconv.Itoa(p.seq), "bytes": strconv.Itoa(p.bytes)}
}

// bwReplica records how old each update is when it arrives, and suspects
// the primary when no heartbeat came for bwSuspectAfter.
type bwReplica struct {
	ages       []time.Duration
	lastBeat   time.Duration
	suspicions int  // times it declared the (healthy) primary dead
	suspecting bool // currently suspecting
	maxBeatAge time.Duration
	stopAt     time.Duration // stop watching after the primary stopped sending
}

func (r *bwReplica) Start(env sim.Env) { env.SetTimer(10*time.Millisecond, suspectCheck{}) }

func (r *bwReplica) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	now := since(env.Now())
	switch m := msg.(type) {
	case StateUpdate:
		r.ages = append(r.ages, now-m.Sent)
	case Heartbeat:
		r.lastBeat = now
		r.maxBeatAge = max(r.maxBeatAge, now-m.Sent)
		r.suspecting = false
	case suspectCheck:
		if now-r.lastBeat > bwSuspectAfter && !r.suspecting {
			r.suspecting = true
			r.suspicions++
			env.Logf("no heartbeat for %s: I suspect the primary", now-r.lastBeat)
		}
		if now < r.stopAt {
			env.SetTimer(10*time.Millisecond, suspectCheck{})
		}
	}
}

func (r *bwReplica) Inspect() map[string]string {
	return map[string]string{"updates": strconv.Itoa(len(r.ages)), "suspicions": strconv.Itoa(r.suspicions)}
}

type bwVariant struct {
	name             string
	minSize, maxSize int
	primary          *primary
	replica          *bwReplica
}

func setupBandwidth(o scenarios.Options) (*scenarios.Run, error) {
	bw := int64(o.Knobs.Int("bandwidth"))
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: 500 * time.Microsecond, Max: 1500 * time.Microsecond}, Bandwidth: bw}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	variants := []*bwVariant{
		{name: "snapshot", minSize: 80_000, maxSize: 120_000},
		{name: "delta", minSize: 500, maxSize: 1500},
	}
	for _, v := range variants {
		rep := sim.NodeID(v.name + "-replica")
		w.AddNode(sim.NodeID(v.name+"-primary"), func() sim.Node {
			v.primary = &primary{replica: rep, minSize: v.minSize, maxSize: v.maxSize}
			return v.primary
		})
		w.AddNode(rep, func() sim.Node {
			v.replica = &bwReplica{stopAt: bwUpdates*bwEvery + bwSuspectAfter}
			return v.replica
		})
	}
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishBandwidth(variants, bw) }}, nil
}

func finishBandwidth(variants []*bwVariant, bw int64) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	span := bwUpdates * bwEvery
	for _, v := range variants {
		ages := v.replica.ages
		offered := float64(v.primary.bytes) / span.Seconds()
		rows = append(rows, []string{v.name, fmt.Sprintf("%.2f MB/s", offered/1e6), fmt.Sprintf("%d/%d", len(ages), v.primary.seq),
			dur(service.Percentile(ages, 50)), dur(service.Percentile(ages, 100)), dur(v.replica.maxBeatAge), itoa(v.replica.suspicions)})
		m := v.name
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: m + "_offered_bytes_per_s", Value: offered, Unit: "B/s"},
			scenarios.Metric{Name: m + "_delivered", Value: float64(len(ages)), Unit: "updates"},
			scenarios.Metric{Name: m + "_max_age", Value: service.Percentile(ages, 100).Seconds(), Unit: "s"},
			scenarios.Metric{Name: m + "_false_suspicions", Value: float64(v.replica.suspicions), Unit: "suspicions"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("%d updates in %s over a link of %.2f MB/s, heartbeats every %s, suspicion after %s of silence:",
		bwUpdates, span, float64(bw)/1e6, bwHeartbeat, bwSuspectAfter))
	r.Summary = append(r.Summary, table([]string{"updates", "offered", "arrived", "p50 age", "max age", "max heartbeat age", "false suspicions"}, rows)...)
	snap, delta := variants[0], variants[1]
	snapMax := service.Percentile(snap.replica.ages, 100)
	deltaMax := service.Percentile(delta.replica.ages, 100)
	switch {
	case int64(snap.primary.bytes)*int64(time.Second)/int64(span) <= bw:
		c.Failf("the snapshots (%d bytes in %s) fit the link: raise the sizes or lower the bandwidth", snap.primary.bytes, span)
	case len(snap.replica.ages) == bwUpdates && snapMax < time.Second:
		c.Failf("snapshots arrived at most %s late: the link did not saturate", dur(snapMax))
	case snap.replica.suspicions == 0:
		c.Failf("no heartbeat queued long enough behind snapshots to make the replica suspect the primary")
	case len(delta.replica.ages) != bwUpdates || deltaMax > 50*time.Millisecond || delta.replica.suspicions > 0:
		c.Failf("deltas should all arrive within 50ms with no false suspicion: %d arrived, max age %s, %d suspicions",
			len(delta.replica.ages), dur(deltaMax), delta.replica.suspicions)
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("snapshots offered %.1f× what the link carries: updates arrived up to %s late and the healthy primary was suspected %d time(s); deltas arrived within %s",
			float64(snap.primary.bytes)/span.Seconds()/float64(bw), dur(snapMax), snap.replica.suspicions, dur(deltaMax)))
	}
	r.Err = c.Err()
	return r
}
