package scenarios

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/dsimlab/dsim/i18n"
	"github.com/dsimlab/dsim/sim"
)

func init() {
	for _, c := range Chapters {
		i18n.Elsewhere(c.Title) // translated with p.S
	}
}

// Text is the scenario's text in p's language: its summary, story, what to
// look for and knob docs, translated where i18n has them (keyed by the
// scenario's name), English otherwise.
func (s Scenario) Text(p *i18n.Printer) i18n.ScenarioText {
	out := i18n.ScenarioText{Summary: s.Summary, Doc: s.Doc, LookFor: s.LookFor, Knobs: map[string]string{}}
	for _, k := range s.Knobs {
		out.Knobs[k.Name] = k.Doc
	}
	tr, ok := i18n.Scenario(p.Tag(), s.Name)
	if !ok {
		return out
	}
	pick := func(dst *string, src string) {
		if src != "" {
			*dst = src
		}
	}
	pick(&out.Summary, tr.Summary)
	pick(&out.Doc, tr.Doc)
	pick(&out.LookFor, tr.LookFor)
	for name, doc := range tr.Knobs {
		if _, declared := out.Knobs[name]; declared && doc != "" {
			out.Knobs[name] = doc
		}
	}
	return out
}

// ChapterTitle is the title of the chapter with the given ID in p's
// language, or "" for an unknown ID.
func ChapterTitle(id string, p *i18n.Printer) string {
	for _, c := range Chapters {
		if c.ID == id {
			return p.S(c.Title)
		}
	}
	return ""
}

// Explain writes what `dsim explain` prints (and the TUI's ? shows): the
// story, what to look for, the nodes, the default length, the knobs with
// their defaults and ranges, and the commands to try next.
func Explain(w io.Writer, s Scenario, p *i18n.Printer) error {
	ew := &errWriter{w: w}
	text := s.Text(p)
	fmt.Fprintf(ew, "%s: %s\n", s.Name, text.Summary)
	if t := ChapterTitle(s.Chapter, p); t != "" {
		fmt.Fprintln(ew, p.T("Chapter: %s", t))
	}
	section := func(title, body string) {
		if strings.TrimSpace(body) == "" {
			return
		}
		fmt.Fprintf(ew, "\n%s\n", title)
		for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
			if line == "" {
				fmt.Fprintln(ew)
				continue
			}
			fmt.Fprintf(ew, "  %s\n", line)
		}
	}
	section(p.T("The story"), text.Doc)
	section(p.T("What to look for"), capitalize(text.LookFor))
	fmt.Fprintln(ew)
	if nodes := s.nodes(); len(nodes) > 0 {
		fmt.Fprintln(ew, p.T("Nodes (%d): %s", len(nodes), nodeList(nodes, 24, p)))
	}
	fmt.Fprintln(ew, p.T("Default length: %v of virtual time (change it with --for)", s.For))
	if len(s.Knobs) == 0 {
		fmt.Fprintln(ew, p.T("Knobs: none"))
	} else {
		fmt.Fprintf(ew, "\n%s\n", p.T("Knobs (change them with --set NAME=VALUE):"))
		width := 0
		for _, k := range s.Knobs {
			width = max(width, len(k.Name))
		}
		for _, k := range s.Knobs {
			fmt.Fprintf(ew, "  %-*s  %s  %s\n", width, k.Name, p.T("default %-6s", k.Default), k.Range())
			fmt.Fprintf(ew, "  %-*s  %s\n", width, "", text.Knobs[k.Name])
		}
	}
	if len(s.Broken) > 0 {
		fmt.Fprintf(ew, "\n%s\n  %s\n", p.T("Deliberately broken implementations (--broken VARIANT on run, tui and explore):"), strings.Join(s.Broken, ", "))
	}
	fmt.Fprintf(ew, "\n%s\n", p.T("Try next:"))
	for _, c := range TryNext(s) {
		fmt.Fprintf(ew, "  %s\n", c)
	}
	return ew.err
}

// TryNext are the commands explain suggests: run, TUI, sweep, plot, a run
// with one knob changed, and the explorer (on a broken implementation too)
// where the scenario can be explored.
func TryNext(s Scenario) []string {
	out := []string{
		fmt.Sprintf("dsim run %s --seed 1", s.Name),
		fmt.Sprintf("dsim tui %s", s.Name),
		fmt.Sprintf("dsim sweep %s --seeds 1-100", s.Name),
		fmt.Sprintf("dsim plot %s --seed 1", s.Name),
	}
	if len(s.Knobs) > 0 {
		k := s.Knobs[0]
		out = append(out, fmt.Sprintf("dsim run %s --set %s=%s", s.Name, k.Name, k.other()))
	}
	if s.Explore != nil {
		out = append(out, fmt.Sprintf("dsim explore %s", s.Name))
		if len(s.Broken) > 0 {
			out = append(out, fmt.Sprintf("dsim explore %s --broken %s", s.Name, s.Broken[0]))
		}
	} else if len(s.Broken) > 0 {
		out = append(out, fmt.Sprintf("dsim run %s --broken %s", s.Name, s.Broken[0]))
	}
	return out
}

// other is a value of k other than its default, to show --set with.
func (k Knob) other() string {
	switch k.Kind {
	case KnobBool:
		if k.Default == "true" {
			return "false"
		}
		return "true"
	case KnobChoice:
		for _, c := range k.Choices {
			if c != k.Default {
				return c
			}
		}
	case KnobInt:
		var n int
		if _, err := fmt.Sscan(k.Default, &n); err == nil {
			for _, v := range []int{n - 1, n + 1} {
				if k.Check(fmt.Sprint(v)) == nil {
					return fmt.Sprint(v)
				}
			}
		}
	}
	return k.Default
}

// nodes sets the scenario up with its defaults, without running it, to
// name its nodes; nil if it cannot be set up.
func (s Scenario) nodes() []sim.NodeID {
	run, err := Start(s, Options{Seed: 1})
	if err != nil || run.World == nil {
		return nil
	}
	return run.World.Nodes()
}

// nodeList joins node names: the first most of them and a count of the rest.
func nodeList(nodes []sim.NodeID, most int, p *i18n.Printer) string {
	var names []string
	for i, n := range nodes {
		if i == most {
			names = append(names, p.T("... and %d more", len(nodes)-most))
			break
		}
		names = append(names, string(n))
	}
	return strings.Join(names, " ")
}

// capitalize starts an English sentence with a capital, unless it starts
// with a node's name ("n1 does not know...").
func capitalize(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	if len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// errWriter keeps the first write error, so a command can report that its
// output went nowhere (a full disk, a closed pipe) instead of exiting 0.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

// Flags writes the knobs as the --set flags that give them, sorted by
// name: " --set R=1 --set W=1", or "" for none.
func (ks Knobs) Flags() string {
	names := make([]string, 0, len(ks))
	for n := range ks {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, " --set %s=%s", n, ks[n])
	}
	return b.String()
}
