package dsimcli

import (
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/dsimlab/dsim/i18n"
	"github.com/dsimlab/dsim/scenarios"
)

func init() {
	register(&command{
		name:    "explain",
		args:    "NAME",
		summary: "tell a scenario's story, what to look for, its knobs and what to try next",
		help: `
Explain the scenario NAME: its story (who the nodes are, which faults it
plays), what to look for when it runs, its nodes, how long it runs, the
knobs --set may change (with their defaults and ranges) and the commands
to try next. The TUI's ? key shows the same text.`,
		flags: func(fs *flag.FlagSet) func(*cli, []string) int {
			return func(ctx *cli, args []string) int {
				s, ok := oneScenario(ctx, "explain", args)
				if !ok {
					return exitUsage
				}
				return writeOut(ctx, "explain", func(w io.Writer) error {
					return scenarios.Explain(w, s, ctx.p)
				})
			}
		},
	})
}

// listScenarios writes `dsim list`: the scenarios grouped by the course's
// chapters, each with its default length.
func listScenarios(w io.Writer, p *i18n.Printer) error {
	ew := &errWriter{w: w}
	byChapter := map[string][]scenarios.Scenario{}
	for _, s := range scenarios.All() {
		byChapter[s.Chapter] = append(byChapter[s.Chapter], s)
	}
	type group struct{ id, title string }
	var groups []group
	for _, c := range scenarios.Chapters {
		groups = append(groups, group{c.ID, p.S(c.Title)})
	}
	groups = append(groups, group{"", p.T("More")})
	first := true
	for _, g := range groups {
		list := byChapter[g.id]
		if len(list) == 0 {
			continue
		}
		if !first {
			fmt.Fprintln(ew)
		}
		first = false
		fmt.Fprintf(ew, "%s:\n", g.title)
		for _, s := range list {
			fmt.Fprintf(ew, "  %-24s %6v  %s\n", s.Name, s.For, s.Text(p).Summary)
		}
	}
	fmt.Fprintf(ew, "\n%s\n", p.T("'dsim explain NAME' tells a scenario's story; 'dsim run NAME' runs it."))
	return ew.err
}

// errWriter keeps the first write error, so a command can report that its
// output went nowhere (a full disk, a closed pipe) instead of exiting 0.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// writeOut runs write on stdout and reports a write error: exit status 1.
func writeOut(ctx *cli, cmd string, write func(io.Writer) error) int {
	if err := write(ctx.stdout); err != nil {
		fmt.Fprintf(ctx.stderr, "dsim %s: writing the output: %v\n", cmd, err)
		return exitFailed
	}
	return exitOK
}

// setFlag collects repeated --set KEY=VALUE flags.
type setFlag []string

func (f *setFlag) String() string { return strings.Join(*f, " ") }
func (f *setFlag) Set(v string) error {
	if _, _, err := scenarios.ParseKnob(v); err != nil {
		return err
	}
	*f = append(*f, v)
	return nil
}

func addSetFlag(fs *flag.FlagSet, lists bool) *setFlag {
	f := &setFlag{}
	usage := "set a knob of the scenario, `KEY=VALUE` (repeatable); 'dsim explain NAME' lists them"
	if lists {
		usage = "set a knob of the scenario, `KEY=VALUE` (repeatable); KEY=V1,V2,... sweeps each value, one table per value"
	}
	fs.Var(f, "set", usage)
	return f
}

// knobs checks the --set values against the scenario's knobs: a single
// value each. The error lists the valid knobs.
func (f *setFlag) knobs(s scenarios.Scenario, p *i18n.Printer) (scenarios.Knobs, error) {
	sets, err := f.knobSets(s, false, p)
	if err != nil {
		return nil, err
	}
	return sets[0], nil
}

// knobSets is every combination of the --set values, where a value may be
// a comma-separated list if lists is true: --set W=1,2,3 --set R=2 gives
// three sets. They come in the order the values were given, the last knob
// varying fastest.
func (f *setFlag) knobSets(s scenarios.Scenario, lists bool, p *i18n.Printer) ([]scenarios.Knobs, error) {
	type knobValues struct {
		name   string
		values []string
	}
	var given []knobValues
	seen := map[string]bool{}
	for _, kv := range *f {
		k, v, err := scenarios.ParseKnob(kv)
		if err != nil {
			return nil, err
		}
		if seen[k] {
			return nil, knobError(p.T("--set %s given twice", k))
		}
		seen[k] = true
		values := []string{v}
		if lists && strings.Contains(v, ",") {
			values = strings.Split(v, ",")
		}
		for _, one := range values {
			if err := checkKnob(s, k, one, p); err != nil {
				return nil, err
			}
		}
		given = append(given, knobValues{k, values})
	}
	sets := []scenarios.Knobs{{}}
	for _, g := range given {
		var next []scenarios.Knobs
		for _, base := range sets {
			for _, v := range g.values {
				ks := scenarios.Knobs{}
				for n, x := range base {
					ks[n] = x
				}
				ks[g.name] = v
				next = append(next, ks)
			}
		}
		sets = next
	}
	if len(sets) == 1 && len(sets[0]) == 0 {
		sets[0] = nil
	}
	return sets, nil
}

// checkKnob is Scenario.CheckKnobs for one value, in the learner's
// language: an unknown knob lists the scenario's knobs, a bad value says
// why and what the knob takes.
func checkKnob(s scenarios.Scenario, name, value string, p *i18n.Printer) error {
	k, ok := s.Knob(name)
	if !ok {
		if len(s.Knobs) == 0 {
			return knobError(p.T("%s has no knob %q; it has no knobs", s.Name, name))
		}
		var list []string
		for _, k := range s.Knobs {
			list = append(list, p.T("%s (%s, default %s)", k.Name, k.Range(), k.Default))
		}
		return knobError(p.T("%s has no knob %q; its knobs are: %s", s.Name, name, strings.Join(list, ", ")))
	}
	err := k.Check(value)
	if err == nil {
		return nil
	}
	reason := "not a value it takes"
	if m := knobReason.FindStringSubmatch(err.Error()); m != nil {
		reason = m[1]
	}
	return knobError(p.T("%s=%q: %s (takes %s)", name, value, p.S(reason), k.Range()))
}

// knobError is a --set error in the learner's language; it is a
// scenarios.ErrBadKnob.
type knobError string

func (e knobError) Error() string { return string(e) }
func (e knobError) Unwrap() error { return scenarios.ErrBadKnob }

// translated is an error of another package, said in the learner's
// language; errors.Is still finds the original.
type translated struct {
	msg string
	err error
}

func (e translated) Error() string { return e.msg }
func (e translated) Unwrap() error { return e.err }

// knobReason finds why Knob.Check refused a value: "out of range".
var knobReason = regexp.MustCompile(`=".*": (.+) \(takes `)

func init() {
	// The reasons Knob.Check gives, translated with p.S.
	i18n.Elsewhere("out of range", "not a whole number", "not a number", "not true or false",
		"not a duration (write units: 150ms, 2s)", "not one of the choices", "not a value it takes")
}

// lookup is scenarios.Lookup with its error in the learner's language.
func lookup(name string, p *i18n.Printer) (scenarios.Scenario, error) {
	s, err := scenarios.Lookup(name)
	if err == nil || p.Tag() == i18n.English {
		return s, err
	}
	m := unknownRe.FindStringSubmatch(err.Error())
	if m == nil {
		return s, err
	}
	if m[2] == "" {
		return s, translated{p.T("unknown scenario %s; the scenarios are: %s", m[1], m[3]), err}
	}
	return s, translated{p.T("unknown scenario %s (did you mean %s?); the scenarios are: %s", m[1], m[2], m[3]), err}
}

// unknownRe takes apart scenarios.Lookup's error: the name, the
// suggestions, the names there are.
var unknownRe = regexp.MustCompile(`^unknown scenario (".*?")(?: \(did you mean (.*)\?\))?; the scenarios are: (.*)$`)

// knobLabel is "W=1 R=2", the knobs of one sweep table, sorted by name.
func knobLabel(ks scenarios.Knobs) string {
	names := make([]string, 0, len(ks))
	for n := range ks {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, n+"="+ks[n])
	}
	return strings.Join(parts, " ")
}
