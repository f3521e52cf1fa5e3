package txn

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/replication"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "replication",
		Summary: "leader/follower replication, async vs semi-sync vs sync: the leader crashes and only async loses acknowledged writes",
		Doc: `Three replication groups run side by side, one per mode, each a leader
(n1) and two followers (n2, and n3 behind a slower link), with four clients
writing as fast as they are answered. The leader ships new log entries to
its followers every 20ms, as a binlog sender does. It answers a client:

  async      as soon as the write is in its own log,
  semi-sync  once one follower has it,
  sync       once both followers have it.

At 1.015s every leader crashes. 50ms later a failover promotes the most
up-to-date follower of each group to lead a new epoch, and the other
follower follows it.`,
		LookFor: `the table at the end. Async answered fastest, and lost the
acknowledged writes its leader had not shipped yet: the clients were told
"stored" and the data is gone. Semi-sync lost none (some follower had each
acknowledged write, and failover picked the follower with the most), at
the price of a round trip to the fastest follower; sync lost none and paid
for a round trip to the slowest. Replication lag (time from the leader's
write to the follower's copy) is about the same in every mode: the modes
differ in when the client is answered, not in how fast data flows.`,
		Chapter: "storage",
		For:     1300 * time.Millisecond,
		Setup:   setupReplication,
	})
}

const (
	replCrashAt   = 1015 * time.Millisecond
	replPromoteIn = 50 * time.Millisecond
	replClients   = 4
)

// replGroup is one replication group of the scenario.
type replGroup struct {
	mode      replication.Mode
	replicas  []sim.NodeID // replicas[0] leads first
	clients   []sim.NodeID
	behind    map[sim.NodeID]uint64 // entries each follower lacked at the crash
	promoted  sim.NodeID
	lastIndex uint64 // the leader's log at the crash
}

func setupReplication(o scenarios.Options) (*scenarios.Run, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond},
	}})
	if err != nil {
		return nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer, LoseUnsyncedWrites: true})
	var groups []*replGroup
	for _, mode := range []replication.Mode{replication.Async, replication.SemiSync, replication.Sync} {
		g := &replGroup{mode: mode, behind: map[sim.NodeID]uint64{}}
		for i := 1; i <= 3; i++ {
			g.replicas = append(g.replicas, sim.NodeID(fmt.Sprintf("%s-n%d", mode, i)))
		}
		for i, id := range g.replicas {
			cfg := replication.Config{Mode: mode, Leader: i == 0, Group: g.replicas, ShipEvery: 20 * time.Millisecond}
			if err := cfg.Validate(); err != nil {
				return nil, err
			}
			w.AddNode(id, func() sim.Node { return replication.New(cfg) })
		}
		if err := net.Slow(g.replicas[2], network.Uniform{Min: 5 * time.Millisecond, Max: 15 * time.Millisecond}); err != nil {
			return nil, err
		}
		for i := 1; i <= replClients; i++ {
			id := sim.NodeID(fmt.Sprintf("%s-c%d", mode, i))
			g.clients = append(g.clients, id)
			w.AddClient(id, func() sim.Node {
				return replication.NewClient(replication.ClientConfig{Leader: g.replicas[0], Think: time.Millisecond})
			})
		}
		groups = append(groups, g)
	}
	replica := func(id sim.NodeID) *replication.Replica { return w.Node(id).(*replication.Replica) }

	w.At(replCrashAt, func() {
		for _, g := range groups {
			leader := g.replicas[0]
			g.lastIndex = replica(leader).LastIndex()
			for _, f := range g.replicas[1:] {
				g.behind[f] = g.lastIndex - replica(f).LastIndex()
			}
			w.Logf("%s: the leader %s crashes with %d entries; %s lacks %d, %s lacks %d", g.mode, leader, g.lastIndex,
				g.replicas[1], g.behind[g.replicas[1]], g.replicas[2], g.behind[g.replicas[2]])
			w.Crash(leader)
			for _, c := range g.clients {
				w.Node(c).(*replication.Client).Stop()
			}
		}
	})
	w.At(replCrashAt+replPromoteIn, func() {
		for _, g := range groups {
			// Failover promotes the follower with the longest log: with
			// semi-sync, the only one sure to hold every acknowledged write.
			best := g.replicas[1]
			if replica(g.replicas[2]).LastIndex() > replica(best).LastIndex() {
				best = g.replicas[2]
			}
			g.promoted = best
			w.Logf("%s: failover promotes %s (log at %d)", g.mode, best, replica(best).LastIndex())
			_ = w.Exec(best, func(n sim.Node, env sim.Env) { n.Receive(env, "failover", replication.Promote{}) })
		}
	})

	finish := func() scenarios.Result {
		var r scenarios.Result
		fail := func(err error) {
			if r.Err == nil {
				r.Err = err
			}
		}
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "mode\tacked writes\tlost\twrite latency mean\tmax\tlag mean\tlag max\tbehind at crash\tpromoted\t")
		latency := map[replication.Mode]time.Duration{}
		for _, g := range groups {
			if g.promoted == "" {
				fail(fmt.Errorf("%s: no failover happened", g.mode))
				continue
			}
			var acked []replication.AckedWrite
			for _, c := range g.clients {
				acked = append(acked, w.Node(c).(*replication.Client).Acked()...)
			}
			newLog := replica(g.promoted).Log()
			lost := replication.LostWrites(acked, newLog)
			var total, worst time.Duration
			for _, a := range acked {
				total += a.Latency
				worst = max(worst, a.Latency)
			}
			if len(acked) == 0 {
				fail(fmt.Errorf("%s: no write was acknowledged", g.mode))
				continue
			}
			mean := total / time.Duration(len(acked))
			latency[g.mode] = mean
			var lag replication.LagStats
			for _, f := range g.replicas[1:] {
				l := replica(f).Lag()
				lag.Entries += l.Entries
				lag.Total += l.Total
				lag.Max = max(lag.Max, l.Max)
			}
			behindMax := max(g.behind[g.replicas[1]], g.behind[g.replicas[2]])
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%d / %d\t%s\t\n", g.mode, len(acked), len(lost),
				sim.FormatTime(mean), sim.FormatTime(worst), sim.FormatTime(lag.Mean()), sim.FormatTime(lag.Max),
				g.behind[g.replicas[1]], g.behind[g.replicas[2]], g.promoted)
			name := strings.ReplaceAll(g.mode.String(), "-", "")
			r.Metrics = append(r.Metrics,
				scenarios.Metric{Name: name + "_acked", Value: float64(len(acked)), Unit: "writes"},
				scenarios.Metric{Name: name + "_lost", Value: float64(len(lost)), Unit: "writes"},
				scenarios.Metric{Name: name + "_latency_mean", Value: ms(mean), Unit: "ms"},
				scenarios.Metric{Name: name + "_latency_max", Value: ms(worst), Unit: "ms"},
				scenarios.Metric{Name: name + "_lag_mean", Value: ms(lag.Mean()), Unit: "ms"},
				scenarios.Metric{Name: name + "_lag_max", Value: ms(lag.Max), Unit: "ms"},
				scenarios.Metric{Name: name + "_behind_at_crash", Value: float64(behindMax), Unit: "entries"},
			)
			switch {
			case g.mode == replication.Async && len(lost) == 0:
				fail(errors.New("async lost no acknowledged write: the lesson did not show"))
			case g.mode != replication.Async && len(lost) > 0:
				fail(fmt.Errorf("%s lost %d acknowledged writes: %s", g.mode, len(lost), strings.Join(lost, " ")))
			}
			// The other follower now follows the promoted one.
			for _, f := range g.replicas[1:] {
				if !slices.Equal(replica(f).Log(), newLog) {
					fail(fmt.Errorf("%s: %s did not converge to %s's log", g.mode, f, g.promoted))
				}
			}
			if g.mode == replication.Async && len(lost) > 0 {
				r.Summary = append(r.Summary, fmt.Sprintf("async: %d acknowledged writes were lost with %s (%s ...)",
					len(lost), g.replicas[0], strings.Join(lost[:min(3, len(lost))], " ")))
			}
		}
		tw.Flush()
		r.Summary = append(strings.Split(strings.TrimRight(b.String(), "\n"), "\n"), r.Summary...)
		a, s, y := latency[replication.Async], latency[replication.SemiSync], latency[replication.Sync]
		if !(a < s && s < y) {
			fail(fmt.Errorf("write latency should grow async < semi-sync < sync, got %s, %s, %s", a, s, y))
		}
		if r.Err == nil {
			r.Summary = append(r.Summary, "semi-sync and sync kept every acknowledged write; sync paid the most for it")
		}
		return r
	}
	return &scenarios.Run{World: w, Net: net, Finish: finish}, nil
}
