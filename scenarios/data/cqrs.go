package data

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "cqrs",
		Summary: "commands on a normalised write model, a denormalised read model fed by events that lags: read-your-writes violated, two fixes, and a read model rebuilt from the log",
		Chapter: "messaging",
		Doc: `The seed's CQRS picture: commands go to a write model, normalised
(customers, products, orders as separate tables, each order a row
pointing at a customer and a product); every change also appends an
event (OrderPlaced) to the write side's log. A projector polls that log
every "lag" and updates a read model, denormalised for the question the
UI asks: per customer, the orders with product names and the total spent,
ready to serve without a join.

Three kinds of client place an order and at once ask for their
customer's page:

  query side           read the read model straight away;
  write side           read from the write model (joins on the spot);
  wait for position    the write answers with its log position; the
                       read model holds the query until it has projected
                       that far.

At 1s a second read model starts from an empty table and projects the
whole log from position 0: rebuilding a read model is replaying.`,
		LookFor: `The table. "query side" misses its own order in most reads: the
read-your-writes violation lasts as long as the projection lags (mean lag
about half the poll interval plus a round trip). "write side" and "wait
for position" never miss it; waiting costs about the lag in read latency,
the write side pays with load on the write model. The rebuilt read model
ends equal to the live one, customer by customer. Try --set lag=10ms:
fewer violations, never none.`,
		Knobs: []scenarios.Knob{
			{Name: "lag", Kind: scenarios.KnobDuration, Default: "100ms", Min: float64(time.Millisecond), Max: float64(2 * time.Second), Doc: "how often the projector polls the write side's event log"},
			{Name: "orders", Kind: scenarios.KnobInt, Default: "20", Min: 2, Max: 200, Doc: "how many orders each client places"},
		},
		For:   10 * time.Second,
		Setup: setupCQRS,
	})
}

// Messages of the CQRS scenario.
type (
	// Order is the PlaceOrder command of the write model.
	Order struct {
		ID, Customer, Product string
		Qty                   int64
	}
	// OrderAck answers an Order with the event's log position.
	OrderAck struct {
		ID       string
		Position int64
	}
	// OrderPlaced is the write side's event. It carries what the read
	// model needs, denormalised: the product's name and the line total.
	OrderPlaced struct {
		Position              int64
		ID, Customer, Product string
		Total                 int64
		At                    time.Time
	}
	// PollEvents asks the write side for the events after a position.
	PollEvents struct{ After int64 }
	Events     struct{ Events []OrderPlaced }
	// PageQuery asks for a customer's page. MinPosition > 0 asks the read
	// model to answer only once it has projected that far.
	PageQuery struct {
		Seq         int
		Customer    string
		MinPosition int64
	}
	// Page is a customer's page: their orders and total.
	Page struct {
		Seq      int
		Customer string
		Orders   []string // order ids, oldest first
		Total    int64
		Position int64 // the read model's position when it answered
	}
	projectTick struct{}
)

// writeModel is the command side: normalised tables and an event log.
type writeModel struct {
	customers map[string]string      // id -> name
	products  map[string]cqrsProduct // id -> name, price
	orders    []Order                // the orders table, in commit order
	log       []OrderPlaced          // positions 1..len
	reads     int                    // queries served (the write side's extra load)
}

type cqrsProduct struct {
	Name  string
	Price int64
}

func newWriteModel() *writeModel {
	w := &writeModel{customers: map[string]string{}, products: map[string]cqrsProduct{}}
	for i, n := range []string{"Aiko", "Bo", "Chen", "Daiki"} {
		w.customers[fmt.Sprintf("cust-%d", i+1)] = n
	}
	for i, p := range []cqrsProduct{{"kettle", 30}, {"teapot", 45}, {"cups", 12}} {
		w.products[fmt.Sprintf("prod-%d", i+1)] = p
	}
	return w
}

func (m *writeModel) Start(sim.Env) {}

func (m *writeModel) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch c := msg.(type) {
	case Order:
		p := m.products[c.Product]
		m.orders = append(m.orders, c)
		e := OrderPlaced{Position: int64(len(m.log) + 1), ID: c.ID, Customer: c.Customer, Product: p.Name, Total: p.Price * c.Qty, At: env.Now()}
		m.log = append(m.log, e)
		env.Send(from, OrderAck{ID: c.ID, Position: e.Position})
	case PollEvents:
		var out []OrderPlaced
		if c.After < int64(len(m.log)) {
			out = slices.Clone(m.log[c.After:])
		}
		env.Send(from, Events{Events: out})
	case PageQuery:
		// The write side answers by joining its tables on the spot.
		m.reads++
		pg := Page{Seq: c.Seq, Customer: c.Customer, Position: int64(len(m.log))}
		for _, o := range m.orders {
			if o.Customer == c.Customer {
				pg.Orders = append(pg.Orders, o.ID)
				pg.Total += m.products[o.Product].Price * o.Qty
			}
		}
		env.Send(from, pg)
	}
}

func (m *writeModel) Inspect() map[string]string {
	return map[string]string{"orders": strconv.Itoa(len(m.orders)), "log position": strconv.Itoa(len(m.log)), "queries served": strconv.Itoa(m.reads)}
}

// readModel is the query side: one denormalised row per customer, kept
// up to date by polling the write side's log every interval.
type readModel struct {
	writer     sim.NodeID
	every      time.Duration
	startAfter time.Duration
	position   int64
	pages      map[string]*Page
	waiting    []waitingQuery // queries held for a position
	lagTotal   time.Duration  // sum over applied events of (applied - committed)
	lagMax     time.Duration
	applied    int
}

type waitingQuery struct {
	from sim.NodeID
	q    PageQuery
}

func (r *readModel) Start(env sim.Env) {
	r.pages = map[string]*Page{}
	env.SetTimer(r.startAfter+r.every, projectTick{})
}

func (r *readModel) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case projectTick:
		env.Send(r.writer, PollEvents{After: r.position})
		env.SetTimer(r.every, projectTick{})
	case Events:
		for _, e := range m.Events {
			if e.Position != r.position+1 {
				continue // an answer to an older poll, already applied
			}
			r.project(env, e)
		}
		r.release(env)
	case PageQuery:
		if m.MinPosition > r.position {
			r.waiting = append(r.waiting, waitingQuery{from, m})
			return
		}
		env.Send(from, r.page(m))
	}
}

// project applies one event to the denormalised rows.
func (r *readModel) project(env sim.Env, e OrderPlaced) {
	p, ok := r.pages[e.Customer]
	if !ok {
		p = &Page{Customer: e.Customer}
		r.pages[e.Customer] = p
	}
	p.Orders = append(p.Orders, e.ID)
	p.Total += e.Total
	r.position = e.Position
	lag := env.Now().Sub(e.At)
	r.lagTotal += lag
	r.lagMax = max(r.lagMax, lag)
	r.applied++
}

func (r *readModel) page(q PageQuery) Page {
	pg := Page{Seq: q.Seq, Customer: q.Customer, Position: r.position}
	if p, ok := r.pages[q.Customer]; ok {
		pg.Orders, pg.Total = slices.Clone(p.Orders), p.Total
	}
	return pg
}

func (r *readModel) release(env sim.Env) {
	keep := r.waiting[:0]
	for _, w := range r.waiting {
		if w.q.MinPosition <= r.position {
			env.Send(w.from, r.page(w.q))
		} else {
			keep = append(keep, w)
		}
	}
	r.waiting = keep
}

// Inspect shows the projection's position, lag and held queries.
func (r *readModel) Inspect() map[string]string {
	mean := time.Duration(0)
	if r.applied > 0 {
		mean = r.lagTotal / time.Duration(r.applied)
	}
	return map[string]string{"position": strconv.FormatInt(r.position, 10), "projection lag mean": sim.FormatTime(mean),
		"projection lag max": sim.FormatTime(r.lagMax), "queries waiting": strconv.Itoa(len(r.waiting))}
}

// readStrategy is how a client reads its own write.
type readStrategy int

const (
	readQuerySide readStrategy = iota
	readWriteSide
	readWaitForPosition
)

func (s readStrategy) String() string {
	return [...]string{"query side", "write side", "wait for position"}[s]
}

func (s readStrategy) key() string { return [...]string{"query", "write", "wait"}[s] }

// cqrsClient places an order, then reads its customer's page, and again.
type cqrsClient struct {
	strategy         readStrategy
	writer, reader   sim.NodeID
	customer         string
	orders           int
	seq              int
	current          string
	askedAt          time.Time
	reads, stale     int
	readLatencyTotal time.Duration
}

type nextOrder struct{}

func (c *cqrsClient) Start(env sim.Env) {
	env.SetTimer(time.Duration(20+env.Rand().IntN(30))*time.Millisecond, nextOrder{})
}

func (c *cqrsClient) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case nextOrder:
		if c.seq >= c.orders {
			return
		}
		c.seq++
		c.current = fmt.Sprintf("%s-o%02d", c.customer, c.seq)
		env.Send(c.writer, Order{ID: c.current, Customer: c.customer, Product: fmt.Sprintf("prod-%d", 1+env.Rand().IntN(3)), Qty: int64(1 + env.Rand().IntN(3))})
	case OrderAck:
		q := PageQuery{Seq: c.seq, Customer: c.customer}
		to := c.reader
		switch c.strategy {
		case readWriteSide:
			to = c.writer
		case readWaitForPosition:
			q.MinPosition = m.Position
		}
		c.askedAt = env.Now()
		env.Send(to, q)
	case Page:
		if m.Seq != c.seq {
			return
		}
		c.reads++
		c.readLatencyTotal += env.Now().Sub(c.askedAt)
		if !slices.Contains(m.Orders, c.current) {
			c.stale++
			env.Logf("read my page at position %d: my order %s is missing", m.Position, c.current)
		}
		env.SetTimer(time.Duration(30+env.Rand().IntN(40))*time.Millisecond, nextOrder{})
	}
}

func setupCQRS(o scenarios.Options) (*scenarios.Run, error) {
	lag, orders := o.Knobs.Duration("lag"), o.Knobs.Int("orders")
	w, net, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	const rebuildAt = time.Second
	w.AddNode("write-model", func() sim.Node { return newWriteModel() })
	w.AddNode("read-model", func() sim.Node { return &readModel{writer: "write-model", every: lag} })
	w.AddNode("read-model-rebuilt", func() sim.Node { return &readModel{writer: "write-model", every: lag, startAfter: rebuildAt} })
	var clients []sim.NodeID
	for i, s := range []readStrategy{readQuerySide, readWriteSide, readWaitForPosition} {
		id := sim.NodeID("client-" + s.key())
		clients = append(clients, id)
		cust := fmt.Sprintf("cust-%d", i+1)
		w.AddClient(id, func() sim.Node {
			return &cqrsClient{strategy: s, writer: "write-model", reader: "read-model", customer: cust, orders: orders}
		})
	}
	client := func(id sim.NodeID) *cqrsClient { return w.Node(id).(*cqrsClient) }
	done := func() bool {
		wm := w.Node("write-model").(*writeModel)
		for _, id := range clients {
			if client(id).reads < orders {
				return false
			}
		}
		rb := w.Node("read-model-rebuilt").(*readModel)
		return w.Now() > rebuildAt && rb.position == int64(len(wm.log)) && w.Node("read-model").(*readModel).position == rb.position
	}
	finish := func() scenarios.Result {
		var r scenarios.Result
		var f firstErr
		var rows [][]string
		latency := map[readStrategy]time.Duration{}
		for i, id := range clients {
			s := readStrategy(i)
			c := client(id)
			if c.reads == 0 {
				f.failf("%s made no read", id)
				continue
			}
			mean := c.readLatencyTotal / time.Duration(c.reads)
			latency[s] = mean
			rows = append(rows, []string{s.String(), itoa(c.reads), itoa(c.stale), fmt.Sprintf("%.0f%%", 100*float64(c.stale)/float64(c.reads)), sim.FormatTime(mean)})
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: s.key() + "_stale", Value: float64(c.stale), Unit: "reads"},
				scenarios.Metric{Name: s.key() + "_reads", Value: float64(c.reads), Unit: "reads"},
				scenarios.Metric{Name: s.key() + "_read_latency", Value: ms(mean), Unit: "ms"})
			if s != readQuerySide && c.stale > 0 {
				f.failf("%s missed its own write %d times", s, c.stale)
			}
			if s == readQuerySide && c.stale == 0 {
				f.failf("the query side never missed a write: the lesson did not show (lag %s)", lag)
			}
		}
		if latency[readWaitForPosition] <= latency[readWriteSide] {
			f.failf("waiting for the position (%s) was not slower than reading the write side (%s)", latency[readWaitForPosition], latency[readWriteSide])
		}
		live, rebuilt := w.Node("read-model").(*readModel), w.Node("read-model-rebuilt").(*readModel)
		wm := w.Node("write-model").(*writeModel)
		same := 0
		for _, cust := range sortedKeys(live.pages) {
			a, b := live.pages[cust], rebuilt.pages[cust]
			if b == nil || !slices.Equal(a.Orders, b.Orders) || a.Total != b.Total {
				f.failf("the rebuilt read model differs for %s", cust)
				continue
			}
			same++
		}
		mean := time.Duration(0)
		if live.applied > 0 {
			mean = live.lagTotal / time.Duration(live.applied)
		}
		r.Summary = append(table([]string{"client reads", "reads", "own write missing", "share", "read latency"}, rows),
			fmt.Sprintf("projection lag (event committed -> in the read model): mean %s, max %s, polling every %s",
				sim.FormatTime(mean), sim.FormatTime(live.lagMax), lag),
			fmt.Sprintf("read model rebuilt from position 0 at %s: %d events replayed, %d/%d customer pages equal to the live read model's",
				sim.FormatTime(rebuildAt), rebuilt.applied, same, len(live.pages)),
			fmt.Sprintf("the write model served %d queries for the write-side client on top of %d commands", wm.reads, len(wm.orders)))
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: "lag_mean", Value: ms(mean), Unit: "ms"},
			scenarios.Metric{Name: "lag_max", Value: ms(live.lagMax), Unit: "ms"},
			scenarios.Metric{Name: "rebuilt_equal", Value: float64(same), Unit: "customers"})
		if rebuilt.applied != len(wm.log) {
			f.failf("the rebuilt read model projected %d of %d events", rebuilt.applied, len(wm.log))
		}
		r.Err = f.err
		return r
	}
	return &scenarios.Run{World: w, Net: net, Done: done, Finish: finish}, nil
}
