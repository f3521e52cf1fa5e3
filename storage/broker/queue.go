package broker

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Messages of the work queue.
type (
	// Publish asks the queue to store a message; the queue answers
	// Published once it has.
	Publish struct {
		ID   string // the producer's message id, for deduplication downstream
		Key  string // what the message is about (an account, an order)
		Body string
	}
	Published struct{ ID string }
	// Fetch asks for up to Max visible messages. If none is visible the
	// queue parks the request and answers as soon as one is (long polling).
	Fetch struct{ Max int }
	// Deliver hands one message to a consumer. Attempt counts deliveries
	// of this message: 2 and up are redeliveries.
	Deliver struct {
		ID, Key, Body string
		Seq           uint64 // publish order at the queue
		Attempt       int
	}
	// Ack tells the queue the message is processed: delete it. Seq, the
	// Deliver's, is the receipt: it names one stored message even when a
	// producer published the same id twice.
	Ack struct {
		ID  string
		Seq uint64
	}
)

// visibilityExpired is the queue's timer for one delivery.
type visibilityExpired struct {
	Seq     uint64
	Attempt int
}

// QueueConfig sets up a Queue.
type QueueConfig struct {
	// VisibilityTimeout is how long a delivered message stays invisible
	// waiting for its Ack before it is delivered again (default 100ms).
	VisibilityTimeout time.Duration
	// Dedup stores a message whose id the queue has seen only once, as an
	// SQS FIFO queue does. Off, a message published twice is delivered
	// twice, as with RabbitMQ: the consumer must cope.
	Dedup bool
}

// queued is one message held by the queue.
type queued struct {
	Deliver
	inFlight bool // delivered, not acknowledged, visibility timeout running
	to       sim.NodeID
}

// Queue is a work-queue broker. Invariant: every message is either ready
// (in ready order, oldest first) or in flight to exactly one consumer.
type Queue struct {
	cfg      QueueConfig
	msgs     map[uint64]*queued // by Seq
	ready    []uint64           // visible messages, publish order first
	waiting  []sim.NodeID       // consumers with a parked Fetch, oldest first
	wantMax  map[sim.NodeID]int
	seq      uint64
	seen     map[string]bool // ids ever published, for Dedup
	counters QueueCounters
}

// QueueCounters are what the queue did, for tables.
type QueueCounters struct {
	Published   int // messages stored (with Dedup, a retried Publish is stored once)
	Delivered   int // deliveries, redeliveries included
	Redelivered int // deliveries after a visibility timeout
	Acked       int
	LateAcks    int // acks for a message already acknowledged or unknown
}

// NewQueue returns a work queue.
func NewQueue(cfg QueueConfig) *Queue {
	if cfg.VisibilityTimeout <= 0 {
		cfg.VisibilityTimeout = 100 * time.Millisecond
	}
	return &Queue{cfg: cfg, msgs: map[uint64]*queued{}, wantMax: map[sim.NodeID]int{}, seen: map[string]bool{}}
}

func (q *Queue) Start(sim.Env) {}

func (q *Queue) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Publish:
		q.onPublish(env, from, m)
	case Fetch:
		q.onFetch(env, from, m)
	case Ack:
		q.onAck(env, m)
	case visibilityExpired:
		q.onVisibilityExpired(env, m)
	}
}

func (q *Queue) onPublish(env sim.Env, from sim.NodeID, m Publish) {
	if !q.cfg.Dedup || !q.seen[m.ID] {
		q.seen[m.ID] = true
		q.seq++
		q.counters.Published++
		q.msgs[q.seq] = &queued{Deliver: Deliver{ID: m.ID, Key: m.Key, Body: m.Body, Seq: q.seq}}
		q.ready = append(q.ready, q.seq)
	}
	env.Send(from, Published{ID: m.ID})
	q.dispatch(env)
}

func (q *Queue) onFetch(env sim.Env, from sim.NodeID, m Fetch) {
	// A consumer has at most one parked fetch: a restarted consumer's new
	// Fetch replaces the one its previous incarnation left.
	q.waiting = slices.DeleteFunc(q.waiting, func(id sim.NodeID) bool { return id == from })
	q.waiting = append(q.waiting, from)
	q.wantMax[from] = max(1, m.Max)
	q.dispatch(env)
}

// dispatch hands ready messages to parked consumers, oldest fetch first.
func (q *Queue) dispatch(env sim.Env) {
	for len(q.ready) > 0 && len(q.waiting) > 0 {
		to := q.waiting[0]
		q.waiting = q.waiting[1:]
		for n := q.wantMax[to]; n > 0 && len(q.ready) > 0; n-- {
			m := q.msgs[q.ready[0]]
			q.ready = q.ready[1:]
			m.inFlight, m.to = true, to
			m.Attempt++
			q.counters.Delivered++
			if m.Attempt > 1 {
				q.counters.Redelivered++
			}
			env.Send(to, m.Deliver)
			env.SetTimer(q.cfg.VisibilityTimeout, visibilityExpired{Seq: m.Seq, Attempt: m.Attempt})
		}
	}
}

func (q *Queue) onAck(env sim.Env, m Ack) {
	if _, ok := q.msgs[m.Seq]; !ok {
		q.counters.LateAcks++
		return
	}
	delete(q.msgs, m.Seq)
	q.ready = slices.DeleteFunc(q.ready, func(s uint64) bool { return s == m.Seq })
	q.counters.Acked++
}

// onVisibilityExpired makes an unacknowledged message visible again, at
// the head of the queue: the next consumer to fetch gets it.
func (q *Queue) onVisibilityExpired(env sim.Env, t visibilityExpired) {
	m, ok := q.msgs[t.Seq]
	if !ok || !m.inFlight || m.Attempt != t.Attempt {
		return // acknowledged, or a newer delivery owns the timer
	}
	m.inFlight = false
	env.Logf("no ack for %s from %s within %s: visible again", m.ID, m.to, q.cfg.VisibilityTimeout)
	q.ready = slices.Insert(q.ready, 0, t.Seq)
	q.dispatch(env)
}

// Depth is the number of messages waiting to be delivered.
func (q *Queue) Depth() int { return len(q.ready) }

// InFlight is the number of messages delivered and not yet acknowledged.
func (q *Queue) InFlight() int { return len(q.msgs) - len(q.ready) }

// Counters returns what the queue has done so far.
func (q *Queue) Counters() QueueCounters { return q.counters }

// Inspect shows the queue's depth and what it has delivered.
func (q *Queue) Inspect() map[string]string {
	c := q.counters
	return map[string]string{
		"depth":       strconv.Itoa(q.Depth()),
		"in flight":   strconv.Itoa(q.InFlight()),
		"published":   strconv.Itoa(c.Published),
		"delivered":   strconv.Itoa(c.Delivered),
		"redelivered": strconv.Itoa(c.Redelivered),
		"acked":       strconv.Itoa(c.Acked),
		"visibility":  fmt.Sprint(q.cfg.VisibilityTimeout),
	}
}
