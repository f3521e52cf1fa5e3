package livecatalog

import (
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

var chosenLine = regexp.MustCompile(`^chosen: (\S+) \(learned by (n\d)\)\n$`)

// Two clients propose different values at once, through different nodes,
// while a third node is killed and restarted: both learn the same value,
// one of the two proposed, and once chosen it stays chosen, even for a
// later proposal through the restarted node.
func TestLivePaxosBothProposersLearnTheSameValue(t *testing.T) {
	t.Parallel()
	l := startLive(t, "paxos", 3, "")
	var wg sync.WaitGroup
	learned := make([]string, 2)
	for i, value := range []string{"apple", "banana"} {
		wg.Go(func() {
			out := l.must(t, 8*time.Second, "paxos", "propose", value, "--node", "n"+strconv.Itoa(i+1))
			m := chosenLine.FindStringSubmatch(out)
			if assert.NotNil(t, m, "dsim paxos prints the chosen value: %q", out) {
				learned[i] = m[1]
			}
		})
	}
	require.NoError(t, l.Kill("n3"))
	l.logf(t, "SIGKILL n3 while the proposals are under way")
	wg.Wait()
	assert.Equal(t, learned[0], learned[1], "both proposers learn one value")
	assert.Contains(t, []string{"apple", "banana"}, learned[0], "the chosen value was proposed")

	require.NoError(t, l.Start("n3"))
	l.waitStatus(t, 3*time.Second, "n3 back", func(st map[sim.NodeID]map[string]string) bool { return st["n3"]["error"] == "" })
	out := l.must(t, 5*time.Second, "paxos", "propose", "cherry", "--node", "n3")
	assert.Equal(t, "chosen: "+learned[0]+" (learned by n3)\n", out, "a chosen value stays chosen")
	st := l.waitStatus(t, 3*time.Second, "every node to know the value", func(st map[sim.NodeID]map[string]string) bool {
		return st["n1"]["chosen"] != "-" && st["n2"]["chosen"] != "-" && st["n3"]["chosen"] != "-"
	})
	for _, id := range l.Cluster.IDs() {
		assert.Equal(t, strconv.Quote(learned[0]), st[id]["chosen"], "%s's learner", id)
	}
}
