package livecatalog

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var getLine = regexp.MustCompile(`(?m)^content of (\S+)\n(\S+) via (n\d): (HIT|MISS)[^;]*; edge holds (\d+)/(\d+) entries`)

// An origin (n1) and two LRU edges of two entries each. The first fetch
// of a path misses and the second hits; a third path evicts the least
// recently used. Kill an edge and dsim get is served by the other;
// restart it and it is back, cold: its cache was memory.
func TestLiveCDNHitsMissesAndRoutesAroundADeadEdge(t *testing.T) {
	t.Parallel()
	l := startLive(t, "cdn", 3, `{"capacity": 2}`)
	get := func(args ...string) []string {
		t.Helper()
		out := l.must(t, 5*time.Second, append([]string{"get"}, args...)...)
		m := getLine.FindStringSubmatch(out)
		require.NotNil(t, m, "dsim get prints the content, the edge, HIT or MISS and its occupancy: %q", out)
		return m[1:]
	}
	assert.Equal(t, []string{"/a", "/a", "n2", "MISS", "1", "2"}, get("/a", "--edge", "n2"))
	assert.Equal(t, []string{"/a", "/a", "n2", "HIT", "1", "2"}, get("/a", "--edge", "n2"))
	assert.Equal(t, []string{"/b", "/b", "n2", "MISS", "2", "2"}, get("/b", "--edge", "n2"))
	get("/a", "--edge", "n2") // /a is now the most recently used
	assert.Equal(t, []string{"/c", "/c", "n2", "MISS", "2", "2"}, get("/c", "--edge", "n2"), "full: /c evicts /b")
	assert.Equal(t, "HIT", get("/a", "--edge", "n2")[3], "/a survived the eviction")
	assert.Equal(t, "MISS", get("/b", "--edge", "n2")[3], "/b was evicted")

	require.NoError(t, l.Kill("n2"))
	l.logf(t, "SIGKILL edge n2")
	for range 3 {
		assert.Equal(t, "n3", get("/a")[2], "the nearest live edge serves")
	}
	require.NoError(t, l.Start("n2"))
	l.logf(t, "restarted n2")
	assert.Equal(t, []string{"/a", "/a", "n2", "MISS", "1", "2"}, get("/a", "--edge", "n2"), "back, and cold")
	st := l.status(t)
	assert.Equal(t, "origin", st["n1"]["role"])
	assert.Equal(t, "edge", st["n3"]["role"])
}
