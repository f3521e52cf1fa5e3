package dsimcli

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Figure 8 from the command line: dsim explore finds the broken Raft's
// overwrite of a committed entry, and dsim run on the counterexample fails
// with the same violation.
func TestExploreBrokenRaftFindsFigure8AndRunReplaysIt(t *testing.T) {
	cex := filepath.Join(t.TempDir(), "f8.cex")
	status, out, stderr := dsim("explore", "raft-figure8", "--broken", "commits-earlier-term-by-counting", "--out", cex)
	require.Equal(t, exitFailed, status, stderr)
	m := regexp.MustCompile(`VIOLATION after \d+ steps \(.*\): (.*)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	violation := m[1]
	assert.Contains(t, violation, "state machine safety violated")

	status, out, stderr = dsim("run", "raft-figure8", "--broken", "commits-earlier-term-by-counting", "--schedule", cex, "--quiet")
	require.Equal(t, exitFailed, status, stderr)
	assert.Contains(t, out, "FAILED: "+violation)
}
