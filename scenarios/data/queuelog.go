package data

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/broker"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "broker-queue-vs-log",
		Summary: "a work queue (acks, visibility timeout, competing consumers) against a partitioned log (offsets, consumer groups, replay): duplicates, order and replay compared",
		Chapter: "messaging",
		Doc: `The seed's two kinds of broker, side by side, fed the same 40 messages
about 4 users ("bo 3" is Bo's third event), one every 5ms.

The work queue (RabbitMQ/SQS style) has three competing consumers. Each
fetches one message, works on it (5-25ms; one message in ten is slow,
150ms), applies its effect, then acknowledges it. A message not
acknowledged within the visibility timeout (100ms) goes to the next
consumer that asks. At about 50ms consumer q2 crashes after applying a
message's effect and before acknowledging it; it restarts 20ms later.

The partitioned log (Kafka style) has three partitions, the user's name
picking the partition, and a consumer group "billing" of three
consumers, each owning one partition. A consumer reads a batch from its
committed offset, applies each record in order, and commits the offset
after the batch. At about 50ms consumer l2 crashes in the middle of a
batch, after applying some records and before committing them.

After everything is consumed (at 1.5s) a new consumer arrives on each
side: on the queue, one more consumer; on the log, a new group "audit"
reading every partition from offset 0.`,
		LookFor: `The table, counted from what each consumer applied (its disk). Both
brokers deliver at least once: both show messages processed twice (the
queue's crashed and slow messages, redelivered after the visibility
timeout; the log's uncommitted batch, read again from the committed
offset). The queue reorders a user's messages (competing consumers, slow
messages, redeliveries); the log never does within a user (one partition,
read in order), though messages of different users are not in publish
order. The late queue consumer finds nothing: acknowledged messages are
gone. The audit group replays all 40 from offset 0. Look at the log's
card in the TUI: each partition's end and each group's committed offset
and lag.`,
		Knobs: []scenarios.Knob{
			{Name: "visibility", Kind: scenarios.KnobDuration, Default: "100ms", Min: float64(10 * time.Millisecond), Max: float64(2 * time.Second), Doc: "the queue's visibility timeout"},
			{Name: "messages", Kind: scenarios.KnobInt, Default: "40", Min: 12, Max: 400, Doc: "how many messages the producer sends to each broker"},
		},
		For:   2 * time.Second,
		Setup: setupQueueVsLog,
	})
}

// qlUsers are the message keys; with 3 partitions they land on
// partitions 1, 2, 0 and 1 (PartitionOf).
var qlUsers = []string{"aiko", "bo", "chen", "daiki"}

const (
	qlSlowWork   = 150 * time.Millisecond
	qlCrashAfter = 50 * time.Millisecond
	qlLateAt     = 1500 * time.Millisecond
	qlBatch      = 5
)

// applied is one effect a consumer applied, as it writes it to its disk:
// "ID KEY N SEQ TIME", N being the message's number for its key and SEQ
// its publish order.
type applied struct {
	id, key  string
	n, seq   int
	at       time.Duration
	consumer sim.NodeID
}

// workFor is how long a consumer works on a message: 5-25ms, one in ten
// 150ms. It depends on the message, not the consumer, so both brokers
// see the same slow messages.
func workFor(seq int) time.Duration {
	if seq%10 == 7 {
		return qlSlowWork
	}
	return time.Duration(5+(seq*7)%21) * time.Millisecond
}

func recordApplied(env sim.Env, id, body string) {
	d := env.Disk()
	n := diskInt(d, "applied-next")
	d.Put(fmt.Sprintf("applied/%06d", n), fmt.Appendf(nil, "%s %s %d", id, body, env.Now().Sub(sim.Epoch)))
	putInt(d, "applied-next", n+1)
	d.Sync()
}

func readApplied(d sim.Disk, consumer sim.NodeID) []applied {
	var out []applied
	for _, k := range d.Keys() {
		if !strings.HasPrefix(k, "applied/") {
			continue
		}
		v, _ := d.Get(k)
		var a applied
		var at int64
		fmt.Sscanf(string(v), "%s %s %d %d %d", &a.id, &a.key, &a.n, &a.seq, &at)
		a.at, a.consumer = time.Duration(at), consumer
		out = append(out, a)
	}
	return out
}

// queueWorker is a competing consumer of a work queue: fetch one, work,
// apply the effect, ack.
type queueWorker struct {
	queue      sim.NodeID
	startAfter time.Duration
	current    *broker.Deliver
	effectDone bool // the current message's effect is applied, its ack not yet sent
}

type (
	qwStart  struct{}
	qwEffect struct{ D broker.Deliver }
	qwAck    struct{ D broker.Deliver }
)

func (q *queueWorker) Start(env sim.Env) { env.SetTimer(q.startAfter, qwStart{}) }

func (q *queueWorker) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case qwStart:
		env.Send(q.queue, broker.Fetch{Max: 1})
	case broker.Deliver:
		q.current = &m
		seq, _ := strconv.Atoi(strings.Fields(m.Body)[2])
		env.SetTimer(workFor(seq), qwEffect{m})
	case qwEffect:
		recordApplied(env, m.D.ID, m.D.Body)
		q.effectDone = true
		env.SetTimer(time.Millisecond, qwAck(m)) // the ack goes out after the effect's commit
	case qwAck:
		q.current, q.effectDone = nil, false
		env.Send(q.queue, broker.Ack{ID: m.D.ID, Seq: m.D.Seq})
		env.Send(q.queue, broker.Fetch{Max: 1})
	}
}

func (q *queueWorker) Inspect() map[string]string {
	cur := ""
	if q.current != nil {
		cur = fmt.Sprintf("%s (attempt %d)", q.current.ID, q.current.Attempt)
	}
	return map[string]string{"working on": cur}
}

// logWorker is a member of a consumer group: for each partition it owns,
// it fetches the committed offset, reads a batch, applies each record in
// order, and commits after the batch.
type logWorker struct {
	log        sim.NodeID
	group      string
	partitions []int
	startAfter time.Duration
	// replay makes the worker only count what it reads (no work time):
	// the audit group reading the log again.
	replay   bool
	offset   map[int]int64 // next offset to read, per partition
	work     []broker.Record
	workPart []int
	busy     bool
	// uncommitted counts records applied since the last commit: a crash
	// now makes the group read them again.
	uncommitted int
}

type (
	lwStart   struct{}
	lwPoll    struct{ P int }
	lwApplied struct{}
)

func (l *logWorker) Start(env sim.Env) {
	l.offset = map[int]int64{}
	env.SetTimer(l.startAfter, lwStart{})
}

func (l *logWorker) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case lwStart:
		for _, p := range l.partitions {
			env.Send(l.log, broker.OffsetFetch{Group: l.group, Partition: p})
		}
	case broker.Committed:
		l.offset[m.Partition] = m.Offset
		env.Send(l.log, broker.Read{Partition: m.Partition, Offset: m.Offset, Max: qlBatch})
	case lwPoll:
		env.Send(l.log, broker.Read{Partition: m.P, Offset: l.offset[m.P], Max: qlBatch})
	case broker.Records:
		if len(m.Records) == 0 {
			env.SetTimer(20*time.Millisecond, lwPoll{m.Partition})
			return
		}
		for _, r := range m.Records {
			l.work = append(l.work, r)
			l.workPart = append(l.workPart, m.Partition)
		}
		l.next(env)
	case lwApplied:
		r, p := l.work[0], l.workPart[0]
		l.work, l.workPart = l.work[1:], l.workPart[1:]
		recordApplied(env, r.ID, r.Body)
		l.uncommitted++
		l.offset[p] = r.Offset + 1
		l.busy = false
		if !slices.Contains(l.workPart, p) { // the batch of p is done: commit, read on
			env.Send(l.log, broker.Commit{Group: l.group, Partition: p, Offset: l.offset[p]})
			l.uncommitted = 0
			env.Send(l.log, broker.Read{Partition: p, Offset: l.offset[p], Max: qlBatch})
		}
		l.next(env)
	}
}

func (l *logWorker) next(env sim.Env) {
	if l.busy || len(l.work) == 0 {
		return
	}
	l.busy = true
	seq, _ := strconv.Atoi(strings.Fields(l.work[0].Body)[2])
	d := workFor(seq)
	if l.replay {
		d = 0
	}
	env.SetTimer(d, lwApplied{})
}

func (l *logWorker) Inspect() map[string]string {
	var offs []string
	for _, p := range l.partitions {
		offs = append(offs, fmt.Sprintf("p%d@%d", p, l.offset[p]))
	}
	return map[string]string{"group": l.group, "offsets": strings.Join(offs, " "), "applied, not committed": strconv.Itoa(l.uncommitted)}
}

// logProducer appends messages to the log, one every gap.
type logProducer struct {
	log  sim.NodeID
	msgs []broker.Publish
	gap  time.Duration
	next int
}

func (p *logProducer) Start(env sim.Env) { env.SetTimer(p.gap, publishNext{}) }

func (p *logProducer) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	if _, ok := msg.(publishNext); ok && p.next < len(p.msgs) {
		m := p.msgs[p.next]
		env.Send(p.log, broker.Append{ID: m.ID, Key: m.Key, Body: m.Body})
		p.next++
		env.SetTimer(p.gap, publishNext{})
	}
}

// orderStats counts, over the first application of each message in time
// order, the messages applied after a later one of the same key, and
// after a later one of any key.
func orderStats(all []applied) (withinKey, overall, twice int) {
	slices.SortStableFunc(all, func(a, b applied) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return strings.Compare(string(a.consumer), string(b.consumer))
	})
	seen := map[string]int{}
	maxN := map[string]int{}
	maxSeq := 0
	for _, a := range all {
		seen[a.id]++
		if seen[a.id] == 2 {
			twice++
		}
		if seen[a.id] > 1 {
			continue
		}
		if a.n < maxN[a.key] {
			withinKey++
		}
		if a.seq < maxSeq {
			overall++
		}
		maxN[a.key] = max(maxN[a.key], a.n)
		maxSeq = max(maxSeq, a.seq)
	}
	return withinKey, overall, twice
}

func setupQueueVsLog(o scenarios.Options) (*scenarios.Run, error) {
	visibility, n := o.Knobs.Duration("visibility"), o.Knobs.Int("messages")
	w, net, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	var msgs []broker.Publish
	perKey := map[string]int{}
	for i := 1; i <= n; i++ {
		key := qlUsers[(i-1)%len(qlUsers)]
		perKey[key]++
		msgs = append(msgs, broker.Publish{ID: fmt.Sprintf("m%02d", i), Key: key, Body: fmt.Sprintf("%s %d %d", key, perKey[key], i)})
	}
	const partitions = 3
	w.AddNode("queue", func() sim.Node { return broker.NewQueue(broker.QueueConfig{VisibilityTimeout: visibility}) })
	w.AddNode("log", func() sim.Node { return broker.NewLog(partitions) })
	qs := []sim.NodeID{"q1", "q2", "q3"}
	ls := []sim.NodeID{"l1", "l2", "l3"}
	for _, id := range qs {
		w.AddNode(id, func() sim.Node { return &queueWorker{queue: "queue"} })
	}
	for i, id := range ls {
		w.AddNode(id, func() sim.Node { return &logWorker{log: "log", group: "billing", partitions: []int{i}} })
	}
	w.AddNode("q-late", func() sim.Node { return &queueWorker{queue: "queue", startAfter: qlLateAt} })
	w.AddNode("l-audit", func() sim.Node {
		return &logWorker{log: "log", group: "audit", partitions: []int{0, 1, 2}, startAfter: qlLateAt, replay: true}
	})
	w.AddClient("producer", func() sim.Node {
		return &producer{queues: []sim.NodeID{"queue"}, msgs: msgs, gap: 5 * time.Millisecond}
	})
	w.AddClient("log-producer", func() sim.Node { return &logProducer{log: "log", msgs: msgs, gap: 5 * time.Millisecond} })

	var qCrashed, lCrashed string
	w.AfterStep(func() {
		if w.Now() < qlCrashAfter {
			return
		}
		if q, ok := w.Node("q2").(*queueWorker); ok && qCrashed == "" && q.effectDone {
			qCrashed = q.current.ID
			w.Logf("q2 crashes after applying %s, before acknowledging it", qCrashed)
			w.Crash("q2")
			w.After(consumerRestartAfter, func() { w.Restart("q2") })
		}
		if l, ok := w.Node("l2").(*logWorker); ok && lCrashed == "" && l.uncommitted >= 2 {
			lCrashed = fmt.Sprintf("%d records", l.uncommitted)
			w.Logf("l2 crashes with %d records applied and not committed", l.uncommitted)
			w.Crash("l2")
			w.After(consumerRestartAfter, func() { w.Restart("l2") })
		}
	})

	finish := func() scenarios.Result {
		var r scenarios.Result
		var f firstErr
		q := w.Node("queue").(*broker.Queue)
		lg := w.Node("log").(*broker.Log)
		var qa, la []applied
		for _, id := range qs {
			qa = append(qa, readApplied(w.Disk(id), id)...)
		}
		for _, id := range ls {
			la = append(la, readApplied(w.Disk(id), id)...)
		}
		lateQ := len(readApplied(w.Disk("q-late"), "q-late"))
		audit := len(readApplied(w.Disk("l-audit"), "l-audit"))
		qc := q.Counters()
		qWithin, qOverall, qTwice := orderStats(qa)
		lWithin, lOverall, lTwice := orderStats(la)
		lRead := 0
		for _, id := range ls {
			lRead += lg.Served(id)
		}
		distinct := func(as []applied) int {
			ids := map[string]bool{}
			for _, a := range as {
				ids[a.id] = true
			}
			return len(ids)
		}
		// Records the billing group read more than once: after l2's
		// restart, from its committed offset.
		lAgain := lRead - n
		rows := [][]string{
			{"work queue", itoa(distinct(qa)), itoa(qc.Delivered), itoa(qc.Redelivered), itoa(qTwice), itoa(qWithin), itoa(qOverall), fmt.Sprintf("no (%d)", lateQ)},
			{"partitioned log", itoa(distinct(la)), itoa(lRead), itoa(lAgain), itoa(lTwice), itoa(lWithin), itoa(lOverall), fmt.Sprintf("yes (%d)", audit)},
		}
		if audit != n {
			rows[1][7] = fmt.Sprintf("no (%d)", audit)
		}
		if lateQ > 0 {
			rows[0][7] = fmt.Sprintf("yes (%d)", lateQ)
		}
		r.Summary = table([]string{"broker", "applied", "delivered", "delivered again", "applied twice", "reordered in a key", "out of publish order", "replay (late reader got)"}, rows)
		var ends, lags []string
		for p := range partitions {
			ends = append(ends, strconv.FormatInt(lg.End(p), 10))
			lags = append(lags, strconv.FormatInt(lg.End(p)-lg.CommittedOffset("billing", p), 10))
		}
		r.Summary = append(r.Summary,
			fmt.Sprintf("queue: depth %d, in flight %d at the end; q2 crashed after applying %s", q.Depth(), q.InFlight(), qCrashed),
			fmt.Sprintf("log: partition ends %s, billing's lag %s; l2 crashed with %s applied, not committed", strings.Join(ends, " "), strings.Join(lags, " "), lCrashed))
		r.Metrics = []scenarios.Metric{
			{Name: "queue_redelivered", Value: float64(qc.Redelivered), Unit: "messages"},
			{Name: "queue_applied_twice", Value: float64(qTwice), Unit: "messages"},
			{Name: "queue_reordered_in_key", Value: float64(qWithin), Unit: "messages"},
			{Name: "queue_replayed", Value: float64(lateQ), Unit: "messages"},
			{Name: "log_read_again", Value: float64(lAgain), Unit: "records"},
			{Name: "log_applied_twice", Value: float64(lTwice), Unit: "records"},
			{Name: "log_reordered_in_key", Value: float64(lWithin), Unit: "records"},
			{Name: "log_out_of_publish_order", Value: float64(lOverall), Unit: "records"},
			{Name: "log_replayed", Value: float64(audit), Unit: "records"},
		}
		switch {
		case distinct(qa) != n || distinct(la) != n:
			f.failf("not every message was applied: queue %d, log %d of %d", distinct(qa), distinct(la), n)
		case qCrashed == "" || lCrashed == "":
			f.failf("a consumer did not crash where the script wanted (queue %q, log %q)", qCrashed, lCrashed)
		case qTwice == 0 || lTwice == 0:
			f.failf("at-least-once did not show: applied twice on the queue %d, on the log %d", qTwice, lTwice)
		case qWithin == 0:
			f.failf("the queue kept every user's order: the lesson did not show")
		case lWithin > 0:
			f.failf("the log reordered %d records of one user", lWithin)
		case lOverall == 0:
			f.failf("the log kept the global publish order: partitions did not show")
		case lateQ > 0:
			f.failf("the late queue consumer got %d acknowledged messages", lateQ)
		case audit != n:
			f.failf("the audit group replayed %d of %d records", audit, n)
		}
		r.Err = f.err
		return r
	}
	return &scenarios.Run{World: w, Net: net, Finish: finish}, nil
}
