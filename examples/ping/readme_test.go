package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README shows this program as "how to write a node"; this test keeps
// the two the same, so the README never shows code that does not build.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	src, err := os.ReadFile("main.go")
	require.NoError(t, err)
	code := string(src)
	code = code[strings.Index(code, "package main"):]
	assert.Contains(t, string(readme), "```go\n"+code+"```", "README's node example differs from examples/ping/main.go")
}
