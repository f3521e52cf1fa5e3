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
	"sort"
	"strings"
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

// cli carries the streams a command writes to, so tests can capture them.
type cli struct {
	stdout, stderr io.Writer
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

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
	ctx := &cli{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && name == "help" {
			if c, ok := commands[args[1]]; ok {
				fs, _ := c.newFlagSet(io.Discard)
				printCommandHelp(stdout, c, fs)
				return exitOK
			}
			fmt.Fprintf(stderr, "dsim help: unknown command %q\n\n", args[1])
			usage(stderr)
			return exitUsage
		}
		usage(stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "dsim: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	fs, runFn := c.newFlagSet(stderr)
	pos, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		printCommandHelp(stdout, c, fs)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "run 'dsim %s --help' for usage\n", c.name)
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

// parseInterleaved lets flags come before or after positional arguments,
// as in `dsim run broadcast --seed 7`; the flag package alone stops at the
// first positional one.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
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
	{"Simulate", []string{"list", "run", "tui", "sweep", "plot"}},
	{"Run nodes over real TCP", []string{"cluster", "node", "kv", "status", "fault"}},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "dsim runs distributed protocols on a deterministic simulated network,")
	fmt.Fprintln(w, "and the same nodes over real TCP.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: dsim COMMAND [arguments]")
	listed := map[string]bool{}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, n := range g.names {
			if c, ok := commands[n]; ok {
				fmt.Fprintf(w, "  %-8s %s\n", n, c.summary)
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
		fmt.Fprintf(w, "\nMore:\n")
		for _, n := range rest {
			fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'dsim COMMAND --help' for a command's arguments and flags.")
	fmt.Fprintln(w, "Start with 'dsim list', then 'dsim run raft-election'.")
}

func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: dsim %s %s\n\n", c.name, c.args)
	fmt.Fprintln(w, strings.TrimSpace(c.help))
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}
