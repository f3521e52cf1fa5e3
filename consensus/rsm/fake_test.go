package rsm_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
)

// memLog is the simplest Replica there is: a log on one node that commits
// whatever it is given after commitDelay, with no one to agree with. It lets
// the rsm layer be tested without Raft. It keeps its log and snapshot on
// disk, so a restarted node replays them like a real replica would.
type memLog struct {
	app rsm.Applier
	cfg memLogConfig

	snapIndex uint64   // last index folded into the snapshot on disk
	log       [][]byte // entries snapIndex+1... (durable)
	applied   uint64
	tick      bool // a commit timer is set
}

type memLogConfig struct {
	leader      bool       // false: refuse every proposal
	hint        sim.NodeID // who to point clients to when not leader
	commitDelay time.Duration
	// snapshotEvery folds the log into a snapshot after this many applied
	// entries; 0 never.
	snapshotEvery int
	// swapFirstTwo exchanges the first two entries before committing them,
	// as if a new leader had overwritten this node's uncommitted log.
	swapFirstTwo bool
}

type commitTick struct{}

func newMemLog(cfg memLogConfig) func(rsm.Applier) rsm.Replica {
	return func(app rsm.Applier) rsm.Replica { return &memLog{app: app, cfg: cfg} }
}

func (m *memLog) Start(env sim.Env) {
	d := env.Disk()
	if b, ok := d.Get("snap"); ok {
		idx, _ := d.Get("snapIndex")
		m.snapIndex, _ = strconv.ParseUint(string(idx), 10, 64)
		m.app.Restore(m.snapIndex, b)
	}
	m.applied = m.snapIndex
	if b, ok := d.Get("log"); ok {
		if err := json.Unmarshal(b, &m.log); err != nil {
			panic(err)
		}
	}
	m.schedule(env)
}

func (m *memLog) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	if _, ok := msg.(commitTick); ok {
		m.tick = false
		m.commit(env)
	}
}

func (m *memLog) Propose(env sim.Env, cmd []byte) (uint64, bool, sim.NodeID) {
	if !m.cfg.leader {
		return 0, false, m.cfg.hint
	}
	m.log = append(m.log, cmd)
	m.persist(env)
	m.schedule(env)
	return m.snapIndex + uint64(len(m.log)), true, env.ID()
}

func (m *memLog) schedule(env sim.Env) {
	if !m.tick && m.applied < m.snapIndex+uint64(len(m.log)) {
		m.tick = true
		env.SetTimer(m.cfg.commitDelay, commitTick{})
	}
}

func (m *memLog) commit(env sim.Env) {
	if m.cfg.swapFirstTwo && m.snapIndex == 0 && len(m.log) >= 2 && m.applied == 0 {
		m.log[0], m.log[1] = m.log[1], m.log[0]
		m.cfg.swapFirstTwo = false
	}
	for m.applied < m.snapIndex+uint64(len(m.log)) {
		m.applied++
		m.app.Apply(env, m.applied, m.log[m.applied-m.snapIndex-1])
		if n := m.cfg.snapshotEvery; n > 0 && int(m.applied-m.snapIndex) >= n {
			env.Disk().Put("snap", m.app.Snapshot())
			env.Disk().Put("snapIndex", []byte(strconv.FormatUint(m.applied, 10)))
			m.log = m.log[m.applied-m.snapIndex:]
			m.snapIndex = m.applied
			m.persist(env)
		}
	}
}

func (m *memLog) persist(env sim.Env) {
	b, _ := json.Marshal(m.log)
	env.Disk().Put("log", b)
	env.Disk().Sync()
}

func (m *memLog) Inspect() map[string]string {
	return map[string]string{"memlog.length": strconv.Itoa(len(m.log))}
}

// counter is a test state machine: "add N" adds N to a total and returns
// the new total. Applying an operation twice shows in the total.
type counter struct{ total int }

func (c *counter) Apply(op []byte) []byte {
	var n int
	if _, err := fmt.Sscanf(string(op), "add %d", &n); err != nil {
		return []byte("error: " + err.Error())
	}
	c.total += n
	return []byte(strconv.Itoa(c.total))
}

func (c *counter) Snapshot() []byte { return []byte(strconv.Itoa(c.total)) }

func (c *counter) Restore(b []byte) error {
	n, err := strconv.Atoi(string(b))
	c.total = n
	return err
}

// adds is a workload of "add 1", "add 2", ... "add n".
func adds(n int) rsm.Workload {
	i := 0
	return rsm.WorkloadFunc(func() (rsm.Op, bool) {
		if i == n {
			return rsm.Op{}, false
		}
		i++
		op := fmt.Sprintf("add %d", i)
		return rsm.Op{Cmd: []byte(op), Input: op, Output: func(r []byte) any { return string(r) }}, true
	})
}

// dropReplies loses the replies a predicate picks, and delivers everything
// else after 1ms.
type dropReplies struct {
	drop    func(rsm.ClientReply) bool
	dropped int
}

func (d *dropReplies) Route(_ time.Duration, _, _ sim.NodeID, msg sim.Message, _ *rand.Rand) sim.Fate {
	if r, ok := msg.(rsm.ClientReply); ok && d.drop(r) {
		d.dropped++
		return sim.Fate{Drop: true, Reason: "test drops this reply"}
	}
	return sim.Fate{Delay: time.Millisecond}
}
