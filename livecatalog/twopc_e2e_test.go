package livecatalog

import (
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

// The blocking problem of two-phase commit, live. The coordinator's link
// to n3 is slowed, so n2 votes yes long before n3 hears of the
// transaction; the coordinator is killed in between. n2 is then blocked:
// it promised to commit if told to, so it holds its lock and waits, and
// dsim status shows it. When the coordinator comes back it reads its log,
// finds the transaction undecided and aborts it; n2 learns the decision,
// lets its lock go, and the next transaction commits on both.
func TestLive2PCParticipantBlocksUntilTheCoordinatorReturns(t *testing.T) {
	t.Parallel()
	l := startLive(t, "2pc", 3, `{"vote_timeout": "5s"}`)
	out := l.must(t, 5*time.Second, "txn", "put", "a=1", "b=2")
	assert.Regexp(t, `committed \(a=1 on n2, b=2 on n3\)`, out)

	_, exit := l.run(2*time.Second, "fault", "delay", "n1", "n3", "3s")
	require.Equal(t, 0, exit)
	doomed := exec.Command(l.exe, "txn", "put", "a=5", "b=6", "--cluster", l.ClusterFile, "--timeout", "10s")
	require.NoError(t, doomed.Start())
	t.Cleanup(func() { doomed.Process.Kill(); doomed.Wait() })
	st := l.waitStatus(t, 3*time.Second, "n2 to vote yes and lock a", func(st map[sim.NodeID]map[string]string) bool {
		return st["n2"]["lock a"] != ""
	})
	txn := st["n2"]["lock a"]
	assert.Equal(t, "voting", st["n1"]["txn "+txn], "the coordinator is still waiting for n3's vote")
	require.NoError(t, l.Kill("n1"))
	l.logf(t, "SIGKILL the coordinator n1 between n2's vote and the decision")

	time.Sleep(500 * time.Millisecond) // n2 keeps asking; nobody can answer
	st = l.status(t)
	assert.NotEmpty(t, st["n1"]["error"], "n1 is down")
	assert.Equal(t, txn, st["n2"]["lock a"], "n2 still holds its lock")
	assert.Equal(t, txn, st["n2"]["blocked"], "n2 is blocked: it voted yes and has no decision")
	assert.Equal(t, "1", st["n2"]["data a"], "n2 has not applied the doomed write")

	l.run(time.Second, "fault", "heal") // n2 and n3 forget the delay (n1 is down and answers no one)
	require.NoError(t, l.Start("n1"))
	l.logf(t, "restarted n1")
	st = l.waitStatus(t, 5*time.Second, "n2 to learn the decision", func(st map[sim.NodeID]map[string]string) bool {
		return st["n2"]["error"] == "" && st["n2"]["blocked"] == "-" && st["n1"]["txn "+txn] == "aborted, acknowledged"
	})
	assert.Empty(t, st["n2"]["lock a"], "the lock is released")
	out, _ = l.run(time.Second, "status")
	l.logf(t, "dsim status after recovery:\n%s", out)
	out = l.must(t, 5*time.Second, "txn", "put", "a=7", "b=8")
	assert.Regexp(t, regexp.MustCompile(`committed`), out)
	st = l.waitStatus(t, 2*time.Second, "the data", func(st map[sim.NodeID]map[string]string) bool {
		return st["n2"]["data a"] == "7" && st["n3"]["data b"] == "8"
	})
	assert.Equal(t, "7", st["n2"]["data a"])
}
