package livecatalog

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

var callLine = regexp.MustCompile(`^(n\d) (\S+)\s+in (\S+)\s+breaker (\S+)`)

// A frontend (n1) calls its dependency (n3) through a circuit breaker
// that opens after 2 failures in a row and stays open for 1.5s. SIGKILL the dependency while
// calls go on: they time out, the breaker opens, and calls fail fast.
// Restart the dependency: after open_for, a half-open probe gets through
// and the breaker closes again.
func TestLiveBreakerOpensAndClosesAroundADeadDependency(t *testing.T) {
	t.Parallel()
	l := startLive(t, "breaker-service", 3, `{"timeout": "150ms", "failures": 2, "open_for": "1500ms"}`)
	call := func() (outcome string, took time.Duration, breaker string) {
		t.Helper()
		out, _ := l.run(3*time.Second, "call", "--node", "n1")
		m := callLine.FindStringSubmatch(out)
		require.NotNil(t, m, "dsim call prints the node, the outcome, the time and the breaker: %q", out)
		d, err := time.ParseDuration(m[3])
		require.NoError(t, err)
		return m[2], d, m[4]
	}
	l.waitStatus(t, 5*time.Second, "n1 to connect to its peers", func(st map[sim.NodeID]map[string]string) bool {
		return atoi(st["n1"]["tcp.connects"]) >= 2
	})
	outcome, _, breaker := call()
	assert.Equal(t, []string{"ok", "closed"}, []string{outcome, breaker})

	require.NoError(t, l.Kill("n3"))
	l.logf(t, "SIGKILL the dependency n3")
	var outcomes, breakers []string
	fast := time.Hour
	for i := range 4 {
		o, took, b := call()
		outcomes, breakers = append(outcomes, o), append(breakers, b)
		if i >= 2 {
			fast = min(fast, took)
		}
	}
	assert.Equal(t, []string{"failed", "failed", "failed", "failed"}, outcomes)
	assert.Equal(t, []string{"closed", "open", "open", "open"}, breakers, "two failures open the breaker")
	assert.Less(t, fast, 150*time.Millisecond, "an open breaker fails fast, without waiting for the timeout")

	connects := atoi(l.status(t)["n1"]["tcp.connects"])
	require.NoError(t, l.Start("n3"))
	l.logf(t, "restarted n3")
	l.waitStatus(t, 5*time.Second, "n1 to reconnect to n3", func(st map[sim.NodeID]map[string]string) bool {
		return atoi(st["n1"]["tcp.connects"]) > connects
	})
	l.logf(t, "n1 reconnected")
	waitFor(t, 5*time.Second, "the breaker to close", func() bool {
		o, _, b := call()
		return o == "ok" && b == "closed"
	})
	st := l.status(t)
	assert.Regexp(t, `^closed->open, .*open->half-open, half-open->closed$`, st["n1"]["breaker.history"], "the way back went through half-open")
}
