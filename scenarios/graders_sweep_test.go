//go:build sweep

// The graders' sweep: every family's grader on dsim's own implementation at
// many seeds, by hand (it takes minutes):
//
//	go test -tags sweep ./scenarios -run TestGraderSweep -v -timeout 30m
//
// DSIM_SWEEP_SEEDS sets how many seeds (default 100). Every run must pass.
package scenarios_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/dsimlab/dsim/consensus/paxos"
	"github.com/dsimlab/dsim/consensus/paxos/multipaxos"
	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/gossip/glomers"
	"github.com/dsimlab/dsim/scenarios/broadcastsuite"
	"github.com/dsimlab/dsim/scenarios/paxos/multipaxossuite"
	"github.com/dsimlab/dsim/scenarios/paxos/paxossuite"
	"github.com/dsimlab/dsim/scenarios/raftsuite"
	"github.com/dsimlab/dsim/scenarios/storage/quorumsuite"
	"github.com/dsimlab/dsim/scenarios/txn/twopcsuite"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/quorum"
)

func TestGraderSweep(t *testing.T) {
	seeds := uint64(100)
	if v := os.Getenv("DSIM_SWEEP_SEEDS"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			t.Fatalf("DSIM_SWEEP_SEEDS=%q: give a positive number of seeds", v)
		}
		seeds = n
	}
	report := func(family string, start time.Time, runs, fails int, first string) {
		if fails > 0 {
			t.Errorf("%s: %d of %d runs failed; first: %s", family, fails, runs, first)
		}
		t.Logf("%-12s %5d runs, %3d failed, %6.2fs wall, %.1fms per run %s", family, runs, fails, time.Since(start).Seconds(), 1000*time.Since(start).Seconds()/float64(runs), first)
	}
	{
		start, runs, fails, first := time.Now(), 0, 0, ""
		for _, test := range multipaxossuite.Tests {
			for s := uint64(1); s <= seeds; s++ {
				runs++
				if f, m := multipaxossuite.Grade(test, func(cfg multipaxos.Config, app rsm.Applier) rsm.Replica { return multipaxos.New(cfg, app) }, s); f {
					fails++
					if first == "" {
						first = fmt.Sprintf("%s seed %d: %.150s", test.Name, s, m[len(m)-1])
					}
				}
			}
		}
		report("multipaxos", start, runs, fails, first)
	}
	{
		start, runs, fails, first := time.Now(), 0, 0, ""
		for _, test := range quorumsuite.Tests {
			for s := uint64(1); s <= seeds; s++ {
				runs++
				if f, m := quorumsuite.Grade(test, func(cfg quorum.Config) quorumsuite.Implementation { q, _ := quorum.NewServer(cfg); return q }, s); f {
					fails++
					if first == "" {
						first = fmt.Sprintf("%s seed %d: %.150s", test.Name, s, m[len(m)-1])
					}
				}
			}
		}
		report("quorum", start, runs, fails, first)
	}
	{
		start, runs, fails, first := time.Now(), 0, 0, ""
		for _, test := range twopcsuite.Tests {
			for s := uint64(1); s <= seeds; s++ {
				runs++
				if f, m := twopcsuite.Grade(test, twopcsuite.Ours(), s); f {
					fails++
					if first == "" {
						first = fmt.Sprintf("%s seed %d: %.150s", test.Name, s, m[len(m)-1])
					}
				}
			}
		}
		report("twopc", start, runs, fails, first)
	}
	{
		start, runs, fails, first := time.Now(), 0, 0, ""
		for _, test := range broadcastsuite.Tests {
			for s := uint64(1); s <= seeds; s++ {
				runs++
				if f, m := broadcastsuite.Grade(test, func() sim.Node { return glomers.New() }, s); f {
					fails++
					if first == "" {
						first = fmt.Sprintf("%s seed %d: %.150s", test.Name, s, m[len(m)-1])
					}
				}
			}
		}
		report("broadcast", start, runs, fails, first)
	}
	{
		start, runs, fails, first := time.Now(), 0, 0, ""
		for _, test := range paxossuite.Tests {
			for s := uint64(1); s <= seeds; s++ {
				runs++
				res := paxossuite.Grade(test, paxossuite.Setup{New: func(cfg paxos.Config) paxos.Implementation { return paxos.New(cfg) }, Seed: s, Config: paxossuite.DefaultConfig()})
				if res.Failed {
					fails++
					if first == "" {
						first = fmt.Sprintf("%s seed %d: %.150s %v", test.Name, s, res.Messages, res.Violations)
					}
				}
			}
		}
		report("paxos", start, runs, fails, first)
	}
	{
		start, runs, fails, first := time.Now(), 0, 0, ""
		for _, test := range raftsuite.Tests {
			for s := uint64(1); s <= seeds; s++ {
				runs++
				res := raftsuite.Grade(test, raftsuite.Setup{New: func(cfg raft.Config, app rsm.Applier) raft.Implementation { return raft.New(cfg, app) }, Seed: s, Config: raftsuite.DefaultConfig()}, test.Name)
				if res.Failed {
					fails++
					if first == "" {
						msg := ""
						if len(res.Messages) > 0 {
							msg = res.Messages[len(res.Messages)-1]
						}
						first = fmt.Sprintf("%s seed %d: %.200s", test.Name, s, msg)
					}
				}
			}
		}
		report("raft", start, runs, fails, first)
	}
}
