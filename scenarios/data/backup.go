package data

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "backup-restore",
		Summary: "full backups plus an archived WAL: point-in-time restore after an accidental delete; a backup from a lagging replica misses acknowledged writes; a corrupt backup is found only at restore time",
		Chapter: "storage",
		Doc: `A primary database takes an order every 5ms; each write goes to its
write-ahead log (WAL) and is acknowledged. Every 50ms it ships the new
WAL to an archive (WAL archiving), and every 250ms it sends the archive a
full backup (a copy of its data as of a WAL position, with a checksum).
A replica follows the primary asynchronously, receiving the WAL every
"lag", and also sends full backups of its own copy to the archive (to
spare the primary the work).

At 1.1s an operator runs "delete every order" by mistake. At 1.2s three
restores start, each on a fresh node that fetches from the archive:

  point in time    the newest good primary backup, then the archived
                   WAL replayed up to 1.099s, just before the delete;
  primary backup   the newest good primary backup, nothing more;
  replica backup   the newest replica backup, nothing more.

At 1.05s the archive's newest primary backup (taken at 1.0s) rots: a
byte of it changes. Nobody reads it until the restores do.`,
		LookFor: `The table, each restore compared with the primary's own state just
before the delete (replayed from its WAL). Point-in-time restore lost
nothing: backup plus WAL gives any moment. The primary backup alone lost
the orders written since it was taken, none acknowledged before it. The
replica backup alone lost orders the primary had acknowledged before
that backup was even taken (about 28 with the default lag): the replica
was behind when it copied itself. And the corrupt backup: every restore found it only when it
checked the checksum at restore time (1.2s, 150ms after it rotted) and
fell back to the backup before it — a backup never restored is not known
to be a backup.`,
		Knobs: []scenarios.Knob{
			{Name: "lag", Kind: scenarios.KnobDuration, Default: "200ms", Min: float64(time.Millisecond), Max: float64(time.Second), Doc: "how often the primary ships its WAL to the replica"},
			{Name: "corrupt", Kind: scenarios.KnobBool, Default: "true", Doc: "whether the newest primary backup rots in the archive"},
		},
		For:   1500 * time.Millisecond,
		Setup: setupBackupRestore,
	})
}

const (
	brWriteEvery   = 5 * time.Millisecond
	brArchiveEvery = 50 * time.Millisecond
	brBackupEvery  = 250 * time.Millisecond
	brDeleteAt     = 1100 * time.Millisecond
	brRotAt        = 1050 * time.Millisecond
	brRestoreAt    = 1200 * time.Millisecond
	brTarget       = brDeleteAt - time.Millisecond
)

// walEntry is one WAL record: a put, or the delete of every key with a
// prefix (Value is the prefix).
type walEntry struct {
	LSN        int64
	Op         string // "put" or "delete-prefix"
	Key, Value string
	At         time.Duration // the primary's clock (unskewed here)
}

func applyWAL(data map[string]string, e walEntry) {
	switch e.Op {
	case "put":
		data[e.Key] = e.Value
	case "delete-prefix":
		for k := range data {
			if strings.HasPrefix(k, e.Value) {
				delete(data, k)
			}
		}
	}
}

// Backup is a full copy of a database as of a WAL position.
type Backup struct {
	Name     string
	From     sim.NodeID
	LSN      int64
	TakenAt  time.Duration
	Data     string // "k=v;k=v", keys sorted
	Checksum uint64
}

func encodeData(data map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(data)) {
		parts = append(parts, k+"="+data[k])
	}
	return strings.Join(parts, ";")
}

func decodeData(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}

func checksum(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// Messages of the backup scenario.
type (
	BRWrite     struct{ Key, Value string }
	BRDelete    struct{ Prefix string }
	BRAck       struct{ LSN int64 }
	WALSegment  struct{ Entries []walEntry }
	StoreBackup struct{ B Backup }
	// ListBackups asks the archive what it holds; Catalog answers.
	ListBackups struct{}
	Catalog     struct{ Backups []Backup }
	FetchWAL    struct{ After int64 }
	WALEntries  struct{ Entries []walEntry }
	brTick      struct{ What string }
)

// brDatabase is the primary (ships WAL to the archive and a replica,
// sends backups) or the replica (applies shipped WAL, sends backups).
type brDatabase struct {
	primary     bool
	replica     sim.NodeID
	archive     sim.NodeID
	lag         time.Duration
	backupPhase time.Duration
	wal         []walEntry
	data        map[string]string
	archived    int // WAL entries shipped to the archive
	replicated  int // WAL entries shipped to the replica
	backups     int
}

func (d *brDatabase) Start(env sim.Env) {
	d.data = map[string]string{}
	env.SetTimer(d.backupPhase+brBackupEvery, brTick{"backup"})
	if d.primary {
		env.SetTimer(brArchiveEvery, brTick{"archive"})
		env.SetTimer(d.lag, brTick{"replicate"})
	}
}

func (d *brDatabase) lsn() int64 { return int64(len(d.wal)) }

func (d *brDatabase) append(env sim.Env, e walEntry) {
	e.LSN, e.At = d.lsn()+1, env.Now().Sub(sim.Epoch)
	d.wal = append(d.wal, e)
	applyWAL(d.data, e)
}

func (d *brDatabase) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case BRWrite:
		d.append(env, walEntry{Op: "put", Key: m.Key, Value: m.Value})
		env.Send(from, BRAck{LSN: d.lsn()})
	case BRDelete:
		d.append(env, walEntry{Op: "delete-prefix", Value: m.Prefix})
		env.Logf("DELETE every key starting %q (LSN %d): %d keys left", m.Prefix, d.lsn(), len(d.data))
		env.Send(from, BRAck{LSN: d.lsn()})
	case WALSegment: // the replica
		for _, e := range m.Entries {
			if e.LSN == d.lsn()+1 {
				d.wal = append(d.wal, e)
				applyWAL(d.data, e)
			}
		}
	case brTick:
		switch m.What {
		case "archive":
			if d.archived < len(d.wal) {
				env.Send(d.archive, WALSegment{Entries: slices.Clone(d.wal[d.archived:])})
				d.archived = len(d.wal)
			}
			env.SetTimer(brArchiveEvery, m)
		case "replicate":
			if d.replicated < len(d.wal) {
				env.Send(d.replica, WALSegment{Entries: slices.Clone(d.wal[d.replicated:])})
				d.replicated = len(d.wal)
			}
			env.SetTimer(d.lag, m)
		case "backup":
			d.backups++
			data := encodeData(d.data)
			b := Backup{Name: fmt.Sprintf("%s-backup-%d", env.ID(), d.backups), From: env.ID(), LSN: d.lsn(), TakenAt: env.Now().Sub(sim.Epoch), Data: data, Checksum: checksum(data)}
			env.Send(d.archive, StoreBackup{B: b})
			env.SetTimer(brBackupEvery, m)
		}
	}
}

func (d *brDatabase) Inspect() map[string]string {
	return map[string]string{"LSN": strconv.FormatInt(d.lsn(), 10), "keys": strconv.Itoa(len(d.data)),
		"archived up to": strconv.Itoa(d.archived), "backups sent": strconv.Itoa(d.backups)}
}

// brArchive stores backups and the primary's WAL.
type brArchive struct {
	backups []Backup
	wal     []walEntry
}

func (a *brArchive) Start(sim.Env) {}

func (a *brArchive) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case StoreBackup:
		a.backups = append(a.backups, m.B)
	case WALSegment:
		for _, e := range m.Entries {
			if e.LSN == int64(len(a.wal))+1 {
				a.wal = append(a.wal, e)
			}
		}
	case ListBackups:
		env.Send(from, Catalog{Backups: slices.Clone(a.backups)})
	case FetchWAL:
		var out []walEntry
		if m.After < int64(len(a.wal)) {
			out = slices.Clone(a.wal[m.After:])
		}
		env.Send(from, WALEntries{Entries: out})
	}
}

// rot changes a byte of the newest backup from source, leaving its
// checksum as it was: bit rot nobody notices until they read it.
func (a *brArchive) rot(source sim.NodeID) (string, time.Duration, bool) {
	for i := len(a.backups) - 1; i >= 0; i-- {
		if b := &a.backups[i]; b.From == source && len(b.Data) > 0 {
			raw := []byte(b.Data)
			raw[len(raw)/2] ^= 0x20
			b.Data = string(raw)
			return b.Name, b.TakenAt, true
		}
	}
	return "", 0, false
}

func (a *brArchive) Inspect() map[string]string {
	return map[string]string{"backups": strconv.Itoa(len(a.backups)), "WAL archived up to": strconv.Itoa(len(a.wal))}
}

// restorer rebuilds a database from the archive: the newest backup of
// source whose checksum holds, then (withWAL) the archived WAL up to
// target.
type restorer struct {
	archive  sim.NodeID
	source   sim.NodeID
	withWAL  bool
	target   time.Duration
	startAt  time.Duration
	data     map[string]string
	used     Backup
	rejected []string // backups that failed their checksum
	lsn      int64
	done     bool
}

func (r *restorer) Start(env sim.Env) {
	env.SetTimer(max(0, r.startAt-env.Now().Sub(sim.Epoch)), brTick{"restore"})
}

func (r *restorer) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case brTick:
		env.Send(r.archive, ListBackups{})
	case Catalog:
		for i := len(m.Backups) - 1; i >= 0; i-- {
			b := m.Backups[i]
			if b.From != r.source || b.TakenAt > r.target {
				continue
			}
			if checksum(b.Data) != b.Checksum {
				r.rejected = append(r.rejected, b.Name)
				env.Logf("%s (taken %s) fails its checksum: corrupt; trying the one before", b.Name, sim.FormatTime(b.TakenAt))
				continue
			}
			r.used, r.data, r.lsn = b, decodeData(b.Data), b.LSN
			break
		}
		if r.data == nil {
			env.Logf("no usable backup of %s", r.source)
			r.data, r.done = map[string]string{}, true
			return
		}
		if !r.withWAL {
			r.done = true
			return
		}
		env.Send(r.archive, FetchWAL{After: r.lsn})
	case WALEntries:
		for _, e := range m.Entries {
			if e.At > r.target {
				break
			}
			applyWAL(r.data, e)
			r.lsn = e.LSN
		}
		env.Logf("restored %s + WAL to LSN %d (target %s)", r.used.Name, r.lsn, sim.FormatTime(r.target))
		r.done = true
	}
}

func (r *restorer) Inspect() map[string]string {
	return map[string]string{"backup": r.used.Name, "restored to LSN": strconv.FormatInt(r.lsn, 10), "keys": strconv.Itoa(len(r.data)),
		"rejected": strings.Join(r.rejected, " ")}
}

// orderWriter writes an order every brWriteEvery and records each
// acknowledgement's time.
type orderWriter struct {
	primary sim.NodeID
	n       int
	acked   map[string]time.Duration // key -> when acknowledged
	keys    []string                 // in write order
}

func (c *orderWriter) Start(env sim.Env) {
	c.acked = map[string]time.Duration{}
	env.SetTimer(brWriteEvery, brTick{"write"})
}

func (c *orderWriter) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case brTick:
		if env.Now().Sub(sim.Epoch) >= brRestoreAt {
			return
		}
		c.n++
		k := fmt.Sprintf("order-%04d", c.n)
		c.keys = append(c.keys, k)
		env.Send(c.primary, BRWrite{Key: k, Value: strconv.Itoa(10 + env.Rand().IntN(90))})
		env.SetTimer(brWriteEvery, m)
	case BRAck:
		// Acks come back in write order (one primary, a FIFO link).
		for _, k := range c.keys {
			if _, ok := c.acked[k]; !ok {
				c.acked[k] = env.Now().Sub(sim.Epoch)
				break
			}
		}
	}
}

func setupBackupRestore(o scenarios.Options) (*scenarios.Run, error) {
	lag, corrupt := o.Knobs.Duration("lag"), o.Knobs.Bool("corrupt")
	w, net, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	w.AddNode("primary", func() sim.Node {
		return &brDatabase{primary: true, replica: "replica", archive: "archive", lag: lag}
	})
	w.AddNode("replica", func() sim.Node { return &brDatabase{archive: "archive", backupPhase: 190 * time.Millisecond} })
	w.AddNode("archive", func() sim.Node { return &brArchive{} })
	w.AddClient("app", func() sim.Node { return &orderWriter{primary: "primary"} })
	w.AddClient("operator", func() sim.Node { return sim.NodeFunc(func(sim.Env, sim.NodeID, sim.Message) {}) })
	w.At(brDeleteAt, func() {
		_ = w.Exec("operator", func(_ sim.Node, env sim.Env) { env.Send("primary", BRDelete{Prefix: "order-"}) })
	})
	var rotted string
	var rottedTaken time.Duration
	if corrupt {
		w.At(brRotAt, func() {
			if name, taken, ok := w.Node("archive").(*brArchive).rot("primary"); ok {
				rotted, rottedTaken = name, taken
				w.Fault("archive: %s rots (a byte flips; its checksum no longer matches)", name)
			}
		})
	}
	type restore struct {
		name string
		id   sim.NodeID
	}
	restores := []restore{{"point in time", "restore-pitr"}, {"primary backup", "restore-backup"}, {"replica backup", "restore-replica"}}
	w.AddClient("restore-pitr", func() sim.Node {
		return &restorer{archive: "archive", source: "primary", withWAL: true, target: brTarget, startAt: brRestoreAt}
	})
	w.AddClient("restore-backup", func() sim.Node {
		return &restorer{archive: "archive", source: "primary", target: brTarget, startAt: brRestoreAt}
	})
	w.AddClient("restore-replica", func() sim.Node {
		return &restorer{archive: "archive", source: "replica", target: brTarget, startAt: brRestoreAt}
	})
	rest := func(id sim.NodeID) (*restorer, bool) {
		r, ok := w.Node(id).(*restorer)
		return r, ok
	}
	done := func() bool {
		for _, rs := range restores {
			if r, ok := rest(rs.id); !ok || !r.done {
				return false
			}
		}
		return true
	}
	finish := func() scenarios.Result {
		var r scenarios.Result
		var f firstErr
		p := w.Node("primary").(*brDatabase)
		app := w.Node("app").(*orderWriter)
		// The truth: the primary's state at the target, from its own WAL.
		want := map[string]string{}
		for _, e := range p.wal {
			if e.At <= brTarget {
				applyWAL(want, e)
			}
		}
		var rows [][]string
		for _, rs := range restores {
			rr, ok := rest(rs.id)
			if !ok || !rr.done {
				f.failf("%s did not finish", rs.name)
				continue
			}
			missing, beforeBackup := 0, 0
			for k, v := range want {
				if rr.data[k] != v {
					missing++
					if at, ok := app.acked[k]; ok && at <= rr.used.TakenAt {
						beforeBackup++
					}
				}
			}
			rows = append(rows, []string{rs.name, rr.used.Name, sim.FormatTime(rr.used.TakenAt), strconv.FormatInt(rr.lsn, 10),
				itoa(len(rr.data)), itoa(missing), itoa(beforeBackup), strings.Join(rr.rejected, " ")})
			key := strings.TrimPrefix(string(rs.id), "restore-")
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: key + "_lost", Value: float64(missing), Unit: "orders"},
				scenarios.Metric{Name: key + "_lost_acked_before_backup", Value: float64(beforeBackup), Unit: "orders"},
				scenarios.Metric{Name: key + "_rejected_backups", Value: float64(len(rr.rejected)), Unit: "backups"})
			switch {
			case rs.id == "restore-pitr" && missing > 0:
				f.failf("point-in-time restore lost %d orders", missing)
			case rs.id == "restore-backup" && beforeBackup > 0:
				f.failf("the primary's backup lacks %d orders acknowledged before it was taken", beforeBackup)
			case rs.id == "restore-replica" && beforeBackup == 0 && lag >= 50*time.Millisecond:
				f.failf("the replica's backup lacked no acknowledged order: the lesson did not show (lag %s)", lag)
			case corrupt && rs.id != "restore-replica" && len(rr.rejected) == 0:
				f.failf("%s did not notice the corrupt backup", rs.name)
			}
		}
		r.Summary = append(r.Summary, fmt.Sprintf("the delete ran at %s; the restores aim at %s, just before it, when the primary held %d orders", sim.FormatTime(brDeleteAt), sim.FormatTime(brTarget), len(want)))
		r.Summary = append(r.Summary, table([]string{"restore", "backup used", "taken", "LSN", "orders", "lost", "of them acked before the backup", "rejected (corrupt)"}, rows)...)
		if rotted != "" {
			r.Summary = append(r.Summary, fmt.Sprintf("%s (taken %s) rotted at %s and was found corrupt only at restore time, %s: %s unnoticed",
				rotted, sim.FormatTime(rottedTaken), sim.FormatTime(brRotAt), sim.FormatTime(brRestoreAt), sim.FormatTime(brRestoreAt-brRotAt)))
		}
		r.Metrics = append(r.Metrics, scenarios.Metric{Name: "orders_before_delete", Value: float64(len(want)), Unit: "orders"})
		r.Err = f.err
		return r
	}
	return &scenarios.Run{World: w, Net: net, Done: done, Finish: finish}, nil
}
