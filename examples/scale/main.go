//go:build unix

// Command scale measures how the simulator grows with the size of the
// world: the broadcast scenario (gossip with anti-entropy) at 10, 100,
// 1,000 and 10,000 nodes, each run to convergence. For each size it
// reports the memory the finished world holds per node and the events
// simulated per second of wall time, as a Markdown table, and draws both
// against the node count:
//
//	go run ./examples/scale -out docs          # docs/scale-memory.svg, docs/scale-events.svg
//	go run ./examples/scale -nodes 10,100 -repeat 1
//
// Memory is the live heap after the run (garbage collected, the world
// still held) minus the live heap before it. Speed is events per second of
// CPU time the process used during the run (user and system, the garbage
// collector's threads included): on a shared, loaded machine the wall
// clock mostly measures the other processes, so it is shown but not used.
// Runs are traced into a hasher, as `dsim run --quiet` does. Each size
// runs -repeat times and the median is reported.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/dsimlab/dsim/scenarios"
	_ "github.com/dsimlab/dsim/scenarios/catalog"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/viz"
)

// sample is one run of one size.
type sample struct {
	nodes   int
	events  uint64
	wall    time.Duration
	cpu     time.Duration // user + system time of the process during the run
	live    uint64        // bytes held by the finished world
	virtual time.Duration
}

func main() {
	sizes := flag.String("nodes", "10,100,1000,10000", "world sizes to measure, comma-separated")
	repeat := flag.Int("repeat", 3, "runs per size; the median is reported")
	outDir := flag.String("out", "", "draw scale-memory and scale-events into `DIR`")
	format := flag.String("format", "svg", "svg or png")
	flag.Parse()
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			fmt.Fprintf(os.Stderr, "scale: -nodes: %q is not a node count (2 or more)\n", f)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	if *repeat < 1 {
		fmt.Fprintln(os.Stderr, "scale: -repeat must be at least 1")
		os.Exit(2)
	}
	if *format != "svg" && *format != "png" {
		fmt.Fprintf(os.Stderr, "scale: -format %q: want svg or png\n", *format)
		os.Exit(2)
	}
	s, err := scenarios.Lookup("broadcast")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("| nodes | events | virtual time | CPU (median of %d) | wall | events per CPU second | memory per node |\n|---:|---:|---:|---:|---:|---:|---:|\n", *repeat)
	var medians []sample
	for _, n := range ns {
		var runs []sample
		for range *repeat {
			r, err := measure(s, n)
			if err != nil {
				fmt.Fprintln(os.Stderr, "scale:", err)
				os.Exit(1)
			}
			runs = append(runs, r)
		}
		m := median(runs)
		medians = append(medians, m)
		fmt.Printf("| %d | %d | %s | %s | %s | %.0f | %s |\n", n, m.events, sim.FormatTime(m.virtual),
			m.cpu.Round(time.Millisecond), m.wall.Round(time.Millisecond), eventsPerSecond(m), bytes(m.live/uint64(n)))
	}
	if *outDir != "" {
		if err := draw(*outDir, *format, medians); err != nil {
			fmt.Fprintln(os.Stderr, "scale:", err)
			os.Exit(1)
		}
	}
}

func measure(s scenarios.Scenario, n int) (sample, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start, cpu0 := time.Now(), cpuTime()
	run, err := scenarios.Start(s, scenarios.Options{Seed: 1, Tracer: sim.NewHasher(), Knobs: scenarios.Knobs{"nodes": strconv.Itoa(n)}})
	if err != nil {
		return sample{}, err
	}
	run.Complete()
	wall, cpu := time.Since(start), cpuTime()-cpu0
	runtime.GC()
	runtime.ReadMemStats(&after)
	if res := run.Finish(); res.Err != nil {
		return sample{}, fmt.Errorf("%d nodes: %v", n, res.Err)
	}
	live := after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
	runtime.KeepAlive(run)
	return sample{nodes: n, events: run.World.Stats().Events, wall: wall, cpu: cpu, live: live, virtual: run.World.Now()}, nil
}

// cpuTime is the CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// median picks the run with the median CPU time (its memory is the same
// in every run: the runs are identical).
func median(runs []sample) sample {
	slices.SortFunc(runs, func(a, b sample) int { return int(a.cpu - b.cpu) })
	return runs[(len(runs)-1)/2]
}

func eventsPerSecond(s sample) float64 { return float64(s.events) / s.cpu.Seconds() }

func bytes(b uint64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

func draw(dir, format string, ms []sample) error {
	mem, events := make(plotter.XYs, len(ms)), make(plotter.XYs, len(ms))
	for i, m := range ms {
		mem[i] = plotter.XY{X: float64(m.nodes), Y: float64(m.live) / float64(m.nodes) / 1024}
		events[i] = plotter.XY{X: float64(m.nodes), Y: eventsPerSecond(m) / 1e6}
	}
	for _, c := range []struct {
		file, title, y string
		xys            plotter.XYs
	}{
		{"scale-memory", "broadcast: memory per node", "KB per node", mem},
		{"scale-events", "broadcast: simulation speed", "million events per CPU second", events},
	} {
		p := plot.New()
		p.Title.Text = c.title
		p.X.Label.Text = "nodes (log scale)"
		p.Y.Label.Text = c.y
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min = 0
		p.Add(plotter.NewGrid())
		line, points, err := plotter.NewLinePoints(c.xys)
		if err != nil {
			return err
		}
		p.Add(line, points)
		if err := viz.Save(p, filepath.Join(dir, c.file+"."+format)); err != nil {
			return err
		}
	}
	return nil
}
