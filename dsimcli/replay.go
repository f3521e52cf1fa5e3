package dsimcli

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dsimlab/dsim/livecatalog"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/replay"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/tui"
)

func init() {
	register(&command{
		name:    "replay",
		args:    "FILE [--tui [--run N]]",
		summary: "replay a live node's recording in the simulator and check it",
		help: `
Replay a recording made by 'dsim node --record FILE' (or 'dsim cluster local
--record', one FILE per node in its --dir): build a fresh node of the same
protocol on the disk the live node started with, feed it every recorded
input (peer and client messages, timer firings) at its recorded time, and
compare everything it does (messages sent, timers, disk writes, replies)
with what the live node did.

With --tui, step through the replayed run instead, event by event, in the
terminal: what arrived, what the node did, and its state (Inspect) after.

Exit status: 0 when every output matched, 1 naming the first divergence,
2 for a usage error or a file that is not a recording.`,
		flags: replayCmdFlags,
	})
}

// recorder opens path for `dsim node --record` and returns the Wrap hook
// and a function closing the file. An empty path records nothing.
func recorder(path, protocol string, seed uint64) (func(sim.Node, *tcp.Registry, tcp.Cluster) sim.Node, func(), error) {
	if path == "" {
		return nil, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if seed == 0 {
		var b [8]byte
		crand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	wrap := func(node sim.Node, reg *tcp.Registry, c tcp.Cluster) sim.Node {
		return replay.Record(node, f, reg, protocol, c, seed)
	}
	return wrap, func() { f.Sync(); f.Close() }, nil
}

// buildLive builds a node of a live protocol, for replay.
func buildLive(protocol string, c tcp.NodeConfig) (sim.Node, *tcp.Registry, error) {
	p, err := livecatalog.Lookup(protocol)
	if err != nil {
		return nil, nil, err
	}
	reg, err := p.NewRegistry()
	if err != nil {
		return nil, nil, err
	}
	node, err := p.New(c)
	return node, reg, err
}

func replayCmdFlags(fs *flag.FlagSet) func(*cli, []string) int {
	useTUI := fs.Bool("tui", false, "step through the replayed run in the terminal")
	runNo := fs.Int("run", 1, "with --tui, which run of the file (one per process start) to show")
	return func(ctx *cli, args []string) int {
		if len(args) != 1 {
			fmt.Fprintln(ctx.stderr, "usage: dsim replay FILE [--tui [--run N]]")
			return exitUsage
		}
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim replay: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		runs, err := replay.Read(f)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim replay: %s: %v\n", args[0], err)
			return exitUsage
		}
		if *useTUI {
			return replayTUI(ctx, args[0], runs, *runNo)
		}
		if *runNo != 1 {
			fmt.Fprintln(ctx.stderr, "dsim replay: --run chooses the run --tui shows; without --tui every run is checked")
			return exitUsage
		}
		rep, err := replay.Check(runs, buildLive)
		var div *replay.Divergence
		switch {
		case errors.As(err, &div):
			fmt.Fprintf(ctx.stdout, "%s: DIVERGED: %v\n", args[0], div)
			return exitFailed
		case err != nil:
			fmt.Fprintf(ctx.stderr, "dsim replay: %s: %v\n", args[0], err)
			return exitUsage
		}
		fmt.Fprintf(ctx.stdout, "%s: %s of %s: %d run(s), %d events, %d outputs replayed; every output matches\n",
			args[0], runs[0].Start.Node, runs[0].Start.Protocol, rep.Runs, rep.Events, rep.Outputs)
		return exitOK
	}
}

// replayTUI opens run number n (from 1) of a recording in the TUI.
func replayTUI(ctx *cli, path string, runs []replay.Run, n int) int {
	if n < 1 || n > len(runs) {
		fmt.Fprintf(ctx.stderr, "dsim replay: --run %d: %s holds %d run(s)\n", n, path, len(runs))
		return exitUsage
	}
	name := fmt.Sprintf("replay of %s, run %d", filepath.Base(path), n)
	sc, err := replay.Scenario(name, runs[n-1], buildLive)
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim replay: %s: %v\n", path, err)
		return exitUsage
	}
	scenarios.Register(sc)
	opts := tui.Options{Scenario: name, Seed: 1, SaveDir: os.TempDir(), NoColor: os.Getenv("NO_COLOR") != ""}
	if _, err := tui.New(opts); err != nil {
		fmt.Fprintf(ctx.stderr, "dsim replay: %v\n", err)
		return exitUsage
	}
	if !isTerminal(os.Stdin) || !isTerminal(ctx.stdout) {
		fmt.Fprintf(ctx.stderr, "dsim replay --tui needs a terminal (its input and output are not one); 'dsim replay %s' checks the recording without one\n", path)
		return exitUsage
	}
	if err := tui.Run(opts); err != nil {
		fmt.Fprintf(ctx.stderr, "dsim replay: %v\n", err)
		return exitFailed
	}
	return exitOK
}
