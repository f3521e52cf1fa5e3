package dsimcli

import (
	"flag"
	"fmt"
	"os"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/tui"
)

func init() {
	register(&command{
		name:    "tui",
		args:    "[NAME] [--seed N] [--set KEY=VALUE]... [--schedule FILE] [--broken VARIANT] [--save-dir DIR]",
		summary: "step through a scenario in the terminal, forwards and back",
		help: `
Open scenario NAME (default raft-election) in a terminal UI: a card per
node (role, term, vote, log, commit index, election timer), the messages
in flight, the partitions, the virtual clock and the latest events.

Step with space, back with b, run with r; crash (c), restart (x), isolate
(i) and heal (h) the selected node, drop the next message (d); w saves the
faults you injected as a schedule that 'dsim run NAME --seed N --schedule
FILE' replays exactly. Press ? for every key and the scenario's
explanation (as 'dsim explain NAME' prints it). --set changes a knob. NO_COLOR turns colour off.`,
		flags: func(fs *flag.FlagSet) func(*cli, []string) int {
			seed := seedFlag(fs, 1, "random seed `N`: the same seed gives the same run")
			dir := fs.String("save-dir", ".", "where w writes the session's schedule (`DIR`)")
			schedPath := fs.String("schedule", "", "start from the fault schedule in `FILE` (one that w saved, or a counterexample from dsim explore)")
			broken := fs.String("broken", "", "step through a deliberately broken implementation (`VARIANT`)")
			sets := addSetFlag(fs, false)
			return func(ctx *cli, args []string) int {
				if len(args) > 1 {
					fmt.Fprintln(ctx.stderr, ctx.p.T("dsim tui takes at most one scenario name; 'dsim list' shows them"))
					return exitUsage
				}
				opts := tui.Options{Seed: *seed, SaveDir: *dir, NoColor: os.Getenv("NO_COLOR") != "", Printer: ctx.p, Broken: *broken}
				if len(args) == 1 {
					opts.Scenario = args[0]
				}
				name := opts.Scenario
				if name == "" {
					name = tui.DefaultScenario
				}
				s, err := lookup(name, ctx.p)
				if err != nil {
					fmt.Fprintf(ctx.stderr, "dsim tui: %v\n", err)
					return exitUsage
				}
				if opts.Knobs, err = sets.knobs(s, ctx.p); err != nil {
					fmt.Fprintf(ctx.stderr, "dsim tui: %v\n", err)
					return exitUsage
				}
				if *schedPath != "" {
					rf, err := readSchedule(*schedPath)
					if err != nil {
						fmt.Fprintf(ctx.stderr, "dsim tui: %v\n", err)
						return exitUsage
					}
					o := scenarios.Options{Broken: opts.Broken, Knobs: opts.Knobs}
					if err := rf.applyTo(&o); err != nil {
						fmt.Fprintf(ctx.stderr, "dsim tui: %s: %v\n", *schedPath, err)
						return exitUsage
					}
					opts.Schedule, opts.Broken, opts.Knobs = o.Schedule, o.Broken, o.Knobs
				}
				if _, err := tui.New(opts); err != nil {
					fmt.Fprintf(ctx.stderr, "dsim tui: %v\n", err)
					return exitUsage
				}
				if !isTerminal(os.Stdin) || !isTerminal(ctx.stdout) {
					fmt.Fprintln(ctx.stderr, ctx.p.T("dsim tui needs a terminal (its input and output are not one); try 'dsim run %s' instead", name))
					return exitUsage
				}
				if err := tui.Run(opts); err != nil {
					fmt.Fprintf(ctx.stderr, "dsim tui: %v\n", err)
					return exitFailed
				}
				return exitOK
			}
		},
	})
}
