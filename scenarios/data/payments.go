package data

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/broker"
)

// dedup is how a consumer guards against a message delivered twice.
type dedup int

const (
	// noDedup applies every delivery.
	noDedup dedup = iota
	// separateDedup checks a processed-id table, but records the id in a
	// second write after the business change: a crash between the two
	// forgets it.
	separateDedup
	// atomicDedup records the id in the same local transaction as the
	// business change (the seed's pseudo-code: "atomic with the business
	// logic").
	atomicDedup
)

func (d dedup) String() string {
	return [...]string{"no dedup", "dedup, id written after", "dedup in the same transaction"}[d]
}

// finishMessage is the consumer's timer: the rest of the work on a
// message, after its business change.
type finishMessage struct{ d broker.Deliver }

// ledgerConsumer applies payment messages from a queue to account
// balances on its disk, and keeps a ledger row per application, so a
// payment applied twice shows as two rows. It handles one message at a
// time: fetch, apply (Disk + Sync), work for a while, then (depending on
// its dedup) record the id, ack, fetch again.
//
// Disk: balance/ACCOUNT, ledger/NNNNNN = "ID ACCOUNT AMOUNT",
// ledger-next, processed/ID.
type ledgerConsumer struct {
	queue sim.NodeID
	dedup dedup
	work  time.Duration
	// current is the message between its business change and its ack
	// ("" when idle): the window a crash falls into.
	current string
	skipped int      // duplicates recognised this incarnation
	disk    sim.Disk // for Inspect
}

func (c *ledgerConsumer) Start(env sim.Env) {
	c.disk = env.Disk()
	env.Send(c.queue, broker.Fetch{Max: 1})
}

func (c *ledgerConsumer) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case broker.Deliver:
		c.onDeliver(env, m)
	case finishMessage:
		c.onFinish(env, m.d)
	}
}

func (c *ledgerConsumer) onDeliver(env sim.Env, d broker.Deliver) {
	disk := env.Disk()
	if c.dedup != noDedup {
		if _, done := disk.Get("processed/" + d.ID); done {
			c.skipped++
			env.Logf("%s already processed: skipped, acked", d.ID)
			env.Send(c.queue, broker.Ack{ID: d.ID, Seq: d.Seq})
			env.Send(c.queue, broker.Fetch{Max: 1})
			return
		}
	}
	applyPayment(disk, d)
	if c.dedup == atomicDedup {
		disk.Put("processed/"+d.ID, []byte("1"))
	}
	disk.Sync() // commit the local transaction
	c.current = d.ID
	env.Logf("applied %s (attempt %d): %s", d.ID, d.Attempt, d.Body)
	env.SetTimer(c.work, finishMessage{d})
}

func (c *ledgerConsumer) onFinish(env sim.Env, d broker.Deliver) {
	if c.dedup == separateDedup {
		env.Disk().Put("processed/"+d.ID, []byte("1"))
		env.Disk().Sync()
	}
	c.current = ""
	env.Send(c.queue, broker.Ack{ID: d.ID, Seq: d.Seq})
	env.Send(c.queue, broker.Fetch{Max: 1})
}

// Inspect shows the message in progress and the balances.
func (c *ledgerConsumer) Inspect() map[string]string {
	out := map[string]string{"dedup": c.dedup.String(), "processing": c.current, "duplicates skipped": strconv.Itoa(c.skipped)}
	if c.disk != nil {
		applied, total := ledger(c.disk)
		out["ledger"] = fmt.Sprintf("%d rows for %d messages, total %d", func() int {
			n := 0
			for _, k := range applied {
				n += k
			}
			return n
		}(), len(applied), total)
	}
	return out
}

// payment is a body "ACCOUNT AMOUNT".
func payment(account string, amount int64) string { return fmt.Sprintf("%s %d", account, amount) }

func parsePayment(body string) (string, int64) {
	acct, amt, _ := strings.Cut(body, " ")
	n, _ := strconv.ParseInt(amt, 10, 64)
	return acct, n
}

// applyPayment is the business change: the balance and a ledger row.
func applyPayment(disk sim.Disk, d broker.Deliver) {
	acct, amt := parsePayment(d.Body)
	putInt(disk, "balance/"+acct, diskInt(disk, "balance/"+acct)+amt)
	n := diskInt(disk, "ledger-next")
	disk.Put(fmt.Sprintf("ledger/%06d", n), []byte(d.ID+" "+d.Body))
	putInt(disk, "ledger-next", n+1)
}

// ledger reads a consumer's ledger: how many times each message id was
// applied, and the sum of all applied amounts.
func ledger(disk sim.Disk) (applied map[string]int, total int64) {
	applied = map[string]int{}
	for _, k := range disk.Keys() {
		if !strings.HasPrefix(k, "ledger/") {
			continue
		}
		v, _ := disk.Get(k)
		id, body, _ := strings.Cut(string(v), " ")
		applied[id]++
		_, amt := parsePayment(body)
		total += amt
	}
	return applied, total
}

// producer publishes messages to a queue one every gap, and publishes
// again any message not confirmed within retry.
type producer struct {
	queues []sim.NodeID
	msgs   []broker.Publish
	gap    time.Duration
	next   int
	acked  map[string]int // confirmations per id
}

type publishNext struct{}

func (p *producer) Start(env sim.Env) {
	p.acked = map[string]int{}
	env.SetTimer(p.gap, publishNext{})
}

func (p *producer) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case publishNext:
		if p.next < len(p.msgs) {
			for _, q := range p.queues {
				env.Send(q, p.msgs[p.next])
			}
			p.next++
			env.SetTimer(p.gap, publishNext{})
		}
	case broker.Published:
		p.acked[m.ID]++
	}
}

func (p *producer) Inspect() map[string]string {
	return map[string]string{"published": fmt.Sprintf("%d/%d", p.next, len(p.msgs))}
}
