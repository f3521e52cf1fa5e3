package main

import (
	"os"
	"strings"
	"testing"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README is the front door: its scenario table lists every scenario
// dsim has, so a new one cannot land unannounced.
func TestREADMEListsEveryScenario(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, s := range scenarios.All() {
		if strings.HasPrefix(s.Name, "test-") {
			continue // registered by tests
		}
		assert.Contains(t, string(readme), "| `"+s.Name+"` |", "README's scenario table lacks %s", s.Name)
	}
}
