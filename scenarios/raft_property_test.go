package scenarios

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/network/nemesistest"
	"github.com/dsimlab/dsim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

var raftServers = []sim.NodeID{"n1", "n2", "n3", "n4", "n5"}

// faultSpan is when drawn schedules end: everything healed and restarted.
// The runs go on for raftKVFor, so a correct Raft must serve again by then.
const (
	faultSpan = 5 * time.Second
	raftKVFor = 8 * time.Second
)

// raftKVProperty is the property the fault-schedule tests check: whatever
// faults rapid draws (partitions, cuts, crashes, restarts, loss bursts,
// clock skew...), every safety check of raft-kv holds, and once the faults
// end the clients are served again. A failure prints the schedule, shrunk
// by rapid, in the text format that `dsim run --schedule` replays.
func raftKVProperty(newReplica func(raft.Config, rsm.Applier) rsm.Replica) func(*rapid.T) {
	return func(t *rapid.T) {
		sched := nemesistest.Schedule(raftServers, faultSpan, network.RandomOptions{}).Draw(t, "faults")
		s, err := Lookup("raft-kv")
		require.NoError(t, err)
		knobs, err := s.Resolve(nil)
		require.NoError(t, err)
		run, err := setupRaftKV(Options{Seed: 1, Knobs: knobs}, raftKVConfig{NewReplica: newReplica})
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
		if err := network.Play(run.World, run.Net, sched); err != nil {
			t.Fatalf("schedule: %v", err)
		}
		run.For = raftKVFor
		run.Complete()
		res := run.Finish()
		if res.Err == nil {
			if n, _ := res.Metric("ops_last_second"); n == 0 {
				res.Err = errors.New("no client operation completed in the last second, long after every fault was healed")
			}
		}
		if res.Err != nil {
			t.Fatalf("%v\n\nThe fault schedule:\n%s\nTo replay it, save the schedule to faults.txt and run\n    dsim run raft-kv --seed 1 --for %v --schedule faults.txt", res.Err, sched, raftKVFor)
		}
	}
}

// setRapidFlags sets rapid's flags for one test, unless given on the
// command line, and puts them back afterwards.
func setRapidFlags(t *testing.T, values map[string]string) {
	given := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, v := range values {
		if given[name] {
			continue
		}
		old := flag.Lookup(name).Value.String()
		require.NoError(t, flag.Set(name, v))
		t.Cleanup(func() { _ = flag.Set(name, old) })
	}
}

// 100 random schedules, about three seconds; each run of go test draws new
// ones. Run more with go test ./scenarios -run RandomFaults -rapid.checks=2000.
func TestRaftKVSurvivesRandomFaults(t *testing.T) {
	setRapidFlags(t, map[string]string{"rapid.checks": "100"})
	rapid.Check(t, raftKVProperty(nil))
}

// failureRecorder is a rapid.TB that records a failed property instead of
// failing the test, so a test can assert that the property does fail.
type failureRecorder struct {
	*testing.T
	failed bool
	msg    strings.Builder
}

type stopCheck struct{}

func (f *failureRecorder) Errorf(format string, args ...any) {
	f.failed = true
	fmt.Fprintf(&f.msg, format+"\n", args...)
}
func (f *failureRecorder) Error(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }
func (f *failureRecorder) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	panic(stopCheck{})
}
func (f *failureRecorder) Fatal(args ...any)   { f.Error(args...); panic(stopCheck{}) }
func (f *failureRecorder) FailNow()            { f.failed = true; panic(stopCheck{}) }
func (f *failureRecorder) Fail()               { f.failed = true }
func (f *failureRecorder) Failed() bool        { return f.failed }
func (f *failureRecorder) Logf(string, ...any) {}
func (f *failureRecorder) Log(...any)          {}

// The property can fail: a Raft that grants votes without the election
// restriction of §5.4.1 lets a stale candidate win and overwrite committed
// entries, and the random faults find a schedule that shows it, shrunk and
// ready to replay. rapid's seed is fixed so that the search, like the
// simulation, is the same every time: it finds the bug after 63 schedules.
func TestRandomFaultsCatchABrokenRaft(t *testing.T) {
	setRapidFlags(t, map[string]string{
		"rapid.checks":     "100",
		"rapid.seed":       "16208554878942929907",
		"rapid.shrinktime": "2s",
		"rapid.nofailfile": "true",
	})
	broken := func(cfg raft.Config, app rsm.Applier) rsm.Replica {
		return raft.NewBroken(cfg, app, raft.GrantsVotesWithoutLogCheck)
	}
	rec := &failureRecorder{T: t}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stopCheck); !ok {
					panic(r)
				}
			}
		}()
		rapid.Check(rec, raftKVProperty(broken))
	}()
	require.True(t, rec.failed, "25 random fault schedules never caught a Raft that skips the log check in RequestVote")
	msg := rec.msg.String()
	t.Logf("what a learner sees:\n%s", msg)
	assert.Regexp(t, `state machine safety|acknowledged append|linearizable|election safety`, msg)
	assert.Contains(t, msg, "dsim run raft-kv --seed 1 --for 8s --schedule faults.txt")
	assert.Regexp(t, `(?m)^\d+(\.\d+)?m?s (partition|cut|isolate|crash|restart|heal|reset|loss|skew|drift|slow|delay|duplicate)`, msg, "the shrunk schedule is printed in the nemesis format")
}
