package dsimcli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/scenarios/raftsuite"
)

// TestCourseScenarios: a course's extras become scenarios every command
// knows; a name dsim already uses is a usage error, not a panic.
func TestCourseScenarios(t *testing.T) {
	mine := func(cfg raft.Config, app rsm.Applier) raft.Implementation { return raft.New(cfg, app) }
	var errb bytes.Buffer
	require.Equal(t, exitOK, install([]Extra{Scenarios(raftsuite.Scenario("test-course-node", mine))}, &errb), errb.String())
	require.Equal(t, exitOK, install([]Extra{Scenarios(raftsuite.Scenario("test-course-node", mine))}, &errb), "a second Main in one process is fine")

	var out, stderr bytes.Buffer
	assert.Equal(t, exitOK, run([]string{"list"}, &out, &stderr))
	assert.Contains(t, out.String(), "test-course-node")
	out.Reset()
	assert.Equal(t, exitOK, run([]string{"run", "test-course-node", "--seed", "2"}, &out, &stderr), stderr.String())
	assert.Contains(t, out.String(), "leaders by term")

	errb.Reset()
	assert.Equal(t, exitUsage, install([]Extra{Scenarios(raftsuite.Scenario("raft-election", mine))}, &errb))
	assert.Contains(t, errb.String(), "has the name of one dsim already has")
}
