package data

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/broker"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "outbox",
		Summary: "dual write loses an event at a crash or publishes one for a rolled-back order; the transactional outbox loses none, and its duplicates are absorbed downstream",
		Chapter: "messaging",
		Doc: `An order service must do two things for every order: commit it to its
database, and publish an OrderPlaced event for the shipping service.
Three copies of the service take the same orders side by side:

  commit, then publish  commits the order, then sends the event to the
                        queue;
  publish, then commit  sends the event first, then commits (or rolls
                        back: some orders fail their stock check at
                        commit);
  outbox                writes the order and an outbox row in one local
                        transaction; a relay polls the outbox table,
                        publishes each row, waits for the queue's
                        confirmation and only then deletes the row
                        (the seed's transactional outbox: no distributed
                        transaction, at-least-once delivery).

The script crashes each service the same few times: the dual writers
between their two writes, the outbox service after its relay has
published a row and before it heard the confirmation. Each restarts
20ms later. Downstream, a shipping consumer per lane applies events
with a processed-id table in the same transaction (an idempotent
consumer).`,
		LookFor: `The table, counted from each service's order table and each shipping
consumer's ledger. The client places an unanswered order again, so every
lane ends with the same orders committed. "commit, then publish" lost at
least one event per crash (more when another order was between its two
writes too): orders committed that shipping never heard of.
"publish, then commit" has ghost events, one per failed stock check:
shipping got orders that were rolled back; its crashed orders were placed
again and published twice. The outbox lane lost none and has no ghost;
its relay published again every row in flight at a crash ("published
twice" at least the crashes), and the idempotent consumer applied each
event once.`,
		Knobs: []scenarios.Knob{
			{Name: "orders", Kind: scenarios.KnobInt, Default: "30", Min: 5, Max: 200, Doc: "how many orders the client places"},
			{Name: "crashes", Kind: scenarios.KnobInt, Default: "3", Min: 0, Max: 10, Doc: "how many orders each service crashes in the middle of"},
			{Name: "relay-every", Kind: scenarios.KnobDuration, Default: "20ms", Min: float64(time.Millisecond), Max: float64(time.Second), Doc: "how often the outbox relay polls its table"},
		},
		For:   5 * time.Second,
		Setup: setupOutbox,
	})
}

// writeOrder is how an order service gets its event out.
type writeOrder int

const (
	commitThenPublish writeOrder = iota
	publishThenCommit
	transactionalOutbox
)

func (m writeOrder) String() string {
	return [...]string{"commit, then publish", "publish, then commit", "outbox"}[m]
}

func (m writeOrder) key() string { return [...]string{"commit_first", "publish_first", "outbox"}[m] }

// Messages between the client and an order service.
type (
	PlaceOrder struct {
		ID     string
		Amount int64
		// InStock is false for an order whose stock check fails at commit:
		// its transaction rolls back.
		InStock bool
	}
	// OrderDone answers a PlaceOrder once the service has done both of
	// its writes; a client places an unanswered order again.
	OrderDone struct {
		ID        string
		Committed bool
	}
	// secondWrite is the dual writer's timer: the second of its writes.
	secondWrite struct{ O PlaceOrder }
	relayPoll   struct{}
)

// orderService commits orders to its disk (order/ID) and gets an
// OrderPlaced event for each to a queue, in one of three ways.
//
// Disk: order/ID = amount (committed orders), outbox/NNNNNN = "ID AMOUNT"
// (unsent events, outbox mode), outbox-next.
type orderService struct {
	mode       writeOrder
	queue      sim.NodeID
	relayEvery time.Duration
	// between is the order between the dual writer's two writes ("" if
	// none): the window a crash falls into.
	between string
	// relaying maps each outbox row published and not yet confirmed to
	// the order id, and when it was sent.
	relaying map[string]time.Time
	rows     map[string]string // order id -> its outbox row key
}

func (s *orderService) Start(env sim.Env) {
	s.relaying, s.rows = map[string]time.Time{}, map[string]string{}
	if s.mode == transactionalOutbox {
		env.SetTimer(s.relayEvery, relayPoll{})
	}
}

func (s *orderService) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case PlaceOrder:
		s.onPlaceOrder(env, m)
	case secondWrite:
		s.onSecondWrite(env, m.O)
	case relayPoll:
		s.onRelayPoll(env)
	case broker.Published:
		s.onPublished(env, m)
	}
}

func orderEvent(o PlaceOrder) broker.Publish {
	return broker.Publish{ID: o.ID, Key: o.ID, Body: payment(o.ID, o.Amount)}
}

// commit is the order's local transaction: the order row (and, in outbox
// mode, the outbox row with it), or nothing if the stock check fails.
func (s *orderService) commit(env sim.Env, o PlaceOrder) bool {
	if !o.InStock {
		env.Logf("%s: out of stock, transaction rolled back", o.ID)
		return false
	}
	d := env.Disk()
	if _, dup := d.Get("order/" + o.ID); dup {
		return true // a retried order, already committed
	}
	putInt(d, "order/"+o.ID, o.Amount)
	if s.mode == transactionalOutbox {
		n := diskInt(d, "outbox-next")
		d.Put(fmt.Sprintf("outbox/%06d", n), []byte(o.ID+" "+strconv.FormatInt(o.Amount, 10)))
		putInt(d, "outbox-next", n+1)
	}
	d.Sync()
	return true
}

func (s *orderService) onPlaceOrder(env sim.Env, o PlaceOrder) {
	if _, dup := env.Disk().Get("order/" + o.ID); dup {
		env.Send(orderClientID, OrderDone{ID: o.ID, Committed: true}) // retried: done already
		return
	}
	switch s.mode {
	case commitThenPublish:
		if s.commit(env, o) {
			s.between = o.ID
			env.SetTimer(2*time.Millisecond, secondWrite{o})
		} else {
			env.Send(orderClientID, OrderDone{ID: o.ID})
		}
	case publishThenCommit:
		env.Send(s.queue, orderEvent(o))
		s.between = o.ID
		env.SetTimer(2*time.Millisecond, secondWrite{o})
	case transactionalOutbox:
		env.Send(orderClientID, OrderDone{ID: o.ID, Committed: s.commit(env, o)})
	}
}

func (s *orderService) onSecondWrite(env sim.Env, o PlaceOrder) {
	s.between = ""
	switch s.mode {
	case commitThenPublish:
		env.Send(s.queue, orderEvent(o))
		env.Send(orderClientID, OrderDone{ID: o.ID, Committed: true})
	case publishThenCommit:
		env.Send(orderClientID, OrderDone{ID: o.ID, Committed: s.commit(env, o)})
	}
}

// onRelayPoll publishes every outbox row not already on its way (or sent
// more than a second poll ago without a confirmation).
func (s *orderService) onRelayPoll(env sim.Env) {
	d := env.Disk()
	for _, k := range d.Keys() {
		if !strings.HasPrefix(k, "outbox/") {
			continue
		}
		v, _ := d.Get(k)
		id, amt, _ := strings.Cut(string(v), " ")
		if sent, ok := s.relaying[id]; ok && env.Now().Sub(sent) < 5*s.relayEvery {
			continue
		}
		a, _ := strconv.ParseInt(amt, 10, 64)
		s.relaying[id], s.rows[id] = env.Now(), k
		env.Send(s.queue, orderEvent(PlaceOrder{ID: id, Amount: a}))
	}
	env.SetTimer(s.relayEvery, relayPoll{})
}

// onPublished marks a row sent by deleting it.
func (s *orderService) onPublished(env sim.Env, p broker.Published) {
	k, ok := s.rows[p.ID]
	if !ok {
		return
	}
	env.Disk().Delete(k)
	env.Disk().Sync()
	delete(s.relaying, p.ID)
	delete(s.rows, p.ID)
}

// Inspect shows the outbox table and what the relay has in flight.
func (s *orderService) Inspect() map[string]string {
	return map[string]string{"mode": s.mode.String(), "between writes": s.between, "relay in flight": strings.Join(sortedKeys(s.relaying), " ")}
}

// orderClient places the orders, one every gap, with every service, and
// places an order again with a service that has not answered it within
// retry.
type orderClient struct {
	services []sim.NodeID
	orders   []PlaceOrder
	gap      time.Duration
	next     int
	// pending: per service, the orders placed and not answered, and when.
	pending map[sim.NodeID]map[string]time.Time
	retries int
}

type retryOrders struct{}

const orderClientID = "client"

const orderRetry = 50 * time.Millisecond

func (c *orderClient) Start(env sim.Env) {
	c.pending = map[sim.NodeID]map[string]time.Time{}
	for _, s := range c.services {
		c.pending[s] = map[string]time.Time{}
	}
	env.SetTimer(c.gap, publishNext{})
	env.SetTimer(orderRetry, retryOrders{})
}

func (c *orderClient) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case publishNext:
		if c.next < len(c.orders) {
			for _, s := range c.services {
				env.Send(s, c.orders[c.next])
				c.pending[s][c.orders[c.next].ID] = env.Now()
			}
			c.next++
			env.SetTimer(c.gap, publishNext{})
		}
	case OrderDone:
		delete(c.pending[from], m.ID)
	case retryOrders:
		for _, s := range c.services {
			for _, i := range c.orders {
				if at, ok := c.pending[s][i.ID]; ok && env.Now().Sub(at) >= orderRetry {
					c.retries++
					c.pending[s][i.ID] = env.Now()
					env.Send(s, i)
				}
			}
		}
		env.SetTimer(orderRetry, retryOrders{})
	}
}

// settled reports whether every order has been answered by every service.
func (c *orderClient) settled() bool {
	if c.next < len(c.orders) {
		return false
	}
	for _, p := range c.pending {
		if len(p) > 0 {
			return false
		}
	}
	return true
}

type outboxLane struct {
	mode               writeOrder
	service, queue, sh sim.NodeID
	crashed            map[string]bool
}

func setupOutbox(o scenarios.Options) (*scenarios.Run, error) {
	n, crashes := o.Knobs.Int("orders"), o.Knobs.Int("crashes")
	relayEvery := o.Knobs.Duration("relay-every")
	if crashes > n/2 {
		return nil, fmt.Errorf("crashes=%d with orders=%d: crash in at most half the orders", crashes, n)
	}
	w, net, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 14))
	var orders []PlaceOrder
	for i := 1; i <= n; i++ {
		orders = append(orders, PlaceOrder{ID: fmt.Sprintf("order-%02d", i), Amount: int64(10 + rng.IntN(90)), InStock: true})
	}
	perm := rng.Perm(n)
	targets := map[string]bool{}
	for _, i := range perm[:crashes] {
		targets[orders[i].ID] = true
	}
	for _, i := range perm[crashes : crashes+max(1, n/8)] {
		orders[i].InStock = false
	}
	var lanes []*outboxLane
	var services []sim.NodeID
	for _, m := range []writeOrder{commitThenPublish, publishThenCommit, transactionalOutbox} {
		k := strings.ReplaceAll(m.key(), "_", "-")
		l := &outboxLane{mode: m, service: sim.NodeID("orders-" + k), queue: sim.NodeID("queue-" + k), sh: sim.NodeID("shipping-" + k), crashed: map[string]bool{}}
		lanes = append(lanes, l)
		services = append(services, l.service)
		w.AddNode(l.service, func() sim.Node { return &orderService{mode: m, queue: l.queue, relayEvery: relayEvery} })
		w.AddNode(l.queue, func() sim.Node { return broker.NewQueue(broker.QueueConfig{}) })
		w.AddNode(l.sh, func() sim.Node { return &ledgerConsumer{queue: l.queue, dedup: atomicDedup, work: time.Millisecond} })
	}
	w.AddClient(orderClientID, func() sim.Node { return &orderClient{services: services, orders: orders, gap: 10 * time.Millisecond} })

	w.AfterStep(func() {
		for _, l := range lanes {
			s, ok := w.Node(l.service).(*orderService)
			if !ok {
				continue
			}
			var victim string
			if targets[s.between] && !l.crashed[s.between] {
				victim = s.between
			}
			for _, id := range sortedKeys(s.relaying) {
				if targets[id] && !l.crashed[id] {
					victim = id
				}
			}
			if victim == "" {
				continue
			}
			l.crashed[victim] = true
			if l.mode == transactionalOutbox {
				w.Logf("%s crashes after its relay published %s, before the confirmation", l.service, victim)
			} else {
				w.Logf("%s crashes between its two writes for %s", l.service, victim)
			}
			w.Crash(l.service)
			id := l.service
			w.After(consumerRestartAfter, func() { w.Restart(id) })
		}
	})
	done := func() bool {
		c, ok := w.Node(orderClientID).(*orderClient)
		if !ok || !c.settled() {
			return false
		}
		for _, l := range lanes {
			q := w.Node(l.queue).(*broker.Queue)
			if !w.Up(l.service) || q.Depth()+q.InFlight() > 0 || hasPrefix(w.Disk(l.service), "outbox/") {
				return false
			}
		}
		return true
	}
	finish := func() scenarios.Result {
		var r scenarios.Result
		var f firstErr
		var rows [][]string
		for _, l := range lanes {
			committed := map[string]bool{}
			for _, k := range w.Disk(l.service).Keys() {
				if id, ok := strings.CutPrefix(k, "order/"); ok {
					committed[id] = true
				}
			}
			applied, _ := ledger(w.Disk(l.sh))
			var lost, ghost []string
			twice := 0
			for _, id := range sortedKeys(committed) {
				if applied[id] == 0 {
					lost = append(lost, id)
				}
			}
			for _, id := range sortedKeys(applied) {
				if !committed[id] {
					ghost = append(ghost, id)
				}
				if applied[id] > 1 {
					twice++
				}
			}
			published := w.Node(l.queue).(*broker.Queue).Counters().Published
			dupPublished := published - len(applied)
			if l.mode == transactionalOutbox {
				dupPublished = published - len(committed)
			}
			outboxLeft := 0
			for _, k := range w.Disk(l.service).Keys() {
				if strings.HasPrefix(k, "outbox/") {
					outboxLeft++
				}
			}
			rows = append(rows, []string{l.mode.String(), itoa(len(committed)), itoa(len(applied)), itoa(len(lost)), itoa(len(ghost)),
				itoa(max(0, dupPublished)), itoa(twice), itoa(len(l.crashed))})
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: l.mode.key() + "_lost", Value: float64(len(lost)), Unit: "events"},
				scenarios.Metric{Name: l.mode.key() + "_ghost", Value: float64(len(ghost)), Unit: "events"},
				scenarios.Metric{Name: l.mode.key() + "_published_twice", Value: float64(max(0, dupPublished)), Unit: "events"},
				scenarios.Metric{Name: l.mode.key() + "_applied_twice", Value: float64(twice), Unit: "events"},
			)
			if len(lost) > 0 {
				r.Summary = append(r.Summary, fmt.Sprintf("%s: committed, never published: %s", l.mode, strings.Join(lost, " ")))
			}
			if len(ghost) > 0 {
				r.Summary = append(r.Summary, fmt.Sprintf("%s: published, never committed: %s", l.mode, strings.Join(ghost, " ")))
			}
			if twice > 0 {
				f.failf("%s: the idempotent consumer applied %d events twice", l.mode, twice)
			}
			if crashes > 0 && len(l.crashed) == 0 {
				f.failf("%s: no crash happened where the script wanted one", l.service)
			}
			switch l.mode {
			case commitThenPublish:
				if crashes > 0 && len(lost) == 0 {
					f.failf("commit-then-publish lost no event after %d crashes: the lesson did not show", len(l.crashed))
				}
				if len(ghost) > 0 {
					f.failf("commit-then-publish published %d events for orders never committed", len(ghost))
				}
			case publishThenCommit:
				if len(ghost) == 0 {
					f.failf("publish-then-commit published no event for a rolled-back order: the lesson did not show")
				}
			case transactionalOutbox:
				if len(lost)+len(ghost) > 0 || outboxLeft > 0 {
					f.failf("the outbox lost %d events, invented %d, and has %d rows unsent", len(lost), len(ghost), outboxLeft)
				}
				if crashes > 0 && dupPublished == 0 {
					f.failf("the outbox relay published nothing twice after %d crashes: the lesson did not show", len(l.crashed))
				}
			}
		}
		head := table([]string{"service", "orders committed", "events applied", "lost", "ghost", "published twice", "applied twice", "crashes"}, rows)
		r.Summary = append(head, r.Summary...)
		r.Err = f.err
		return r
	}
	return &scenarios.Run{World: w, Net: net, Done: done, Finish: finish}, nil
}

func hasPrefix(d sim.Disk, prefix string) bool {
	for _, k := range d.Keys() {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
