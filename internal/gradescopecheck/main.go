// Command gradescopecheck validates a Gradescope results.json, as .ci/homework
// needs: a total score, and tests each with a name, a score, a max_score,
// an output and a visibility. It prints a one-line summary, or what is
// wrong and exits 1.
//
//	go run ./internal/gradescopecheck results.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

type test struct {
	Name       *string  `json:"name"`
	Score      *float64 `json:"score"`
	MaxScore   *float64 `json:"max_score"`
	Output     *string  `json:"output"`
	Visibility *string  `json:"visibility"`
}

type results struct {
	Score *float64 `json:"score"`
	Tests []test   `json:"tests"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gradescopecheck results.json")
		os.Exit(2)
	}
	if err := check(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gradescopecheck:", err)
		os.Exit(1)
	}
}

func check(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var r results
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%s is not JSON: %w", path, err)
	}
	if r.Score == nil {
		return fmt.Errorf("%s has no total score", path)
	}
	if len(r.Tests) == 0 {
		return fmt.Errorf("%s lists no tests", path)
	}
	var max float64
	for i, t := range r.Tests {
		if t.Name == nil || t.Score == nil || t.MaxScore == nil || t.Output == nil || t.Visibility == nil {
			return fmt.Errorf("%s: test %d lacks one of name, score, max_score, output, visibility", path, i)
		}
		if *t.Score < 0 || *t.Score > *t.MaxScore+1e-9 {
			return fmt.Errorf("%s: test %q scores %v of %v", path, *t.Name, *t.Score, *t.MaxScore)
		}
		max += *t.MaxScore
	}
	fmt.Printf("valid: %d tests, score %.2f of %.2f\n", len(r.Tests), *r.Score, max)
	return nil
}
