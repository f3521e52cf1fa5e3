package failures

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "fallacy-one-administrator",
		Summary: "fallacy 6, there is one administrator: two teams edit the same config; last write wins silently undoes changes, compare-and-set keeps both",
		Doc: `A config service holds one service's settings: timeout and retries.
Two operators from different teams change it ten times each, every 500ms,
at about the same moment: the network team raises the timeout by 10ms, the
app team raises the retries by one. Each reads the whole config, edits its
own field, thinks for 50–100ms, and writes the whole config back.

  last-write-wins  the config service stores whatever is written: it
                   assumes one administrator, so nobody else writes in
                   between.
  compare-and-set  every config has a version; a write names the version
                   it was based on and is refused if the config has moved
                   on since. The refused operator reads again, reapplies
                   its edit to what is there now, and writes again.`,
		LookFor: `last-write-wins: after 10 rounds one team's changes are gone: the
lost-changes column shows about 10 (one per round), though every write was
acknowledged, so neither operator knows. compare-and-set: about 10
conflicts refused, and the final config has every change of both teams
(timeout 200ms, retries 13).`,
		Chapter: "failures",
		For:     6 * time.Second,
		Setup:   setupAdmin,
	})
}

const (
	adminRounds   = 10
	adminRound    = 500 * time.Millisecond
	adminTimeout0 = 100 // ms
	adminRetries0 = 3
)

// Config is the service's settings; Version counts the writes it took.
type Config struct {
	TimeoutMS, Retries int
	Version            int
}

// ReadConfig asks for the current config.
type ReadConfig struct{}

// WriteConfig stores Config. With CAS set it is refused unless the stored
// version is still Base.
type WriteConfig struct {
	Config Config
	CAS    bool
	Base   int
}

// WriteResult answers a write; OK false means the config changed since Base.
type WriteResult struct {
	OK      bool
	Version int
}

// configStore holds one Config.
type configStore struct {
	cfg     Config
	writes  int
	refused int
}

func (s *configStore) Start(sim.Env) {
	s.cfg = Config{TimeoutMS: adminTimeout0, Retries: adminRetries0}
}
func (s *configStore) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case ReadConfig:
		env.Send(from, s.cfg)
	case WriteConfig:
		if m.CAS && m.Base != s.cfg.Version {
			s.refused++
			env.Send(from, WriteResult{OK: false, Version: s.cfg.Version})
			return
		}
		s.writes++
		s.cfg = m.Config
		s.cfg.Version = s.writes
		env.Send(from, WriteResult{OK: true, Version: s.cfg.Version})
	}
}
func (s *configStore) Inspect() map[string]string {
	return map[string]string{"timeout": strconv.Itoa(s.cfg.TimeoutMS) + "ms", "retries": strconv.Itoa(s.cfg.Retries),
		"version": strconv.Itoa(s.cfg.Version), "refused": strconv.Itoa(s.refused)}
}

type roundTick struct{}
type thinkDone struct{}

// operator edits one field each round: read, think, write; on a refused
// write it reads again and reapplies its edit.
type operator struct {
	store     sim.NodeID
	field     string // "timeout" or "retries"
	cas       bool
	round     int
	read      Config // what it read, and edits
	acked     int    // writes acknowledged
	conflicts int    // writes refused
}

func (o *operator) Start(env sim.Env) { env.SetTimer(adminRound, roundTick{}) }

func (o *operator) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case roundTick:
		if o.round >= adminRounds {
			return
		}
		o.round++
		env.SetTimer(time.Duration(env.Rand().Int64N(int64(10*time.Millisecond))), ReadConfig{})
		env.SetTimer(adminRound, roundTick{})
	case ReadConfig: // our own timer: time to read
		env.Send(o.store, ReadConfig{})
	case Config:
		o.read = m
		if o.field == "timeout" {
			o.read.TimeoutMS += 10
		} else {
			o.read.Retries++
		}
		env.SetTimer(50*time.Millisecond+time.Duration(env.Rand().Int64N(int64(50*time.Millisecond))), thinkDone{})
	case thinkDone:
		env.Send(o.store, WriteConfig{Config: o.read, CAS: o.cas, Base: o.read.Version})
	case WriteResult:
		if m.OK {
			o.acked++
			return
		}
		o.conflicts++
		env.Logf("my write was refused: the config moved on to version %d; reading it again", m.Version)
		env.Send(o.store, ReadConfig{})
	}
}

func (o *operator) Inspect() map[string]string {
	return map[string]string{"edits": o.field, "round": strconv.Itoa(o.round), "acked": strconv.Itoa(o.acked), "conflicts": strconv.Itoa(o.conflicts)}
}

type adminVariant struct {
	name     string
	cas      bool
	store    *configStore
	net, app *operator
}

func setupAdmin(o scenarios.Options) (*scenarios.Run, error) {
	net := network.MustNew(network.Config{Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}})
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer})
	variants := []*adminVariant{{name: "last-write-wins"}, {name: "compare-and-set", cas: true}}
	for _, v := range variants {
		st := sim.NodeID(v.name + "-config")
		w.AddNode(st, func() sim.Node { v.store = &configStore{}; return v.store })
		w.AddClient(sim.NodeID(v.name+"-netops"), func() sim.Node { v.net = &operator{store: st, field: "timeout", cas: v.cas}; return v.net })
		w.AddClient(sim.NodeID(v.name+"-appops"), func() sim.Node { v.app = &operator{store: st, field: "retries", cas: v.cas}; return v.app })
	}
	return &scenarios.Run{World: w, Net: net, Finish: func() scenarios.Result { return finishAdmin(variants) }}, nil
}

func finishAdmin(variants []*adminVariant) scenarios.Result {
	var r scenarios.Result
	var c checks
	var rows [][]string
	wantTimeout, wantRetries := adminTimeout0+10*adminRounds, adminRetries0+adminRounds
	lost := map[string]int{}
	for _, v := range variants {
		cfg := v.store.cfg
		lost[v.name] = (wantTimeout-cfg.TimeoutMS)/10 + (wantRetries - cfg.Retries)
		rows = append(rows, []string{v.name, itoa(v.net.acked + v.app.acked), itoa(v.net.conflicts + v.app.conflicts),
			fmt.Sprintf("%dms", cfg.TimeoutMS), itoa(cfg.Retries), itoa(lost[v.name])})
		m := metricName(v.name)
		r.Metrics = append(r.Metrics,
			scenarios.Metric{Name: m + "_lost_changes", Value: float64(lost[v.name]), Unit: "changes"},
			scenarios.Metric{Name: m + "_conflicts", Value: float64(v.net.conflicts + v.app.conflicts), Unit: "writes"},
		)
	}
	r.Summary = append(r.Summary, fmt.Sprintf("two teams, %d rounds each: the network team adds 10ms to the timeout, the app team 1 retry (want %dms and %d at the end):",
		adminRounds, wantTimeout, wantRetries))
	r.Summary = append(r.Summary, table([]string{"config store", "writes acked", "writes refused", "timeout", "retries", "lost changes"}, rows)...)
	switch {
	case lost["last-write-wins"] == 0:
		c.Failf("last write wins lost no change: the operators never overlapped")
	case lost["compare-and-set"] != 0:
		c.Failf("compare-and-set lost %d changes", lost["compare-and-set"])
	case variants[0].net.acked+variants[0].app.acked != 2*adminRounds:
		c.Failf("every last-write-wins write should be acknowledged")
	default:
		r.Summary = append(r.Summary, fmt.Sprintf("last write wins acknowledged every write and silently lost %d of %d changes; compare-and-set refused %d stale writes and lost none",
			lost["last-write-wins"], 2*adminRounds, variants[1].net.conflicts+variants[1].app.conflicts))
	}
	r.Err = c.Err()
	return r
}
