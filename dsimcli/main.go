// Package dsimcli is the whole dsim command line as a library: cmd/dsim
// is one call to Main, and a course's own binary can be one too, with its
// students' nodes and its own scenarios added, so that every command (run,
// tui, sweep, plot, ...) works on a student's code.
//
//	dsim list                       what there is to run
//	dsim run NAME [--seed N] ...    run one scenario and narrate it
//	dsim help [COMMAND]             how to use a command
//
// Every command takes --help.
package dsimcli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/i18n"
)

// exit statuses
const (
	exitOK     = 0
	exitFailed = 1 // a scenario ran and one of its checks failed
	exitUsage  = 2 // bad command line, unknown scenario, unreadable file
)

// command is one subcommand of dsim.
type command struct {
	name    string
	args    string // synopsis after the name
	summary string
	// help is the long description printed by --help, before the flags.
	help string
	// flags declares the command's flags on fs and returns the function
	// that runs it with the positional arguments.
	flags func(fs *flag.FlagSet) func(ctx *cli, args []string) int
}

// cli carries the streams a command writes to, so tests can capture them,
// and the language it speaks.
type cli struct {
	stdout, stderr io.Writer
	p              *i18n.Printer
}

var commands = map[string]*command{}

func register(c *command) {
	commands[c.name] = c
	i18n.Elsewhere(c.summary, strings.TrimSpace(c.help)) // translated with p.S
}

func init() {
	for _, g := range groups {
		i18n.Elsewhere(g.title)
	}
}

// Main runs dsim with the arguments after the program name and returns the
// exit status: 0 when all went well, 1 when a run failed one of its checks,
// 2 for a usage error. A course's own binary passes extras (see Scenarios)
// to add its scenarios.
//
//	func main() { os.Exit(dsimcli.Main(os.Args[1:])) }
func Main(args []string, extras ...Extra) int {
	if code := install(extras, os.Stderr); code != exitOK {
		return code
	}
	return run(args, os.Stdout, os.Stderr)
}

// run is dsim's whole command line, minus the process.
func run(args []string, stdout, stderr io.Writer) int {
	return runEnv(args, stdout, stderr, os.Getenv)
}

// runEnv is run with the environment as a function, for tests.
func runEnv(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	args, lang, err := langFlag(args)
	if err != nil {
		fmt.Fprintf(stderr, "dsim: %v\n", err)
		return exitUsage
	}
	tag := i18n.FromEnv(getenv)
	if lang != "" {
		tag, _ = i18n.Parse(lang)
	}
	ctx := &cli{stdout: stdout, stderr: stderr, p: i18n.NewPrinter(tag)}
	if len(args) == 0 {
		usage(stderr, ctx.p)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && name == "help" {
			if c, ok := commands[args[1]]; ok {
				fs, _ := c.newFlagSet(io.Discard)
				printCommandHelp(stdout, c, fs, ctx.p)
				return exitOK
			}
			fmt.Fprintf(stderr, "%s\n\n", ctx.p.T("dsim help: unknown command %q", args[1]))
			usage(stderr, ctx.p)
			return exitUsage
		}
		usage(stdout, ctx.p)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "%s\n\n", ctx.p.T("dsim: unknown command %q", name))
		usage(stderr, ctx.p)
		return exitUsage
	}
	fs, runFn := c.newFlagSet(stderr)
	pos, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		printCommandHelp(stdout, c, fs, ctx.p)
		return exitOK
	}
	if err != nil {
		if unitless(fs, err) {
			fmt.Fprintln(stderr, ctx.p.T("durations need a unit: write 5s, 150ms or 1m30s"))
		}
		if neg := negativeArg(args[1:]); neg != "" {
			// The flag package took a negative value for a flag it does not know.
			fmt.Fprintln(stderr, ctx.p.T("%s is a negative number, not a flag: no value dsim %s takes may be negative", neg, c.name))
		}
		fmt.Fprintln(stderr, ctx.p.T("run 'dsim %s --help' for usage", c.name))
		return exitUsage
	}
	return runFn(ctx, pos)
}

func (c *command) newFlagSet(out io.Writer) (*flag.FlagSet, func(*cli, []string) int) {
	fs := flag.NewFlagSet("dsim "+c.name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {} // errors are reported by run, help by printCommandHelp
	return fs, c.flags(fs)
}

// unitless reports whether err is a duration flag given a bare number
// (--for 5), the mistake a unit hint fixes.
func unitless(fs *flag.FlagSet, err error) bool {
	m := badFlagValue.FindStringSubmatch(err.Error())
	if m == nil {
		return false
	}
	f := fs.Lookup(m[2])
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	if _, isDuration := g.Get().(time.Duration); !isDuration {
		return false
	}
	_, numErr := strconv.ParseFloat(m[1], 64)
	return numErr == nil
}

var badFlagValue = regexp.MustCompile(`^invalid value "(.*)" for flag -(\S+):`)

// langFlag takes --lang LANG (or --lang=LANG) out of the arguments,
// wherever it is: every command speaks the language it names.
func langFlag(args []string) (rest []string, lang string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		switch {
		case a == "--lang" || a == "-lang":
			if i+1 >= len(args) {
				return nil, "", errors.New("--lang needs a language: en, ja or zh-Hant")
			}
			lang = args[i+1]
			i++
		case strings.HasPrefix(a, "--lang=") || strings.HasPrefix(a, "-lang="):
			_, lang, _ = strings.Cut(a, "=")
		default:
			rest = append(rest, a)
			continue
		}
		if _, ok := i18n.Parse(lang); !ok {
			return nil, "", fmt.Errorf("--lang %q: dsim speaks en, ja and zh-Hant", lang)
		}
	}
	return rest, lang, nil
}

// parseInterleaved lets flags come before or after positional arguments,
// as in `dsim run broadcast --seed 7`; the flag package alone stops at the
// first positional one.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string // after "--": positional, whatever they look like
	if i := slices.Index(args, "--"); i >= 0 {
		args, rest = args[:i], args[i+1:]
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, rest...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// groups order the overview: what a learner does first comes first.
var groups = []struct {
	title string
	names []string
}{
	{"Simulate", []string{"list", "explain", "run", "tui", "sweep", "plot", "explore", "version"}},
	{"Run nodes over real TCP", []string{"cluster", "node", "secret", "kv", "paxos", "txn", "get", "call", "broadcast", "status", "fault", "replay"}},
}

func usage(w io.Writer, p *i18n.Printer) {
	fmt.Fprintln(w, p.T("dsim runs distributed protocols on a deterministic simulated network,\nand the same nodes over real TCP."))
	fmt.Fprintln(w)
	fmt.Fprintln(w, p.T("Usage: dsim COMMAND [arguments]"))
	width := 0
	for n := range commands {
		width = max(width, len(n))
	}
	listed := map[string]bool{}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", p.S(g.title))
		for _, n := range g.names {
			if c, ok := commands[n]; ok {
				fmt.Fprintf(w, "  %-*s  %s\n", width, n, p.S(c.summary))
				listed[n] = true
			}
		}
	}
	var rest []string
	for n := range commands {
		if !listed[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	if len(rest) > 0 {
		fmt.Fprintf(w, "\n%s:\n", p.T("More"))
		for _, n := range rest {
			fmt.Fprintf(w, "  %-*s  %s\n", width, n, p.S(commands[n].summary))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, p.T("Run 'dsim COMMAND --help' for a command's arguments and flags;\n--lang en|ja|zh-Hant (or LANG) chooses the language."))
	fmt.Fprintln(w, p.T("Start with 'dsim list', then 'dsim explain raft-election' and 'dsim run raft-election'."))
}

func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet, p *i18n.Printer) {
	fmt.Fprintf(w, "%s\n\n", strings.TrimRight(p.T("Usage: dsim %s %s", c.name, c.args), " "))
	fmt.Fprintln(w, strings.TrimSpace(p.S(strings.TrimSpace(c.help))))
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintf(w, "\n%s\n", p.T("Flags:"))
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// negativeArg returns the first argument that reads as a negative number or
// duration (-1, -5ms), which the flag package mistakes for a flag.
func negativeArg(args []string) string {
	for _, a := range args {
		if len(a) > 1 && a[0] == '-' && a[1] >= '0' && a[1] <= '9' {
			return a
		}
	}
	return ""
}
